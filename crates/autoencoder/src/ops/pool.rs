//! 2 x 2 max pooling (stride 2) whose backward routes each gradient to its window's maximum.
//!
//! candle 0.11's own `max_pool2d` backward scales gradients by 1/4; this op recomputes the
//! argmax (first maximum in row-major window order) from the input in the backward pass.

use std::sync::Arc;

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

/// `n x c x h x w` -> `n x c x h/2 x w/2`, each output multiplied by `mask` when given (fused
/// dropout: the mask holds 0 or the keep-scale for every output value).
pub(crate) struct MaxPool2 {
    pub mask: Option<Arc<Vec<f32>>>,
}

impl CustomOp1 for MaxPool2 {
    fn name(&self) -> &'static str {
        "max-pool-2"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (n, c, h, w) = halved(l.shape(), self.name())?;
        let x = f32_slice(s, l)?;
        let (ho, wo) = (h / 2, w / 2);
        let mut y = vec![0f32; n * c * ho * wo];
        check_mask(&self.mask, y.len())?;
        y.par_chunks_mut(ho * wo)
            .zip(x.par_chunks(h * w))
            .for_each(|(out, plane)| {
                for yy in 0..ho {
                    for xx in 0..wo {
                        out[yy * wo + xx] = argmax(plane, w, yy, xx).1;
                    }
                }
            });
        apply_mask(&mut y, &self.mask);
        Ok((CpuStorage::F32(y), Shape::from((n, c, ho, wo))))
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let mut grad = grad.contiguous()?;
        if let Some(mask) = &self.mask {
            grad = grad.apply_op1_no_bwd(&Masked(mask.clone()))?;
        }
        Ok(Some(x.apply_op2_no_bwd(&grad, &MaxPool2Grad)?))
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

/// Checks that a dropout mask covers `len` values.
pub(crate) fn check_mask(mask: &Option<Arc<Vec<f32>>>, len: usize) -> Result<()> {
    match mask {
        Some(m) if m.len() != len => Err(invalid(format!(
            "dropout mask of {} values for {len} outputs",
            m.len()
        ))),
        _ => Ok(()),
    }
}

/// Multiplies `values` by the mask, in parallel.
pub(crate) fn apply_mask(values: &mut [f32], mask: &Option<Arc<Vec<f32>>>) {
    if let Some(mask) = mask {
        values
            .par_chunks_mut(4096)
            .zip(mask.par_chunks(4096))
            .for_each(|(v, m)| v.iter_mut().zip(m).for_each(|(v, m)| *v *= m));
    }
}

/// Elementwise product with a fixed mask (the backward of a fused dropout).
pub(crate) struct Masked(pub Arc<Vec<f32>>);

impl CustomOp1 for Masked {
    fn name(&self) -> &'static str {
        "masked"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let mut values = f32_slice(s, l)?.to_vec();
        let mask = Some(self.0.clone());
        check_mask(&mask, values.len())?;
        apply_mask(&mut values, &mask);
        Ok((CpuStorage::F32(values), l.shape().clone()))
    }
}

/// The same pooling with candle's stock ops, with a correct gradient (reference and GPU path).
pub(crate) fn max_pool2_reference(x: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    x.reshape((n, c, h / 2, 2, w / 2, 2))?.max(5)?.max(3)
}
