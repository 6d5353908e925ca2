//! The engine against candle's autograd of the same network (stock ops), and against finite
//! differences.

use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Engine;
use crate::config::{ActivationOrder, Architecture};
use crate::dropout::InputMasking;
use crate::kernels::{Kernels, Precision};
use crate::model::{Mode, Network};

/// Small networks covering one and two image channels (single-output direct kernel and GEMM
/// output convolution), 3x3 and 5x5 kernels, non-square images, with and without dropout, each
/// with the ReLU before and after BatchNorm.
fn architectures() -> Vec<Architecture> {
    let shapes = shapes();
    let orders = [
        ActivationOrder::ReluThenBatchNorm,
        ActivationOrder::BatchNormThenRelu,
    ];
    orders
        .into_iter()
        .flat_map(|order| {
            shapes
                .iter()
                .map(move |arch| arch.clone().activation_order(order))
        })
        .collect()
}

fn shapes() -> Vec<Architecture> {
    let mut two_channels = Architecture::paper()
        .image_size(8, 12)
        .widths(vec![3, 2], vec![2, 3]);
    two_channels.channels = 2;
    two_channels.kernel_size = 5;
    two_channels.dropout = 0.0;
    vec![
        Architecture::paper()
            .image_size(8, 8)
            .widths(vec![4, 3], vec![3, 4]),
        two_channels,
        Architecture::paper()
            .image_size(4, 4)
            .widths(vec![5], vec![3]),
    ]
}

fn images(arch: &Architecture, n: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n * arch.image_len())
        .map(|_| rng.random_range(0.0..1.0))
        .collect()
}

/// A network with non-trivial BatchNorm parameters and running statistics.
fn network(arch: &Architecture, seed: u64) -> Network {
    let net = Network::new(arch, &Device::Cpu, Kernels::Reference, seed).unwrap();
    let (mut params, mut running) = net.flat().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed + 100);
    params
        .iter_mut()
        .for_each(|p| *p += rng.random_range(-0.2..0.2));
    running
        .iter_mut()
        .for_each(|r| *r = rng.random_range(0.1..1.0));
    net.set_flat(&params, &running).unwrap();
    net
}

/// The CPU engine over `net`'s weights.
fn engine_of(net: &Network, arch: &Architecture) -> Engine {
    let (params, running) = net.flat().unwrap();
    Engine::new(arch, params, running, Precision::F32)
}

fn assert_close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

fn tensor(arch: &Architecture, x: &[f32]) -> Tensor {
    let n = x.len() / arch.image_len();
    Tensor::from_slice(x, (n, arch.channels, arch.height, arch.width), &Device::Cpu).unwrap()
}

fn engine_images<'a>(arch: &Architecture, x: &'a [f32]) -> impl Iterator<Item = &'a [f32]> {
    x.chunks_exact(arch.image_len())
}

/// Candle's autograd of the training-mode MSE between the network's output for `input` and
/// `target`: the loss and the gradient of every trainable parameter, flattened in order.
fn candle_loss_and_gradient(
    net: &Network,
    arch: &Architecture,
    input: &[f32],
    target: &[f32],
    step_seed: u64,
) -> (f32, Vec<f32>) {
    let y = net
        .forward(&tensor(arch, input), Mode::Train { step_seed })
        .unwrap();
    let loss = (y - tensor(arch, target))
        .unwrap()
        .sqr()
        .unwrap()
        .mean_all()
        .unwrap();
    let grads = loss.backward().unwrap();
    let mut gradient = Vec::new();
    for var in net.trainable_vars() {
        let g = grads.get(&var).expect("gradient");
        gradient.extend(g.flatten_all().unwrap().to_vec1::<f32>().unwrap());
    }
    (loss.to_scalar::<f32>().unwrap(), gradient)
}

#[test]
fn gradients_and_running_statistics_match_candle_autograd() {
    for (a, arch) in architectures().iter().enumerate() {
        // 19 images: more than two chunks, the last one partial.
        let x = images(arch, 19, a as u64);
        let net = network(arch, 3 + a as u64);
        let mut engine = engine_of(&net, arch);
        let step_seed = 42;
        let loss = engine.gradients(engine_images(arch, &x), step_seed, None);

        let (ref_loss, ref_grad) = candle_loss_and_gradient(&net, arch, &x, &x, step_seed);
        assert!((loss - ref_loss).abs() < 1e-6, "loss {loss} vs {ref_loss}");
        assert_close(
            engine.grad(),
            &ref_grad,
            1e-4,
            &format!("architecture {a} gradient"),
        );
        let (_, ref_running) = net.flat().unwrap();
        assert_close(engine.running(), &ref_running, 1e-5, "running statistics");
    }
}

#[test]
fn denoising_gradients_are_those_of_the_masked_input_against_the_clean_one() {
    let arch = &architectures()[0];
    let x = images(arch, 7, 3);
    let net = network(arch, 4);
    let mut engine = engine_of(&net, arch);
    let (step_seed, masking) = (9, InputMasking::new(0.3, 9));
    let loss = engine.gradients(engine_images(arch, &x), step_seed, masking);

    let mut masked = x.clone();
    masking.unwrap().apply(0, &mut masked);
    assert_ne!(masked, x);
    let (ref_loss, ref_grad) = candle_loss_and_gradient(&net, arch, &masked, &x, step_seed);
    assert!((loss - ref_loss).abs() < 1e-6, "loss {loss} vs {ref_loss}");
    assert_close(engine.grad(), &ref_grad, 1e-4, "denoising gradient");
}

#[test]
fn gradients_match_finite_differences() {
    for (a, arch) in architectures().iter().enumerate() {
        let x = images(arch, 6, 10 + a as u64);
        let net = network(arch, 20 + a as u64);
        let (params, running) = net.flat().unwrap();
        let mut engine = Engine::new(arch, params.clone(), running.clone(), Precision::F32);
        engine.gradients(engine_images(arch, &x), 5, None);
        let analytic = engine.grad().to_vec();
        let (mut checked, mut kinks) = (0, 0);
        for j in (0..params.len()).step_by(params.len().div_ceil(40)) {
            let loss_at = |delta: f32| {
                let mut p = params.clone();
                p[j] += delta;
                Engine::new(arch, p, running.clone(), Precision::F32).gradients(
                    engine_images(arch, &x),
                    5,
                    None,
                ) as f64
            };
            let numeric = |step: f32| (loss_at(step) - loss_at(-step)) / (2.0 * step as f64);
            let (coarse, fine) = (numeric(2e-3), numeric(5e-4));
            let centre = loss_at(0.0);
            let (right, left) = (
                (loss_at(5e-4) - centre) / 5e-4,
                (centre - loss_at(-5e-4)) / 5e-4,
            );
            let tol = 2e-2 * fine.abs() + 2e-4;
            if (coarse - fine).abs() > tol || (right - left).abs() > 2.0 * tol {
                // A ReLU or max-pool kink lies within the step (the two step sizes, or the two
                // one-sided quotients, disagree): the quotient means nothing.
                kinks += 1;
                continue;
            }
            checked += 1;
            assert!(
                (fine - analytic[j] as f64).abs() < tol,
                "architecture {a}, parameter {j}: analytic {} vs numeric {fine}",
                analytic[j]
            );
        }
        assert!(
            kinks * 5 <= checked,
            "architecture {a}: {kinks} kinks, {checked} checked"
        );
    }
}

#[test]
fn evaluation_outputs_match_candle() {
    for (a, arch) in architectures().iter().enumerate() {
        let x = images(arch, 11, 30 + a as u64);
        let net = network(arch, 40 + a as u64);
        let mut engine = engine_of(&net, arch);
        let xt = tensor(arch, &x);
        let flat = |t: Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let codes = engine.encode(engine_images(arch, &x)).to_vec();
        assert_close(
            &codes,
            &flat(net.encode(&xt, Mode::Eval).unwrap()),
            1e-5,
            "encoding",
        );
        let y = engine.reconstruct(engine_images(arch, &x)).to_vec();
        assert_close(
            &y,
            &flat(net.forward(&xt, Mode::Eval).unwrap()),
            1e-5,
            "reconstruction",
        );
    }
}
