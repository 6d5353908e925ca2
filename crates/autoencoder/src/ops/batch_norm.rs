//! Training-mode batch normalisation fused with ReLU, as a candle custom op.
//!
//! Per-channel moments are computed once (in `f64`, channel by channel in a fixed order) and
//! carried by the op, so that neither the forward nor the backward pass recomputes them and the
//! model can update its running statistics from the same numbers.

use candle_core::{CpuStorage, CustomOp1, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::{f32_slice, invalid};

/// Per-channel mean and biased variance of an `n x c x h x w` tensor: `[mean (c) | var (c)]`.
pub(crate) struct ChannelMoments;

impl CustomOp1 for ChannelMoments {
    fn name(&self) -> &'static str {
        "channel-moments"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (n, c, h, w) = l.shape().dims4()?;
        let x = f32_slice(s, l)?;
        let hw = h * w;
        let count = (n * hw) as f64;
        let moments: Vec<(f32, f32)> = (0..c)
            .into_par_iter()
            .map(|ch| {
                let planes = || (0..n).map(|i| &x[(i * c + ch) * hw..(i * c + ch + 1) * hw]);
                let mean = planes()
                    .map(|p| p.iter().map(|&v| v as f64).sum::<f64>())
                    .sum::<f64>()
                    / count;
                let var = planes()
                    .map(|p| p.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>())
                    .sum::<f64>()
                    / count;
                (mean as f32, var as f32)
            })
            .collect();
        let mut out: Vec<f32> = moments.iter().map(|m| m.0).collect();
        out.extend(moments.iter().map(|m| m.1));
        Ok((CpuStorage::F32(out), Shape::from((2, c))))
    }
}

/// `relu(gamma · (x − mean) / sqrt(var + eps) + beta)` with the batch's own moments.
pub(crate) struct BatchNormRelu {
    pub mean: Vec<f32>,
    pub var: Vec<f32>,
    pub eps: f32,
}

impl BatchNormRelu {
    fn inv_std(&self) -> Vec<f32> {
        self.var
            .iter()
            .map(|v| 1.0 / (v + self.eps).sqrt())
            .collect()
    }

    fn check(&self, shape: &Shape) -> Result<(usize, usize, usize)> {
        let (n, c, h, w) = shape.dims4()?;
        if self.mean.len() != c || self.var.len() != c {
            return Err(invalid(format!(
                "batch-norm-relu: {} moments for {c} channels",
                self.mean.len()
            )));
        }
        Ok((n, c, h * w))
    }
}

impl CustomOp3 for BatchNormRelu {
    fn name(&self) -> &'static str {
        "batch-norm-relu"
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
        let (_, c, hw) = self.check(l1.shape())?;
        let (x, gamma, beta) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?, f32_slice(s3, l3)?);
        if gamma.len() != c || beta.len() != c {
            return Err(invalid("batch-norm-relu: scale/shift length".into()));
        }
        let inv_std = self.inv_std();
        let mut y = vec![0f32; x.len()];
        y.par_chunks_mut(hw)
            .zip(x.par_chunks(hw))
            .enumerate()
            .for_each(|(p, (out, plane))| {
                let ch = p % c;
                let scale = gamma[ch] * inv_std[ch];
                let shift = beta[ch] - self.mean[ch] * scale;
                for (o, &v) in out.iter_mut().zip(plane) {
                    *o = (v * scale + shift).max(0.0);
                }
            });
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let op = BatchNormReluGrad {
            mean: self.mean.clone(),
            inv_std: self.inv_std(),
            gamma: gamma.to_vec1()?,
        };
        let packed = x.apply_op3_no_bwd(res, &grad.contiguous()?, &op)?;
        let (len, c) = (x.elem_count(), op.gamma.len());
        let dx = packed.narrow(0, 0, len)?.reshape(x.shape())?;
        let dgamma = packed.narrow(0, len, c)?;
        let dbeta = packed.narrow(0, len + c, c)?;
        Ok((Some(dx), Some(dgamma), Some(dbeta)))
    }
}

/// `(x, y, grad of y)` -> `[dx | dgamma | dbeta]`.
struct BatchNormReluGrad {
    mean: Vec<f32>,
    inv_std: Vec<f32>,
    gamma: Vec<f32>,
}

impl CustomOp3 for BatchNormReluGrad {
    fn name(&self) -> &'static str {
        "batch-norm-relu-grad"
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
        let (n, c, h, w) = l1.shape().dims4()?;
        if l2.shape() != l1.shape() || l3.shape() != l1.shape() || self.gamma.len() != c {
            return Err(invalid("batch-norm-relu-grad: shape mismatch".into()));
        }
        let (x, y, grad) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?, f32_slice(s3, l3)?);
        let hw = h * w;
        let plane = |i: usize, ch: usize| (i * c + ch) * hw..(i * c + ch + 1) * hw;
        // Per channel: sum of the masked gradient (dbeta) and of it times x-hat (dgamma).
        let sums: Vec<(f32, f32)> = (0..c)
            .into_par_iter()
            .map(|ch| {
                let (mut db, mut dg) = (0f64, 0f64);
                for i in 0..n {
                    let r = plane(i, ch);
                    for ((&g, &yv), &xv) in grad[r.clone()].iter().zip(&y[r.clone()]).zip(&x[r]) {
                        if yv > 0.0 {
                            db += g as f64;
                            dg += (g * (xv - self.mean[ch]) * self.inv_std[ch]) as f64;
                        }
                    }
                }
                (dg as f32, db as f32)
            })
            .collect();
        let count = (n * hw) as f32;
        let mut out = vec![0f32; x.len() + 2 * c];
        out[..x.len()]
            .par_chunks_mut(hw)
            .enumerate()
            .for_each(|(p, dx)| {
                let (i, ch) = (p / c, p % c);
                let r = plane(i, ch);
                let (dg, db) = sums[ch];
                let (mean, inv_std) = (self.mean[ch], self.inv_std[ch]);
                let k = self.gamma[ch] * inv_std;
                for (((d, &g), &yv), &xv) in dx
                    .iter_mut()
                    .zip(&grad[r.clone()])
                    .zip(&y[r.clone()])
                    .zip(&x[r])
                {
                    let g = if yv > 0.0 { g } else { 0.0 };
                    let xhat = (xv - mean) * inv_std;
                    *d = k * (g - db / count - xhat * dg / count);
                }
            });
        for (ch, &(dg, db)) in sums.iter().enumerate() {
            out[x.len() + ch] = dg;
            out[x.len() + c + ch] = db;
        }
        let len = out.len();
        Ok((CpuStorage::F32(out), Shape::from(len)))
    }
}

/// Training-mode BatchNorm + ReLU with candle's stock ops (reference and GPU path):
/// returns the output and the batch's per-channel mean and biased variance.
pub(crate) fn batch_norm_relu_reference(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f32,
) -> Result<(Tensor, Tensor, Tensor)> {
    let (n, c, h, w) = x.dims4()?;
    let count = (n * h * w) as f64;
    let mean = (x.sum_keepdim((0, 2, 3))? / count)?;
    let centered = x.broadcast_sub(&mean)?;
    let var = (centered.sqr()?.sum_keepdim((0, 2, 3))? / count)?;
    let xhat = centered.broadcast_div(&(var.clone() + eps as f64)?.sqrt()?)?;
    let y = xhat
        .broadcast_mul(&gamma.reshape((1, c, 1, 1))?)?
        .broadcast_add(&beta.reshape((1, c, 1, 1))?)?
        .relu()?;
    Ok((y, mean.flatten_all()?, var.flatten_all()?))
}
