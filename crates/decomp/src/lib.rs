//! PCA (in progress).
