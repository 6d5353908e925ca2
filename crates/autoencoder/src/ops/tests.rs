//! Every custom op against candle's reference op (values and gradients, 1e-4) and against
//! central finite differences.

use candle_core::{Device, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Kernels;

type Op = dyn Fn(Kernels, &[Tensor]) -> candle_core::Result<Tensor>;

fn random(shape: &[usize], seed: u64) -> Var {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = shape.iter().product();
    let data: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    Var::from_tensor(&Tensor::from_vec(data, shape, &Device::Cpu).unwrap()).unwrap()
}

/// A dropout mask (rate 1/3, keep-scale 1.5) of `len` values.
fn mask(len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| if i % 3 == 1 { 0.0 } else { 1.5 })
        .collect()
}

/// `sum(op(inputs) * weights)` in f64, the scalar whose gradients are compared.
fn objective(op: &Op, kernels: Kernels, inputs: &[Var], weights: &Tensor) -> Tensor {
    let ts: Vec<Tensor> = inputs.iter().map(|v| v.as_tensor().clone()).collect();
    (op(kernels, &ts).unwrap() * weights)
        .unwrap()
        .sum_all()
        .unwrap()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.dims(), b.dims());
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

/// Forward values and gradients of the custom op agree with the reference op to 1e-4, and the
/// custom gradients agree with central finite differences.
fn check(op: &Op, shapes: &[&[usize]]) {
    let inputs: Vec<Var> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| random(s, 10 + i as u64))
        .collect();
    let ts: Vec<Tensor> = inputs.iter().map(|v| v.as_tensor().clone()).collect();
    let custom = op(Kernels::Custom, &ts).unwrap();
    let reference = op(Kernels::Reference, &ts).unwrap();
    let diff = max_diff(&custom, &reference);
    assert!(diff < 1e-4, "forward differs by {diff}");
    let weights = random(custom.dims(), 99).as_tensor().clone();

    let grads_custom = objective(op, Kernels::Custom, &inputs, &weights)
        .backward()
        .unwrap();
    let grads_reference = objective(op, Kernels::Reference, &inputs, &weights)
        .backward()
        .unwrap();
    for (i, var) in inputs.iter().enumerate() {
        let gc = grads_custom.get(var).expect("custom gradient");
        let gr = grads_reference.get(var).expect("reference gradient");
        let diff = max_diff(gc, gr);
        assert!(diff < 1e-4, "gradient of input {i} differs by {diff}");

        // Finite differences on a few coordinates.
        let base: Vec<f32> = var.flatten_all().unwrap().to_vec1().unwrap();
        let analytic: Vec<f32> = gc.flatten_all().unwrap().to_vec1().unwrap();
        let w: Vec<f32> = weights.flatten_all().unwrap().to_vec1().unwrap();
        // Small enough that few ReLU kinks or pooling ties are crossed; f64 sums keep the
        // rounding noise of the difference quotient near 1e-3.
        let step = 1e-3f32;
        for j in (0..base.len()).step_by(base.len().div_ceil(12)) {
            let eval = |delta: f32| {
                let mut data = base.clone();
                data[j] += delta;
                var.set(&Tensor::from_vec(data, var.shape(), &Device::Cpu).unwrap())
                    .unwrap();
                let ts: Vec<Tensor> = inputs.iter().map(|v| v.as_tensor().clone()).collect();
                let y: Vec<f32> = op(Kernels::Custom, &ts)
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1()
                    .unwrap();
                y.iter()
                    .zip(&w)
                    .map(|(&a, &b)| a as f64 * b as f64)
                    .sum::<f64>()
            };
            let numeric = (eval(step) - eval(-step)) / (2.0 * step as f64);
            eval(0.0);
            let tol = 2e-2 * (1.0 + numeric.abs());
            assert!(
                (numeric - analytic[j] as f64).abs() < tol,
                "input {i}, coordinate {j}: analytic {} vs numeric {numeric}",
                analytic[j]
            );
        }
    }
}

#[test]
fn conv2d_same_matches_reference_and_finite_differences() {
    let conv: &Op = &|k, t| k.conv2d_same(&t[0], &t[1], &t[2]);
    check(conv, &[&[2, 3, 6, 6], &[4, 3, 3, 3], &[4]]);
    // One input channel and one output channel, as the first and last layers.
    check(conv, &[&[3, 1, 4, 8], &[5, 1, 3, 3], &[5]]);
    check(conv, &[&[2, 6, 4, 4], &[1, 6, 3, 3], &[1]]);
    // A 5x5 kernel on a 2x2 image (padding larger than the image).
    check(conv, &[&[2, 2, 2, 2], &[3, 2, 5, 5], &[3]]);
}

#[test]
fn conv2d_same_with_more_images_than_a_gradient_chunk() {
    let conv: &Op = &|k, t| k.conv2d_same(&t[0], &t[1], &t[2]);
    check(conv, &[&[19, 2, 4, 4], &[3, 2, 3, 3], &[3]]);
}

#[test]
fn max_pool2_matches_reference_and_finite_differences() {
    let pool: &Op = &|k, t| k.max_pool2(&t[0], None);
    check(pool, &[&[2, 3, 6, 8]]);
    let dropped: &Op = &|k, t| k.max_pool2(&t[0], Some(mask(2 * 3 * 3 * 4)));
    check(dropped, &[&[2, 3, 6, 8]]);
}

#[test]
fn upsample2_matches_reference_and_finite_differences() {
    let up: &Op = &|k, t| k.upsample2(&t[0], None);
    check(up, &[&[2, 3, 3, 5]]);
    let dropped: &Op = &|k, t| k.upsample2(&t[0], Some(mask(2 * 3 * 6 * 10)));
    check(dropped, &[&[2, 3, 3, 5]]);
}

#[test]
fn batch_norm_relu_matches_reference_and_finite_differences() {
    let bn: &Op = &|k, t| Ok(k.batch_norm_relu(&t[0], &t[1], &t[2], 1e-3)?.0);
    check(bn, &[&[4, 3, 5, 5], &[3], &[3]]);
    let moments = |k: Kernels| {
        let x = random(&[4, 3, 5, 5], 1);
        let (_, mean, var) = k
            .batch_norm_relu(
                x.as_tensor(),
                &Tensor::ones(3, candle_core::DType::F32, &Device::Cpu).unwrap(),
                &Tensor::zeros(3, candle_core::DType::F32, &Device::Cpu).unwrap(),
                1e-3,
            )
            .unwrap();
        (mean, var)
    };
    let (mc, vc) = moments(Kernels::Custom);
    let (mr, vr) = moments(Kernels::Reference);
    assert!(max_diff(&mc, &mr) < 1e-5 && max_diff(&vc, &vr) < 1e-5);
}

#[test]
fn batch_norm_relu_eval_matches_reference() {
    let x = random(&[3, 4, 5, 5], 5);
    let gamma = random(&[4], 6);
    let beta = random(&[4], 7);
    let mean = random(&[4], 8);
    let var = Var::from_tensor(&(random(&[4], 9).abs().unwrap() + 0.1).unwrap()).unwrap();
    let stats = [
        gamma.as_tensor(),
        beta.as_tensor(),
        mean.as_tensor(),
        var.as_tensor(),
    ];
    let custom = Kernels::Custom
        .batch_norm_relu_eval(x.as_tensor(), stats, 1e-3)
        .unwrap();
    let reference = Kernels::Reference
        .batch_norm_relu_eval(x.as_tensor(), stats, 1e-3)
        .unwrap();
    assert!(max_diff(&custom, &reference) < 1e-5);
}

#[test]
fn candle_max_pool_gradient_is_still_wrong_so_we_avoid_it() {
    // Documents why the reference pooling is reshape + max: candle 0.11's max_pool2d backward
    // scales the routed gradient by 1/4.
    let x = random(&[1, 1, 4, 4], 3);
    let g_stock = x
        .as_tensor()
        .max_pool2d(2)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let g_ours = Kernels::Custom
        .max_pool2(x.as_tensor(), None)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let stock = g_stock
        .get(&x)
        .unwrap()
        .sum_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    let ours = g_ours
        .get(&x)
        .unwrap()
        .sum_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert_eq!(ours, 4.0, "one unit of gradient per window");
    assert!(
        stock != ours,
        "candle fixed max_pool2d backward; the workaround can go"
    );
}
