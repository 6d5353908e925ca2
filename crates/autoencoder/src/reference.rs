//! The network's layers with candle's stock ops: the implementation that runs on GPUs
//! ([`Kernels::Reference`](crate::Kernels::Reference)) and the reference the CPU engine is
//! tested against.

use candle_core::{Result, Tensor};

/// "Same" convolution with bias: `n x c x h x w` -> `n x o x h x w`, zero padding `k / 2`.
pub(crate) fn conv2d_same(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let pad = weight.dim(3)? / 2;
    x.conv2d(weight, pad, 1, 1, 1)?
        .broadcast_add(&bias.reshape((1, (), 1, 1))?)
}

/// Training-mode BatchNorm: the output and the batch's per-channel mean and biased variance
/// (detached, for the running statistics).
pub(crate) fn batch_norm(
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
        .broadcast_add(&beta.reshape((1, c, 1, 1))?)?;
    Ok((y, mean.flatten_all()?.detach(), var.flatten_all()?.detach()))
}

/// Evaluation-mode BatchNorm with running statistics `[gamma, beta, mean, var]`.
pub(crate) fn batch_norm_eval(x: &Tensor, stats: [&Tensor; 4], eps: f32) -> Result<Tensor> {
    let [gamma, beta, mean, var] = stats;
    let c = gamma.dim(0)?;
    let scale = (gamma / (var + eps as f64)?.sqrt()?)?;
    let shift = (beta - (mean * &scale)?)?;
    x.broadcast_mul(&scale.reshape((1, c, 1, 1))?)?
        .broadcast_add(&shift.reshape((1, c, 1, 1))?)
}

/// 2 x 2 max pooling, stride 2, routing each window's gradient to its first maximum (row-major
/// within the window, as the CPU engine): the window's values gathered at their `argmax`.
/// candle 0.11's `max_pool2d` backward scales the routed gradient by 1/4, and a `max`
/// reduction's backward routes it to every tied maximum (ties are common when the ReLU comes
/// before BatchNorm: every rectified zero of a window has the same normalised value); tests
/// keep watch on both.
pub(crate) fn max_pool2(x: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let windows = x
        .reshape((n, c, h / 2, 2, w / 2, 2))?
        .permute((0, 1, 2, 4, 3, 5))?
        .contiguous()?
        .reshape((n, c, h / 2, w / 2, 4))?;
    let first_max = windows.argmax_keepdim(4)?;
    windows.gather(&first_max, 4)?.squeeze(4)
}

/// 2 x 2 nearest-neighbour upsampling.
pub(crate) fn upsample2(x: &Tensor) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    x.upsample_nearest2d(2 * h, 2 * w)
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor, Var};

    #[test]
    fn ties_route_the_gradient_to_the_first_maximum_only() {
        let data = [
            1f32, 3., 3., 0., 2., 2., 2., 2., 0., 0., 0., 0., 5., 5., 5., 5.,
        ];
        let x = Var::from_tensor(&Tensor::from_slice(&data, (1, 1, 4, 4), &Device::Cpu).unwrap())
            .unwrap();
        let y = super::max_pool2(x.as_tensor()).unwrap();
        let pooled = y.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(pooled, [3.0, 3.0, 5.0, 5.0]);
        let grads = y.sum_all().unwrap().backward().unwrap();
        let g = grads.get(&x).unwrap().flatten_all().unwrap();
        let g = g.to_vec1::<f32>().unwrap();
        // Windows (taps row-major): [1 3 / 2 2] -> tap 1, [3 0 / 2 2] -> tap 0, and twice
        // [0 0 / 5 5] -> tap 2 (the first 5, not both).
        let expected = [
            0., 1., 1., 0., 0., 0., 0., 0., 0., 0., 0., 0., 1., 0., 1., 0.,
        ];
        assert_eq!(g, expected);
        let stock = x.as_tensor().reshape((1, 1, 2, 2, 2, 2)).unwrap();
        let stock = stock.max(5).unwrap().max(3).unwrap();
        let grads = stock.sum_all().unwrap().backward().unwrap();
        let total = grads.get(&x).unwrap().sum_all().unwrap();
        assert!(
            total.to_scalar::<f32>().unwrap() > 4.0,
            "candle's max backward no longer routes to every tied maximum"
        );
    }

    #[test]
    fn candle_max_pool_gradient_is_still_wrong_so_we_avoid_it() {
        let data: Vec<f32> = (0..16).map(|i| ((i * 7) % 16) as f32).collect();
        let x =
            Var::from_tensor(&Tensor::from_vec(data, (1, 1, 4, 4), &Device::Cpu).unwrap()).unwrap();
        let total = |t: Tensor| {
            let grads = t.sum_all().unwrap().backward().unwrap();
            let g = grads.get(&x).unwrap().sum_all().unwrap();
            g.to_scalar::<f32>().unwrap()
        };
        let ours = total(super::max_pool2(x.as_tensor()).unwrap());
        let stock = total(x.as_tensor().max_pool2d(2).unwrap());
        assert_eq!(ours, 4.0, "one unit of gradient per window");
        assert!(
            stock != ours,
            "candle fixed max_pool2d backward; the workaround can go"
        );
    }
}
