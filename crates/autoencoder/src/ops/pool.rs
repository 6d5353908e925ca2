//! 2 x 2 max pooling (stride 2) whose backward routes each gradient to its window's maximum.
//!
//! candle 0.11's own `max_pool2d` backward scales gradients by 1/4; this op recomputes the
//! argmax (first maximum in row-major window order) from the input in the backward pass.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::{f32_slice, invalid};

fn halved(shape: &Shape, op: &str) -> Result<(usize, usize, usize, usize)> {
    let (n, c, h, w) = shape.dims4()?;
    if h % 2 != 0 || w % 2 != 0 {
        return Err(invalid(format!("{op}: odd spatial size {h}x{w}")));
    }
    Ok((n, c, h, w))
}

/// Index (0..4, row-major) of the first maximum of the window at `(2y, 2x)`.
fn argmax(plane: &[f32], w: usize, y: usize, x: usize) -> (usize, f32) {
    let base = 2 * y * w + 2 * x;
    let taps = [base, base + 1, base + w, base + w + 1];
    let mut best = (taps[0], plane[taps[0]]);
    for &t in &taps[1..] {
        if plane[t] > best.1 {
            best = (t, plane[t]);
        }
    }
    best
}

/// `n x c x h x w` -> `n x c x h/2 x w/2`.
pub(crate) struct MaxPool2;

impl CustomOp1 for MaxPool2 {
    fn name(&self) -> &'static str {
        "max-pool-2"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (n, c, h, w) = halved(l.shape(), self.name())?;
        let x = f32_slice(s, l)?;
        let (ho, wo) = (h / 2, w / 2);
        let mut y = vec![0f32; n * c * ho * wo];
        y.par_chunks_mut(ho * wo)
            .zip(x.par_chunks(h * w))
            .for_each(|(out, plane)| {
                for yy in 0..ho {
                    for xx in 0..wo {
                        out[yy * wo + xx] = argmax(plane, w, yy, xx).1;
                    }
                }
            });
        Ok((CpuStorage::F32(y), Shape::from((n, c, ho, wo))))
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(
            x.apply_op2_no_bwd(&grad.contiguous()?, &MaxPool2Grad)?,
        ))
    }
}

/// `(x, grad)` -> gradient of `x`: each window's gradient goes to its argmax.
struct MaxPool2Grad;

impl CustomOp2 for MaxPool2Grad {
    fn name(&self) -> &'static str {
        "max-pool-2-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, c, h, w) = halved(l1.shape(), self.name())?;
        let (ho, wo) = (h / 2, w / 2);
        if l2.shape().dims4()? != (n, c, ho, wo) {
            return Err(invalid("max-pool-2-grad: gradient shape mismatch".into()));
        }
        let (x, grad) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?);
        let mut dx = vec![0f32; n * c * h * w];
        dx.par_chunks_mut(h * w)
            .zip(x.par_chunks(h * w).zip(grad.par_chunks(ho * wo)))
            .for_each(|(out, (plane, g))| {
                for yy in 0..ho {
                    for xx in 0..wo {
                        out[argmax(plane, w, yy, xx).0] = g[yy * wo + xx];
                    }
                }
            });
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}

/// The same pooling with candle's stock ops, with a correct gradient (reference and GPU path).
pub(crate) fn max_pool2_reference(x: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    x.reshape((n, c, h / 2, 2, w / 2, 2))?.max(5)?.max(3)
}
