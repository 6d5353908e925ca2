//! A bounds-checked wrapper around the `gemm` crate's strided single-threaded matrix product.

/// A strided read-only view of a `rows x cols` matrix inside a slice.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> View<'a> {
    /// A row-major `rows x cols` matrix.
    pub fn rows(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose (no copy).
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    fn check(&self) {
        if self.rows > 0 && self.cols > 0 {
            let last = (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride;
            assert!(last < self.data.len(), "matrix view out of bounds");
        }
    }
}

/// `dst (row-major a.rows x b.cols) = [dst +] a * b`, on the calling thread.
///
/// Sequential on purpose: callers parallelise over images in fixed chunks, which keeps results
/// identical on any number of threads.
pub(crate) fn matmul(dst: &mut [f32], a: View<'_>, b: View<'_>, accumulate: bool) {
    assert_eq!(a.cols, b.rows, "inner dimensions differ");
    assert!(dst.len() >= a.rows * b.cols, "destination too small");
    a.check();
    b.check();
    if a.rows == 0 || b.cols == 0 {
        return;
    }
    if a.cols == 0 {
        if !accumulate {
            dst[..a.rows * b.cols].fill(0.0);
        }
        return;
    }
    // SAFETY: every index the product reads or writes was bounds-checked above: `a` and `b`
    // through `check`, `dst` as a dense row-major `a.rows x b.cols` block.
    unsafe {
        gemm::gemm(
            a.rows,
            b.cols,
            a.cols,
            dst.as_mut_ptr(),
            1,
            b.cols as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_and_transposes_match_a_naive_loop() {
        let a: Vec<f32> = (0..6).map(|v| v as f32).collect(); // 2 x 3
        let b: Vec<f32> = (0..12).map(|v| (v as f32) * 0.5 - 1.0).collect(); // 3 x 4
        let mut c = vec![0.0; 8];
        matmul(&mut c, View::rows(&a, 2, 3), View::rows(&b, 3, 4), false);
        for i in 0..2 {
            for j in 0..4 {
                let want: f32 = (0..3).map(|k| a[i * 3 + k] * b[k * 4 + j]).sum();
                assert!((c[i * 4 + j] - want).abs() < 1e-5);
            }
        }
        // (b^T a^T)^T = a b: accumulate b^T a^T into a zeroed 4 x 2 and compare.
        let mut ct = vec![1.0; 8];
        matmul(
            &mut ct,
            View::rows(&b, 3, 4).t(),
            View::rows(&a, 2, 3).t(),
            true,
        );
        for i in 0..2 {
            for j in 0..4 {
                assert!((ct[j * 2 + i] - 1.0 - c[i * 4 + j]).abs() < 1e-5);
            }
        }
    }
}
