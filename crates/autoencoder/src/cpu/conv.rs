//! "Same" 2-D convolution (stride 1, odd square kernel, zero padding `k / 2`) of one image:
//! im2col + one matrix product, or, for a single output channel, a direct kernel over a
//! zero-padded copy of the input. Forward, weight gradient, and the input gradient as the
//! forward convolution with transposed, flipped kernels.

use super::matmul::{View, matmul};
use super::simd::{Fold, axpy, dot};

/// One convolution: `c` input channels, `o` output channels, `h x w` images, `k x k` kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Conv {
    pub c: usize,
    pub o: usize,
    pub h: usize,
    pub w: usize,
    pub k: usize,
}

impl Conv {
    pub fn hw(&self) -> usize {
        self.h * self.w
    }

    fn ckk(&self) -> usize {
        self.c * self.k * self.k
    }

    /// Length of the weight tensor `o x c x k x k`.
    pub fn weight_len(&self) -> usize {
        self.o * self.ckk()
    }

    /// The convolution that maps output gradients to input gradients (`o` and `c` swapped).
    pub fn transposed(&self) -> Self {
        Self {
            c: self.o,
            o: self.c,
            ..*self
        }
    }

    /// Kernels of [`Conv::transposed`]: `w'[c][o][ky][kx] = w[o][c][k-1-ky][k-1-kx]`.
    pub fn transpose_flip(&self, weight: &[f32], out: &mut Vec<f32>) {
        let (k2, c, o) = (self.k * self.k, self.c, self.o);
        out.resize(weight.len(), 0.0);
        for oc in 0..o {
            for ic in 0..c {
                let src = &weight[(oc * c + ic) * k2..(oc * c + ic + 1) * k2];
                let dst = &mut out[(ic * o + oc) * k2..(ic * o + oc + 1) * k2];
                for (d, s) in dst.iter_mut().zip(src.iter().rev()) {
                    *d = *s;
                }
            }
        }
    }

    /// Padded row length and the length of one padded plane (plus `k` zeros of slack, so that
    /// every tap of the padded-width output reads inside the plane).
    fn padded(&self) -> (usize, usize) {
        let wp = self.w + self.k - 1;
        (wp, (self.h + self.k - 1) * wp + self.k)
    }

    /// Copies the image's planes into zero-padded planes of [`Conv::padded`] length.
    fn pad(&self, image: &[f32], out: &mut [f32]) {
        let (wp, plane) = self.padded();
        let (h, w, pad) = (self.h, self.w, self.k / 2);
        out.fill(0.0);
        for (src, dst) in image.chunks_exact(h * w).zip(out.chunks_exact_mut(plane)) {
            for (y, row) in src.chunks_exact(w).enumerate() {
                let start = (y + pad) * wp + pad;
                dst[start..start + w].copy_from_slice(row);
            }
        }
    }

    /// Offset of tap `t` (row-major in the kernel) in a padded plane.
    fn tap_offset(&self, t: usize) -> usize {
        let wp = self.padded().0;
        (t / self.k) * wp + t % self.k
    }

    /// Rows of `cols` (`ckk x h·(w + k − 1)`) hold the padded planes shifted by every tap: one
    /// contiguous copy per row, in the padded-width layout.
    fn im2col(&self, padded: &[f32], cols: &mut [f32]) {
        let (wp, plane) = self.padded();
        let (k2, len) = (self.k * self.k, self.h * wp);
        for (r, row) in cols.chunks_exact_mut(len).enumerate() {
            let start = (r / k2) * plane + self.tap_offset(r % k2);
            row.copy_from_slice(&padded[start..start + len]);
        }
    }

    /// `y (o x h x w) = conv(x) [+ bias]`. `scratch` is resized as needed.
    pub fn forward(
        &self,
        weight: &[f32],
        bias: Option<&[f32]>,
        x: &[f32],
        y: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        if self.o == 1 {
            self.forward_single(weight, x, y, scratch);
        } else {
            let (wp, plane) = self.padded();
            let (ckk, len) = (self.ckk(), self.h * wp);
            scratch.resize(self.c * plane + ckk * len + self.o * len, 0.0);
            let (padded, rest) = scratch.split_at_mut(self.c * plane);
            let (cols, out) = rest.split_at_mut(ckk * len);
            self.pad(x, padded);
            self.im2col(padded, cols);
            matmul(
                out,
                View::rows(weight, self.o, ckk),
                View::rows(cols, ckk, len),
                false,
            );
            for (dst, src) in y.chunks_exact_mut(self.w).zip(out.chunks_exact(wp)) {
                dst.copy_from_slice(&src[..self.w]);
            }
        }
        if let Some(bias) = bias {
            for (row, b) in y.chunks_exact_mut(self.hw()).zip(bias) {
                row.iter_mut().for_each(|v| *v += b);
            }
        }
    }

    /// One output channel: every tap adds a shifted padded plane, in a padded-width layout
    /// (`h` rows of `w + k - 1`, the extra columns discarded).
    fn forward_single(&self, weight: &[f32], x: &[f32], y: &mut [f32], scratch: &mut Vec<f32>) {
        let (wp, plane) = self.padded();
        let len = self.h * wp;
        scratch.resize(self.c * plane + len, 0.0);
        let (padded, acc) = scratch.split_at_mut(self.c * plane);
        self.pad(x, padded);
        acc.fill(0.0);
        for (taps, p) in weight
            .chunks_exact(self.k * self.k)
            .zip(padded.chunks_exact(plane))
        {
            for (t, &wt) in taps.iter().enumerate() {
                let off = self.tap_offset(t);
                axpy(acc, wt, &p[off..off + len]);
            }
        }
        for (dst, src) in y.chunks_exact_mut(self.w).zip(acc.chunks_exact(wp)) {
            dst.copy_from_slice(&src[..self.w]);
        }
    }

    /// Adds this image's weight and bias gradients: `dw += dy · colsᵀ`, `db += row sums of dy`.
    pub fn weight_grad(
        &self,
        x: &[f32],
        dy: &[f32],
        dw: &mut [f32],
        db: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        let hw = self.hw();
        for (d, row) in db.iter_mut().zip(dy.chunks_exact(hw)) {
            *d += Fold::Sum.over(row, &[]);
        }
        let (wp, plane) = self.padded();
        let len = self.h * wp;
        let (ckk, o) = (self.ckk(), self.o);
        let cols_len = if o == 1 { 0 } else { ckk * len };
        scratch.resize(self.c * plane + o * len + cols_len, 0.0);
        let (padded, rest) = scratch.split_at_mut(self.c * plane);
        let (g, cols) = rest.split_at_mut(o * len);
        self.pad(x, padded);
        g.fill(0.0);
        for (dst, src) in g.chunks_exact_mut(wp).zip(dy.chunks_exact(self.w)) {
            dst[..self.w].copy_from_slice(src);
        }
        if o == 1 {
            // One output channel: each weight's gradient is a dot product of the padded-width
            // output gradient with a shifted padded input plane.
            for (taps, p) in dw
                .chunks_exact_mut(self.k * self.k)
                .zip(padded.chunks_exact(plane))
            {
                for (t, d) in taps.iter_mut().enumerate() {
                    let off = self.tap_offset(t);
                    *d += dot(g, &p[off..off + len]);
                }
            }
            return;
        }
        self.im2col(padded, cols);
        matmul(
            dw,
            View::rows(g, o, len),
            View::rows(cols, ckk, len).t(),
            true,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor, Var};

    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (((i * 7919 + seed * 104_729) % 1000) as f32 / 500.0) - 1.0)
            .collect()
    }

    /// The shapes tested: generic, one input channel, one output channel (the direct kernel),
    /// and kernels larger than the image.
    fn shapes() -> [Conv; 5] {
        let conv = |c, o, h, w, k| Conv { c, o, h, w, k };
        [
            conv(3, 4, 6, 5, 3),
            conv(1, 5, 4, 8, 3),
            conv(6, 1, 4, 4, 3),
            conv(2, 1, 3, 5, 5),
            conv(2, 3, 2, 2, 5),
        ]
    }

    /// What candle computes for one image `x`, kernels `wt`, bias `b` and output gradient `g`:
    /// the output, and by autograd the weight and input gradients of `sum(y · g)`.
    struct Candle {
        y: Vec<f32>,
        dw: Vec<f32>,
        dx: Vec<f32>,
    }

    fn candle(conv: Conv, x: &[f32], wt: &[f32], b: &[f32], g: &[f32]) -> Candle {
        let (c, o, h, w, k) = (conv.c, conv.o, conv.h, conv.w, conv.k);
        let dev = Device::Cpu;
        let tensor = |v: &[f32], shape: (usize, usize, usize, usize)| {
            Tensor::from_vec(v.to_vec(), shape, &dev).unwrap()
        };
        let xv = Var::from_tensor(&tensor(x, (1, c, h, w))).unwrap();
        let wv = Var::from_tensor(&tensor(wt, (o, c, k, k))).unwrap();
        let y = xv
            .conv2d(&wv, k / 2, 1, 1, 1)
            .unwrap()
            .broadcast_add(&tensor(b, (1, o, 1, 1)))
            .unwrap();
        let loss = (&y * &tensor(g, (1, o, h, w))).unwrap().sum_all().unwrap();
        let grads = loss.backward().unwrap();
        let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        Candle {
            y: flat(&y),
            dw: flat(grads.get(&wv).unwrap()),
            dx: flat(grads.get(&xv).unwrap()),
        }
    }

    fn assert_close(conv: Conv, a: &[f32], b: &[f32], what: &str) {
        assert_eq!(a.len(), b.len());
        for (i, (p, q)) in a.iter().zip(b).enumerate() {
            assert!((p - q).abs() < 1e-4, "{conv:?} {what}[{i}]: {p} vs {q}");
        }
    }

    /// Forward, weight/bias gradient and input gradient against candle's `conv2d` and its
    /// autograd, for the generic and the single-output kernels and a kernel larger than the image.
    #[test]
    fn matches_candle_conv2d_and_its_gradients() {
        for conv in shapes() {
            let (c, o, hw) = (conv.c, conv.o, conv.hw());
            let (x, wt, b, g) = (
                values(c * hw, 1),
                values(conv.weight_len(), 2),
                values(o, 3),
                values(o * hw, 4),
            );
            let reference = candle(conv, &x, &wt, &b, &g);

            let mut scratch = Vec::new();
            let mut y = vec![0.0; o * hw];
            conv.forward(&wt, Some(&b), &x, &mut y, &mut scratch);
            assert_close(conv, &y, &reference.y, "forward");

            let (mut dw, mut db) = (vec![0.5; wt.len()], vec![0.5; o]);
            conv.weight_grad(&x, &g, &mut dw, &mut db, &mut scratch);
            let dw: Vec<f32> = dw.iter().map(|v| v - 0.5).collect();
            let db: Vec<f32> = db.iter().map(|v| v - 0.5).collect();
            assert_close(conv, &dw, &reference.dw, "weight gradient");
            let db_ref: Vec<f32> = g.chunks(hw).map(|r| r.iter().sum()).collect();
            assert_close(conv, &db, &db_ref, "bias gradient");

            let mut flipped = Vec::new();
            conv.transpose_flip(&wt, &mut flipped);
            let mut dx = vec![0.0; c * hw];
            conv.transposed()
                .forward(&flipped, None, &g, &mut dx, &mut scratch);
            assert_close(conv, &dx, &reference.dx, "input gradient");
        }
    }
}
