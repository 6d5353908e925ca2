//! "Same" 2-D convolution with bias (stride 1, odd square kernel) as a candle custom op:
//! im2col per image into a `(c·k·k) x (h·w)` matrix and one matrix product, forward and backward.

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::matmul::{View, matmul};
use super::{f32_slice, invalid};

/// Images per chunk when summing weight gradients: fixed, so that the summation order (and so
/// the result) does not depend on the number of threads.
const GRAD_CHUNK: usize = 8;

/// Shapes of one convolution: input `n x c x h x w`, kernel `o x c x k x k`.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    o: usize,
    k: usize,
}

impl Geometry {
    fn new(x: &Shape, kernel: &Shape) -> Result<Self> {
        let (n, c, h, w) = x.dims4()?;
        let (o, c2, k, k2) = kernel.dims4()?;
        if c2 != c || k != k2 || k % 2 == 0 {
            return Err(invalid(format!(
                "conv2d-same: kernel {kernel:?} does not fit input {x:?} (need o x {c} x k x k, k odd)"
            )));
        }
        Ok(Self { n, c, h, w, o, k })
    }

    fn hw(&self) -> usize {
        self.h * self.w
    }

    fn ckk(&self) -> usize {
        self.c * self.k * self.k
    }

    /// For a kernel offset `d` (tap minus padding), the output columns `lo..hi` whose input
    /// column `x + d` lies inside `0..len`.
    fn valid(d: isize, len: usize) -> (usize, usize) {
        let lo = (-d).max(0) as usize;
        let hi = (len as isize - d).clamp(0, len as isize) as usize;
        (lo.min(hi), hi)
    }

    /// Rows of `cols` (`ckk x hw`) hold the input shifted by every kernel tap, zero-padded.
    fn im2col(&self, image: &[f32], cols: &mut [f32]) {
        let (h, w, k, pad) = (self.h, self.w, self.k, (self.k / 2) as isize);
        for (r, row) in cols.chunks_exact_mut(self.hw()).enumerate() {
            let (c, ky, kx) = (r / (k * k), (r / k) % k, r % k);
            let (dy, dx) = (ky as isize - pad, kx as isize - pad);
            let plane = &image[c * h * w..(c + 1) * h * w];
            let (x_lo, x_hi) = Self::valid(dx, w);
            for (y, out) in row.chunks_exact_mut(w).enumerate() {
                let sy = y as isize + dy;
                if sy < 0 || sy >= h as isize {
                    out.fill(0.0);
                    continue;
                }
                let src = &plane[sy as usize * w..(sy as usize + 1) * w];
                out[..x_lo].fill(0.0);
                out[x_hi..].fill(0.0);
                let s_lo = (x_lo as isize + dx) as usize;
                out[x_lo..x_hi].copy_from_slice(&src[s_lo..s_lo + (x_hi - x_lo)]);
            }
        }
    }

    /// The adjoint of `im2col`: adds every row of `cols` back onto the (zeroed) image.
    fn col2im(&self, cols: &[f32], image: &mut [f32]) {
        let (h, w, k, pad) = (self.h, self.w, self.k, (self.k / 2) as isize);
        image.fill(0.0);
        for (r, row) in cols.chunks_exact(self.hw()).enumerate() {
            let (c, ky, kx) = (r / (k * k), (r / k) % k, r % k);
            let (dy, dx) = (ky as isize - pad, kx as isize - pad);
            let plane = &mut image[c * h * w..(c + 1) * h * w];
            let (x_lo, x_hi) = Self::valid(dx, w);
            let s_lo = (x_lo as isize + dx) as usize;
            for (y, src) in row.chunks_exact(w).enumerate() {
                let sy = y as isize + dy;
                if sy < 0 || sy >= h as isize {
                    continue;
                }
                let dst =
                    &mut plane[sy as usize * w + s_lo..sy as usize * w + s_lo + (x_hi - x_lo)];
                for (d, s) in dst.iter_mut().zip(&src[x_lo..x_hi]) {
                    *d += s;
                }
            }
        }
    }
}

/// `conv2d_same(x, weight, bias)`: `n x c x h x w` -> `n x o x h x w`, zero padding `k / 2`.
pub(crate) struct Conv2dSame;

impl CustomOp3 for Conv2dSame {
    fn name(&self) -> &'static str {
        "conv2d-same"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let g = Geometry::new(l1.shape(), l2.shape())?;
        let (x, weight, bias) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?, f32_slice(s3, l3)?);
        if bias.len() != g.o {
            return Err(invalid(format!(
                "conv2d-same: {} biases for {} filters",
                bias.len(),
                g.o
            )));
        }
        let (hw, ckk) = (g.hw(), g.ckk());
        let mut y = vec![0f32; g.n * g.o * hw];
        y.par_chunks_mut(g.o * hw)
            .zip(x.par_chunks(g.c * hw))
            .for_each_init(
                || vec![0f32; ckk * hw],
                |cols, (yi, xi)| {
                    g.im2col(xi, cols);
                    matmul(
                        yi,
                        View::rows(weight, g.o, ckk),
                        View::rows(cols, ckk, hw),
                        false,
                    );
                    for (row, b) in yi.chunks_exact_mut(hw).zip(bias) {
                        row.iter_mut().for_each(|v| *v += b);
                    }
                },
            );
        Ok((CpuStorage::F32(y), Shape::from((g.n, g.o, g.h, g.w))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let dx = if x.track_op() {
            Some(grad.apply_op2_no_bwd(weight, &ConvInputGrad)?)
        } else {
            None
        };
        let (o, c, k, _) = weight.dims4()?;
        let packed = x.apply_op2_no_bwd(&grad, &ConvParamGrad { o, k })?;
        let dw = packed
            .narrow(0, 0, o * c * k * k)?
            .reshape(weight.shape())?;
        let db = packed.narrow(0, o * c * k * k, o)?;
        Ok((dx, Some(dw), Some(db)))
    }
}

/// Gradient of the input: `(grad, weight)` -> `n x c x h x w`.
struct ConvInputGrad;

impl CustomOp2 for ConvInputGrad {
    fn name(&self) -> &'static str {
        "conv2d-same-input-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, o, h, w) = l1.shape().dims4()?;
        let c = l2.shape().dims4()?.1;
        let g = Geometry::new(&Shape::from((n, c, h, w)), l2.shape())?;
        if g.o != o {
            return Err(invalid("conv2d-same-input-grad: channel mismatch".into()));
        }
        let (grad, weight) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?);
        let (hw, ckk) = (g.hw(), g.ckk());
        let mut dx = vec![0f32; n * c * hw];
        dx.par_chunks_mut(c * hw)
            .zip(grad.par_chunks(o * hw))
            .for_each_init(
                || vec![0f32; ckk * hw],
                |cols, (dxi, gi)| {
                    matmul(
                        cols,
                        View::rows(weight, o, ckk).t(),
                        View::rows(gi, o, hw),
                        false,
                    );
                    g.col2im(cols, dxi);
                },
            );
        Ok((CpuStorage::F32(dx), Shape::from((n, c, h, w))))
    }
}

/// Gradients of weight and bias, packed: `(x, grad)` -> `[dw (o·c·k·k) | db (o)]`.
struct ConvParamGrad {
    o: usize,
    k: usize,
}

impl CustomOp2 for ConvParamGrad {
    fn name(&self) -> &'static str {
        "conv2d-same-param-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (_, c, _, _) = l1.shape().dims4()?;
        let kernel = Shape::from((self.o, c, self.k, self.k));
        let g = Geometry::new(l1.shape(), &kernel)?;
        if l2.shape().dims4()? != (g.n, g.o, g.h, g.w) {
            return Err(invalid(
                "conv2d-same-param-grad: gradient shape mismatch".into(),
            ));
        }
        let (x, grad) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?);
        let (hw, ckk, o) = (g.hw(), g.ckk(), g.o);
        let partials: Vec<Vec<f32>> = x
            .par_chunks(GRAD_CHUNK * g.c * hw)
            .zip(grad.par_chunks(GRAD_CHUNK * o * hw))
            .map(|(xs, gs)| {
                let mut acc = vec![0f32; o * ckk + o];
                let mut cols = vec![0f32; ckk * hw];
                for (xi, gi) in xs.chunks_exact(g.c * hw).zip(gs.chunks_exact(o * hw)) {
                    g.im2col(xi, &mut cols);
                    let (dw, db) = acc.split_at_mut(o * ckk);
                    matmul(
                        dw,
                        View::rows(gi, o, hw),
                        View::rows(&cols, ckk, hw).t(),
                        true,
                    );
                    for (d, row) in db.iter_mut().zip(gi.chunks_exact(hw)) {
                        *d += row.iter().sum::<f32>();
                    }
                }
                acc
            })
            .collect();
        let mut total = vec![0f32; o * ckk + o];
        for partial in &partials {
            total.iter_mut().zip(partial).for_each(|(t, p)| *t += p);
        }
        let len = total.len();
        Ok((CpuStorage::F32(total), Shape::from(len)))
    }
}

/// The same convolution with candle's stock ops (reference and GPU path).
pub(crate) fn conv2d_same_reference(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let pad = weight.dim(3)? / 2;
    x.conv2d(weight, pad, 1, 1, 1)?
        .broadcast_add(&bias.reshape((1, (), 1, 1))?)
}
