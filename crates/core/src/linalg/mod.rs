//! Dense linear algebra shared by the estimators: column means and the blocked sample
//! covariance ([`covariance_lower`]), the symmetric eigendecomposition ([`SymmetricEigen`]) and
//! the randomized truncated SVD ([`randomized_svd`]) and the row-major product
//! [`dot_rows`] that distances are built on, all through the workspace's GEMM (faer),
//! deterministic on any number of threads.

mod covariance;
mod eigen;
mod product;
mod randomized;

pub use covariance::{BLOCK, centre_rows, column_means, covariance_lower};
pub use eigen::SymmetricEigen;
pub use product::dot_rows;
pub use randomized::{Truncated, randomized_svd, standard_normal};
