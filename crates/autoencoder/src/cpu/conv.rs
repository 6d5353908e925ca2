//! "Same" 2-D convolution (stride 1, odd square kernel, zero padding `k / 2`) of one image:
//! the image copied into zero-padded planes, then the register-tiled products of
//! [`super::kernel`], which read every kernel tap straight from those planes (an implicit
//! im2col). Forward, weight gradient, and the input gradient as the forward convolution with
//! transposed, flipped kernels.

use super::kernel::{self, Forward, GradImage, Isa, PIXEL_STEP};
use super::rows::{Spread, unpad};
use super::simd::Fold;

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

    /// Outputs per plane in the padded-width layout (`h` rows of `w + k − 1`), rounded up to
    /// the kernels' step.
    fn out_len(&self) -> usize {
        (self.h * (self.w + self.k - 1)).next_multiple_of(PIXEL_STEP)
    }

    /// Padded row length and the length of one padded plane: `h + k − 1` rows of `w + k − 1`,
    /// and enough zeros after them that every tap of every output of [`Conv::out_len`] reads
    /// inside the plane.
    fn padded(&self) -> (usize, usize) {
        let wp = self.w + self.k - 1;
        (wp, (self.k - 1) * (wp + 1) + self.out_len())
    }

    /// Where row `ic · k² + t` of the implicit im2col matrix (input channel `ic`, tap `t`,
    /// row-major in the kernel) starts in the padded planes: one offset per kernel weight of an
    /// output channel.
    pub fn taps(&self) -> Vec<usize> {
        let (wp, plane) = self.padded();
        let k2 = self.k * self.k;
        (0..self.ckk())
            .map(|r| (r / k2) * plane + (r % k2 / self.k) * wp + r % self.k)
            .collect()
    }

    /// Copies the image's planes into zero-padded planes of [`Conv::padded`] length.
    fn pad(&self, image: &[f32], out: &mut [f32]) {
        let (wp, plane) = self.padded();
        let pad = self.k / 2;
        let layout = Spread {
            w: self.w,
            plane_in: self.hw(),
            plane_out: plane,
            stride: wp,
            offset: pad * wp + pad,
        };
        layout.run(image, out);
    }

    /// `y (o x h x w) = max(conv(x) [+ bias], floor)`, with `taps` from [`Conv::taps`]
    /// (`floor` 0 for a ReLU, −∞ for none). `scratch` is resized as needed.
    #[allow(clippy::too_many_arguments)]
    pub fn forward(
        &self,
        taps: &[usize],
        weight: &[f32],
        bias: Option<&[f32]>,
        floor: f32,
        x: &[f32],
        y: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        let (wp, plane) = self.padded();
        let n = self.out_len();
        scratch.resize(self.c * plane + self.o * n, 0.0);
        let (padded, out) = scratch.split_at_mut(self.c * plane);
        self.pad(x, padded);
        let product = Forward {
            w: weight,
            m: self.o,
            offs: taps,
            p: padded,
            n,
            out,
            out_stride: n,
        };
        kernel::forward(Isa::detect(), product);
        for (ch, (dst, src)) in y
            .chunks_exact_mut(self.hw())
            .zip(out.chunks_exact(n))
            .enumerate()
        {
            unpad(dst, src, self.w, wp, bias.map_or(0.0, |b| b[ch]), floor);
        }
    }

    /// Adds the weight and bias gradients of the images `(x, dy)`: `dw += Σ dy · colsᵀ`,
    /// `db += Σ row sums of dy`, with `taps` from [`Conv::taps`]. The images are summed in
    /// order, in one pass of the kernel (its horizontal sums shared by all of them).
    pub fn weight_grad(
        &self,
        taps: &[usize],
        images: &[(&[f32], &[f32])],
        dw: &mut [f32],
        db: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        let hw = self.hw();
        for (_, dy) in images {
            for (d, row) in db.iter_mut().zip(dy.chunks_exact(hw)) {
                *d += Fold::Sum.over(row, &[]);
            }
        }
        let (wp, plane) = self.padded();
        let n = self.out_len();
        let (p_len, g_len) = (self.c * plane, self.o * n);
        scratch.resize(images.len() * (p_len + g_len), 0.0);
        let (padded, gs) = scratch.split_at_mut(images.len() * p_len);
        for (((x, dy), p), g) in images
            .iter()
            .zip(padded.chunks_exact_mut(p_len))
            .zip(gs.chunks_exact_mut(g_len))
        {
            self.pad(x, p);
            let layout = Spread {
                w: self.w,
                plane_in: hw,
                plane_out: n,
                stride: wp,
                offset: 0,
            };
            layout.run(dy, g);
        }
        let operands: Vec<GradImage<'_>> = padded
            .chunks_exact(p_len)
            .zip(gs.chunks_exact(g_len))
            .map(|(p, g)| GradImage { g, g_stride: n, p })
            .collect();
        kernel::weight_grad(Isa::detect(), &operands, self.o, taps, n, dw);
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
            let none = f32::NEG_INFINITY;
            conv.forward(&conv.taps(), &wt, Some(&b), none, &x, &mut y, &mut scratch);
            assert_close(conv, &y, &reference.y, "forward");

            let mut relu = vec![0.0; o * hw];
            let floor = 0.0;
            conv.forward(
                &conv.taps(),
                &wt,
                Some(&b),
                floor,
                &x,
                &mut relu,
                &mut scratch,
            );
            let rectified = reference.y.iter().map(|v| v.max(0.0));
            assert_close(conv, &relu, &rectified.collect::<Vec<_>>(), "ReLU");

            let (mut dw, mut db) = (vec![0.5; wt.len()], vec![0.5; o]);
            conv.weight_grad(&conv.taps(), &[(&x, &g)], &mut dw, &mut db, &mut scratch);
            let dw: Vec<f32> = dw.iter().map(|v| v - 0.5).collect();
            let db: Vec<f32> = db.iter().map(|v| v - 0.5).collect();
            assert_close(conv, &dw, &reference.dw, "weight gradient");
            let db_ref: Vec<f32> = g.chunks(hw).map(|r| r.iter().sum()).collect();
            assert_close(conv, &db, &db_ref, "bias gradient");

            let mut flipped = Vec::new();
            conv.transpose_flip(&wt, &mut flipped);
            let mut dx = vec![0.0; c * hw];
            let transposed = conv.transposed();
            transposed.forward(
                &transposed.taps(),
                &flipped,
                None,
                f32::NEG_INFINITY,
                &g,
                &mut dx,
                &mut scratch,
            );
            assert_close(conv, &dx, &reference.dx, "input gradient");
        }
    }
}
