//! [`RowMajor`]: the one matrix view that crosses crate boundaries.
//!
//! The public APIs take nalgebra's `DMatrix<f32>` (samples as rows, stored column-major, so each
//! feature is contiguous). Hot loops want the other layout, each sample contiguous: that view,
//! and the conversions between the two, are written here once.

use nalgebra::{DMatrix, DMatrixView, Dyn};
use rayon::prelude::*;

use crate::validate::InputError;

/// A borrowed `rows x cols` matrix in row-major order: sample `i` is
/// `as_slice()[i * cols..(i + 1) * cols]`.
///
/// ```
/// use fmnist_core::RowMajor;
///
/// let pixels = [0u8, 255, 51, 102];
/// let images = RowMajor::new(&pixels, 2, 2)?;
/// assert_eq!(images.row(1), &[51, 102]);
/// let x = images.to_unit_floats();
/// assert_eq!(x[(0, 1)], 1.0);
/// assert_eq!(fmnist_core::to_row_major(&x, &[0f32; 2]), [0.0, 1.0, 0.2, 0.4]);
/// # Ok::<(), fmnist_core::InputError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowMajor<'a, T = f32> {
    data: &'a [T],
    rows: usize,
    cols: usize,
}

impl<'a, T> RowMajor<'a, T> {
    /// A view of `data` as `rows x cols`.
    ///
    /// # Errors
    /// [`InputError::Shape`] unless `data.len() == rows * cols`.
    pub fn new(data: &'a [T], rows: usize, cols: usize) -> Result<Self, InputError> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(InputError::Shape {
                len: data.len(),
                rows,
                cols,
            });
        }
        Ok(Self { data, rows, cols })
    }

    /// Number of rows (samples).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (features, pixels).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The values, row after row.
    pub fn as_slice(&self) -> &'a [T] {
        self.data
    }

    /// Row `i`. Panics if `i >= rows`, as slice indexing does.
    pub fn row(&self, i: usize) -> &'a [T] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Rows `start..end` as a view of their own.
    pub fn rows_range(&self, start: usize, end: usize) -> RowMajor<'a, T> {
        RowMajor {
            data: &self.data[start * self.cols..end * self.cols],
            rows: end - start,
            cols: self.cols,
        }
    }
}

impl<'a, T: nalgebra::Scalar> RowMajor<'a, T> {
    /// The same values as a nalgebra matrix view, without a copy (a strided view: the next
    /// column is 1 value on, the next row `cols` values on).
    pub fn as_nalgebra(&self) -> DMatrixView<'a, T, Dyn, Dyn> {
        DMatrixView::from_slice_with_strides_generic(
            self.data,
            Dyn(self.rows),
            Dyn(self.cols),
            Dyn(self.cols.max(1)),
            Dyn(1),
        )
    }
}

impl<'a> RowMajor<'a, f32> {
    /// The samples-as-rows `DMatrix` of these values (one copy).
    pub fn to_matrix(&self) -> DMatrix<f32> {
        DMatrix::from_row_slice(self.rows, self.cols, self.data)
    }
}

impl<'a> RowMajor<'a, u8> {
    /// The images as a `DMatrix<f32>` scaled to [0, 1] (`pixel / 255`), one row per image.
    pub fn to_unit_floats(&self) -> DMatrix<f32> {
        let row = |i: usize| &self.data[i * self.cols..(i + 1) * self.cols];
        from_rows(self.rows, self.cols, row, |p| f32::from(p) / 255.0)
    }
}

/// The `n x d` matrix (samples as rows, column-major) whose row `i` is `map` of each value of
/// `row(i)` (`d` values). Blocked and parallel over columns: each task writes its own columns,
/// reading a block of rows at a time, so reads and writes both stay in cache.
///
/// # Panics
/// When a row is shorter than `d`.
pub fn from_rows<'a, S, T>(
    n: usize,
    d: usize,
    row: impl Fn(usize) -> &'a [S] + Sync,
    map: impl Fn(S) -> T + Sync,
) -> DMatrix<T>
where
    S: Copy + Sync + 'a,
    T: nalgebra::Scalar + Copy + Default + Send + Sync,
{
    /// Rows per block and columns per task.
    const BLOCK: usize = 64;
    const COLUMNS: usize = 64;
    let mut data = vec![T::default(); n * d];
    if n > 0 {
        data.par_chunks_mut(COLUMNS * n)
            .enumerate()
            .for_each(|(task, out)| {
                let j0 = task * COLUMNS;
                let columns = out.len() / n;
                for r0 in (0..n).step_by(BLOCK) {
                    for r in r0..(r0 + BLOCK).min(n) {
                        let values = &row(r)[j0..j0 + columns];
                        for (c, &v) in values.iter().enumerate() {
                            out[c * n + r] = map(v);
                        }
                    }
                }
            });
    }
    DMatrix::from_vec(n, d, data)
}

/// The rows of `x` (samples x features, column-major) minus `shift` (one value per feature),
/// laid out row-major as `T`. Blocked and parallel: reads and writes both stay in cache.
pub fn to_row_major<T>(x: &DMatrix<f32>, shift: &[T]) -> Vec<T>
where
    T: Copy + Default + Send + Sync + From<f32> + std::ops::Sub<Output = T>,
{
    let (n, d) = x.shape();
    debug_assert_eq!(shift.len(), d);
    const BLOCK: usize = 64;
    let src = x.as_slice();
    let mut data = vec![T::default(); n * d];
    data.par_chunks_mut(BLOCK * d.max(1))
        .enumerate()
        .for_each(|(b, out)| {
            let r0 = b * BLOCK;
            let rows = out.len() / d.max(1);
            for (j, &s) in shift.iter().enumerate() {
                let col = &src[j * n + r0..j * n + r0 + rows];
                for (r, &v) in col.iter().enumerate() {
                    out[r * d + j] = T::from(v) - s;
                }
            }
        });
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_of_the_wrong_length_is_an_error() {
        assert_eq!(
            RowMajor::new(&[1.0f32, 2.0, 3.0], 2, 2),
            Err(InputError::Shape {
                len: 3,
                rows: 2,
                cols: 2
            })
        );
        assert!(RowMajor::new(&[0u8; 0], usize::MAX, 2).is_err());
    }

    #[test]
    fn views_and_copies_agree_with_nalgebra() {
        let x = DMatrix::from_fn(130, 3, |i, j| (i * 10 + j) as f32);
        let rows = to_row_major(&x, &[0f32; 3]);
        let view = RowMajor::new(&rows, 130, 3).unwrap();
        assert_eq!(view.row(129), &[1290.0, 1291.0, 1292.0]);
        assert_eq!(view.as_nalgebra(), x);
        assert_eq!(view.to_matrix(), x);
        assert_eq!(view.rows_range(2, 4).row(1), &[30.0, 31.0, 32.0]);
        let shifted = to_row_major::<f64>(&x, &[1.0, 2.0, 3.0]);
        assert_eq!(&shifted[..3], &[-1.0, -1.0, -1.0]);
    }

    /// Row counts and widths around the block and task sizes, none included.
    #[test]
    fn rows_map_into_the_matrix_they_describe() {
        for (n, d) in [(0, 5), (1, 1), (63, 15), (65, 17), (130, 33), (7, 784)] {
            let data: Vec<u8> = (0..n * d).map(|v| (v * 31 % 256) as u8).collect();
            let row = |i: usize| &data[i * d..(i + 1) * d];
            let x = from_rows(n, d, row, |p| f32::from(p) * 0.5);
            let want = DMatrix::from_fn(n, d, |i, j| f32::from(data[i * d + j]) * 0.5);
            assert_eq!(x, want, "{n} x {d}");
        }
        let image = RowMajor::new(&[0u8, 255, 51, 102, 3, 9], 3, 2).unwrap();
        assert_eq!(image.to_unit_floats()[(2, 1)], 9.0 / 255.0);
    }
}
