//! Single-layer patch features for small grey-scale images, after Coates, Lee & Ng, "An
//! analysis of single-layer networks in unsupervised feature learning" (AISTATS 2011): every
//! `p x p` patch of an image is contrast-normalised and ZCA-whitened, encoded against a
//! dictionary of `k` centroids with the "triangle" activation `max(0, mean(d) − d_j)` (`d_j`
//! the distance to centroid `j`), and the activations are summed over a `g x g` grid of
//! regions: `k·g²` features per image that tolerate small shifts and see local shape (edges,
//! corners, textures) where raw pixels see intensity.
//!
//! The dictionary is learned by a function you pass to [`PatchFeatures::fit`], typically a
//! K-Means (the fmnist-cluster workspace passes its `fmnist-cluster` K-Means), so this crate
//! depends on no clustering library. The estimator shape is the workspace's: parameters with
//! a constructor, builder methods and [`PatchFeatures::check`], `fit` returning a
//! serialisable, versioned fitted model, errors instead of panics. The fitted model implements
//! `fmnist_core`'s `Transform`; since `fit` takes the learner as an argument, `fmnist_core`'s
//! `Fit` is implemented by the parameters bound to their learner,
//! [`PatchFeatures::with_learner`] ([`WithLearner`]).
//!
//! ```
//! use fmnist_patches::{ImageShape, PatchFeatures};
//! use nalgebra::DMatrix;
//!
//! // 40 images of 12 x 12 pixels: bright squares at different places.
//! let images = DMatrix::from_fn(40, 144, |i, p| {
//!     let (r, c) = (p / 12, p % 12);
//!     let (top, left) = (i % 5, (i / 5) % 5);
//!     if (top..top + 6).contains(&r) && (left..left + 6).contains(&c) { 1.0 } else { 0.0 }
//! });
//! let params = PatchFeatures::params(ImageShape { rows: 12, cols: 12 })
//!     .patch_size(3)
//!     .n_centroids(8)
//!     .pool_grid(2);
//! // The simplest dictionary: the first k whitened patches (a K-Means does better).
//! let model = params.fit(&images, |patches, k| {
//!     Ok::<_, std::convert::Infallible>(patches.rows(0, k).into_owned())
//! })?;
//! let features = model.transform(&images)?;
//! assert_eq!(features.shape(), (40, 8 * 2 * 2));
//! assert!(features.iter().all(|&v| v >= 0.0));
//! # Ok::<(), fmnist_patches::PatchError>(())
//! ```

mod encoding;
mod error;
mod features;
mod whitening;

pub use error::{PatchError, Result};
pub use features::{FittedPatchFeatures, ImageShape, PatchFeatures, WithLearner};
