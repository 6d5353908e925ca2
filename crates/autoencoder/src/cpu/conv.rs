//! "Same" 2-D convolution (stride 1, odd square kernel, zero padding `k / 2`) of one image:
//! the image copied into zero-padded planes, then the register-tiled products of
//! [`super::kernel`], which read every kernel tap straight from those planes (an implicit
//! im2col). Forward, weight gradient, and the input gradient as the forward convolution with
//! transposed, flipped kernels.

#[cfg(target_arch = "x86_64")]
use super::bf16;
use super::kernel::{self, Forward, GradImage, Isa, PIXEL_STEP};
use super::rows::Spread;
use super::simd::Fold;
use super::sized;
use crate::kernels::Precision;

/// A convolution's kernels prepared for its forward product ([`Conv::weights`]).
pub(crate) enum Weights<'a> {
    /// `f32` kernels and the taps of [`Conv::taps`].
    F32 { taps: Vec<usize>, weight: &'a [f32] },
    /// Kernels in bf16 channel pairs ([`bf16::pack_kernels`]) and the taps of the convolution
    /// with half the channels (rounded up).
    #[cfg(target_arch = "x86_64")]
    Bf16 { taps: Vec<usize>, pairs: Vec<u32> },
}

/// The input of a forward product.
enum Input<'a> {
    /// An image, `c x h x w`.
    Image(&'a [f32]),
    /// An image's planes padded by [`Conv::pad`].
    Padded(&'a [f32]),
}

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

    /// The kernels `weight` (`o x c x k x k`) prepared for [`Conv::forward`] in `precision`
    /// (which this CPU runs). With one input channel the products stay in `f32`: a channel
    /// pair would hold one channel and a zero, as many instructions as `f32` takes.
    pub fn weights<'a>(&self, weight: &'a [f32], precision: Precision) -> Weights<'a> {
        match precision {
            #[cfg(target_arch = "x86_64")]
            Precision::Bf16 if self.c > 1 => Weights::Bf16 {
                taps: Self {
                    c: self.c.div_ceil(2),
                    ..*self
                }
                .taps(),
                pairs: bf16::pack_kernels(weight, self.o, self.c, self.k * self.k),
            },
            _ => Weights::F32 {
                taps: self.taps(),
                weight,
            },
        }
    }

    /// Length of one image's zero-padded planes ([`Conv::pad`]).
    pub fn padded_len(&self) -> usize {
        self.c * self.padded().1
    }

    /// Copies the image's planes into zero-padded planes ([`Conv::padded_len`] values).
    pub fn pad(&self, image: &[f32], out: &mut [f32]) {
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

    /// `y (o x h x w) = max(conv(x) [+ bias], floor)`, with `weights` from [`Conv::weights`]
    /// (`floor` 0 for a ReLU, −∞ for none). `scratch` is resized as needed.
    pub fn forward(
        &self,
        weights: &Weights<'_>,
        bias: Option<&[f32]>,
        floor: f32,
        x: &[f32],
        y: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        self.product(weights, bias, floor, Input::Image(x), y, scratch);
    }

    /// [`Conv::forward`] of an input already padded by [`Conv::pad`].
    pub fn forward_padded(
        &self,
        weights: &Weights<'_>,
        bias: Option<&[f32]>,
        floor: f32,
        padded: &[f32],
        y: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        self.product(weights, bias, floor, Input::Padded(padded), y, scratch);
    }

    /// [`Conv::forward`] of either input: the products into the padded-width layout in
    /// `scratch` (after the padded image, when `f32` products pad it there), then un-padded
    /// into `y`.
    fn product(
        &self,
        weights: &Weights<'_>,
        bias: Option<&[f32]>,
        floor: f32,
        input: Input<'_>,
        y: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        let p_len = match (weights, &input) {
            (Weights::F32 { .. }, Input::Image(_)) => self.padded_len(),
            _ => 0,
        };
        let scratch = sized(scratch, p_len + self.o * self.out_len());
        let (padded, out) = scratch.split_at_mut(p_len);
        match weights {
            Weights::F32 { taps, weight } => {
                let p = match input {
                    Input::Image(x) => {
                        self.pad(x, padded);
                        &*padded
                    }
                    Input::Padded(p) => p,
                };
                kernel::forward(Isa::detect(), self.operands(weight, taps, p, &mut *out));
            }
            #[cfg(target_arch = "x86_64")]
            Weights::Bf16 { taps, pairs } => self.bf16_product(pairs, taps, input, &mut *out),
        }
        let layout = Spread {
            w: self.w,
            plane_in: self.hw(),
            plane_out: self.out_len(),
            stride: self.padded().0,
            offset: 0,
        };
        layout.gather(out, y, bias, floor);
    }

    /// The bf16 products of [`Conv::product`] into `out`: the image's channels paired, then
    /// padded (half the planes to pad), or padded planes paired as they are.
    #[cfg(target_arch = "x86_64")]
    fn bf16_product(&self, pairs: &[u32], taps: &[usize], input: Input<'_>, out: &mut [f32]) {
        let run = |p: &[u32]| bf16::forward(self.operands(pairs, taps, p, out));
        match input {
            Input::Image(x) => {
                let halved = Self {
                    c: self.c.div_ceil(2),
                    ..*self
                };
                let pad = |image: &[f32], out: &mut [f32]| halved.pad(image, out);
                let shape = (self.c, self.hw(), halved.padded_len());
                bf16::with_padded_pairs(x, shape, pad, run);
            }
            Input::Padded(p) => bf16::with_pairs(p, self.c, self.padded().1, run),
        }
    }

    /// The operands of this convolution's forward product: kernels `w` with taps `offs` over
    /// the padded input `p`, into `out` in the padded-width layout.
    fn operands<'a, E>(
        &self,
        w: &'a [E],
        offs: &'a [usize],
        p: &'a [E],
        out: &'a mut [f32],
    ) -> Forward<'a, E> {
        let n = self.out_len();
        Forward {
            w,
            m: self.o,
            offs,
            p,
            n,
            out,
            out_stride: n,
        }
    }

    /// Adds the weight and bias gradients of the images: `dw += Σ dy · colsᵀ` (its products
    /// in `precision`), `db += Σ row sums of dy`, with `taps` from [`Conv::taps`]. The images
    /// are summed in order, in one pass of the kernel (its horizontal sums shared by all of
    /// them).
    pub fn weight_grad(
        &self,
        taps: &[usize],
        images: &[GradOperands<'_>],
        precision: Precision,
        dw: &mut [f32],
        db: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        let hw = self.hw();
        for image in images {
            for (d, row) in db.iter_mut().zip(image.dy.chunks_exact(hw)) {
                *d += Fold::Sum.over(row, &[]);
            }
        }
        let (wp, plane) = self.padded();
        let p_len = self.padded_len();
        let scratch = sized(scratch, images.len() * p_len);
        for (image, p) in images.iter().zip(scratch.chunks_exact_mut(p_len)) {
            self.pad(image.x, p);
        }
        // In a padded plane, the rows from the first value's place on are the padded-width
        // layout of the products, zeros between the rows and after them.
        let first = self.k / 2 * (wp + 1);
        let operands: Vec<GradImage<'_>> = scratch
            .chunks_exact(p_len)
            .zip(images)
            .map(|(p, image)| GradImage {
                g: &image.dy_padded[first..],
                g_stride: plane,
                p,
            })
            .collect();
        let n = self.out_len();
        match precision {
            #[cfg(target_arch = "x86_64")]
            Precision::Bf16 => bf16::weight_grad(&operands, self.o, taps, n, dw),
            _ => kernel::weight_grad(Isa::detect(), &operands, self.o, taps, n, dw),
        }
    }
}

/// One image's operands of [`Conv::weight_grad`]: its input `x`, the gradient `dy` of the
/// output, and `dy` in zero-padded planes (`conv.transposed().pad(dy, dy_padded)`, the input
/// of the input gradient's convolution).
pub(crate) struct GradOperands<'a> {
    pub x: &'a [f32],
    pub dy: &'a [f32],
    pub dy_padded: &'a [f32],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::test_values as values;
    use candle_core::{Device, Tensor, Var};

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
            let weights = conv.weights(&wt, Precision::F32);
            conv.forward(&weights, Some(&b), none, &x, &mut y, &mut scratch);
            assert_close(conv, &y, &reference.y, "forward");

            let mut relu = vec![0.0; o * hw];
            let floor = 0.0;
            conv.forward(&weights, Some(&b), floor, &x, &mut relu, &mut scratch);
            let rectified = reference.y.iter().map(|v| v.max(0.0));
            assert_close(conv, &relu, &rectified.collect::<Vec<_>>(), "ReLU");

            let (mut dw, mut db) = (vec![0.5; wt.len()], vec![0.5; o]);
            let transposed = conv.transposed();
            let mut g_padded = vec![f32::NAN; transposed.padded_len()];
            transposed.pad(&g, &mut g_padded);
            let image = GradOperands {
                x: &x,
                dy: &g,
                dy_padded: &g_padded,
            };
            let f32 = Precision::F32;
            conv.weight_grad(&conv.taps(), &[image], f32, &mut dw, &mut db, &mut scratch);
            let dw: Vec<f32> = dw.iter().map(|v| v - 0.5).collect();
            let db: Vec<f32> = db.iter().map(|v| v - 0.5).collect();
            assert_close(conv, &dw, &reference.dw, "weight gradient");
            let db_ref: Vec<f32> = g.chunks(hw).map(|r| r.iter().sum()).collect();
            assert_close(conv, &db, &db_ref, "bias gradient");

            let mut flipped = Vec::new();
            conv.transpose_flip(&wt, &mut flipped);
            let mut dx = vec![0.0; c * hw];
            let weights = transposed.weights(&flipped, Precision::F32);
            let none = f32::NEG_INFINITY;
            transposed.forward(&weights, None, none, &g, &mut dx, &mut scratch);
            assert_close(conv, &dx, &reference.dx, "input gradient");
            let mut again = vec![0.0; c * hw];
            let padded = &g_padded;
            transposed.forward_padded(&weights, None, none, padded, &mut again, &mut scratch);
            assert_eq!(again, dx, "{conv:?} input gradient from padded planes");
        }
    }

    /// The forward product in bf16 (where the CPU has it), odd channel counts included, stays
    /// within the rounding of its operands (8 significant bits each: 2⁻⁷ of the sum of the
    /// products' magnitudes) of the `f32` product, and reads padded planes as it reads images;
    /// one input channel stays in `f32`.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn bf16_forward_within_rounding_of_f32() {
        if !Precision::Bf16.is_available() {
            return;
        }
        let mut scratch = Vec::new();
        for conv in shapes() {
            let (x, wt) = (values(conv.c * conv.hw(), 5), values(conv.weight_len(), 6));
            let run = |x: &[f32], wt: &[f32], precision, scratch: &mut Vec<f32>| {
                let mut y = vec![0.0; conv.o * conv.hw()];
                let weights = conv.weights(wt, precision);
                conv.forward(&weights, None, f32::NEG_INFINITY, x, &mut y, scratch);
                y
            };
            let exact = run(&x, &wt, Precision::F32, &mut scratch);
            let rounded = run(&x, &wt, Precision::Bf16, &mut scratch);
            let abs = |v: &[f32]| v.iter().map(|v| v.abs()).collect::<Vec<_>>();
            let scale = run(&abs(&x), &abs(&wt), Precision::F32, &mut scratch);
            for ((e, r), s) in exact.iter().zip(&rounded).zip(&scale) {
                assert!((e - r).abs() <= s / 128.0 + 1e-6, "{conv:?}: {e} vs {r}");
            }
            match conv.c {
                1 => assert_eq!(exact, rounded, "{conv:?}: one channel stays f32"),
                _ => assert_ne!(exact, rounded, "{conv:?}: rounded to bf16"),
            }
            let mut padded = vec![f32::NAN; conv.padded_len()];
            conv.pad(&x, &mut padded);
            let mut again = vec![0.0; exact.len()];
            let weights = conv.weights(&wt, Precision::Bf16);
            let none = f32::NEG_INFINITY;
            conv.forward_padded(&weights, None, none, &padded, &mut again, &mut scratch);
            assert_eq!(again, rounded, "{conv:?}: from padded planes");
        }
    }
}
