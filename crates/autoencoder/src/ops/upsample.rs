//! 2 x 2 nearest-neighbour upsampling whose backward sums each 2 x 2 block (candle's own
//! backward runs a grouped convolution).

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::pool::{Masked, apply_mask, check_mask};
use super::{f32_slice, invalid};

/// `n x c x h x w` -> `n x c x 2h x 2w`, multiplied by `mask` when given (fused dropout).
pub(crate) struct Upsample2 {
    pub mask: Option<Arc<Vec<f32>>>,
}

impl CustomOp1 for Upsample2 {
    fn name(&self) -> &'static str {
        "upsample-2"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (n, c, h, w) = l.shape().dims4()?;
        let x = f32_slice(s, l)?;
        let mut y = vec![0f32; n * c * 4 * h * w];
        check_mask(&self.mask, y.len())?;
        y.par_chunks_mut(4 * h * w)
            .zip(x.par_chunks(h * w))
            .for_each(|(out, plane)| {
                for (yy, pair) in out.chunks_exact_mut(4 * w).enumerate() {
                    let src = &plane[yy * w..(yy + 1) * w];
                    let (top, bottom) = pair.split_at_mut(2 * w);
                    for (dst, &v) in top.chunks_exact_mut(2).zip(src) {
                        dst.fill(v);
                    }
                    bottom.copy_from_slice(top);
                }
            });
        apply_mask(&mut y, &self.mask);
        Ok((CpuStorage::F32(y), Shape::from((n, c, 2 * h, 2 * w))))
    }

    fn bwd(&self, _x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let mut grad = grad.contiguous()?;
        if let Some(mask) = &self.mask {
            grad = grad.apply_op1_no_bwd(&Masked(mask.clone()))?;
        }
        Ok(Some(grad.apply_op1_no_bwd(&Upsample2Grad)?))
    }
}

/// Sums each 2 x 2 block: `n x c x 2h x 2w` -> `n x c x h x w`.
struct Upsample2Grad;

impl CustomOp1 for Upsample2Grad {
    fn name(&self) -> &'static str {
        "upsample-2-grad"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (n, c, h2, w2) = l.shape().dims4()?;
        if h2 % 2 != 0 || w2 % 2 != 0 {
            return Err(invalid(format!("upsample-2-grad: odd size {h2}x{w2}")));
        }
        let (h, w) = (h2 / 2, w2 / 2);
        let grad = f32_slice(s, l)?;
        let mut dx = vec![0f32; n * c * h * w];
        dx.par_chunks_mut(h * w)
            .zip(grad.par_chunks(4 * h * w))
            .for_each(|(out, plane)| {
                for (yy, row) in out.chunks_exact_mut(w).enumerate() {
                    let top = &plane[2 * yy * w2..(2 * yy + 1) * w2];
                    let bottom = &plane[(2 * yy + 1) * w2..(2 * yy + 2) * w2];
                    for (xx, d) in row.iter_mut().enumerate() {
                        *d = top[2 * xx] + top[2 * xx + 1] + bottom[2 * xx] + bottom[2 * xx + 1];
                    }
                }
            });
        Ok((CpuStorage::F32(dx), Shape::from((n, c, h, w))))
    }
}

/// The same upsampling with candle's stock op (reference and GPU path).
pub(crate) fn upsample2_reference(x: &Tensor) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    x.upsample_nearest2d(2 * h, 2 * w)
}
