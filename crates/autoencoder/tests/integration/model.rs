//! The model's contract: parameter counts, shapes, learning, determinism, persistence.

use fmnist_autoencoder::{Architecture, Autoencoder, AutoencoderError, Device, Kernels, Precision};
use fmnist_core::{Fit, InputError, Transform};
use nalgebra::DMatrix;

fn fixture_images(n: usize) -> DMatrix<f32> {
    let data = fmnist_io::fixtures::small().expect("fixture data set");
    let indices: Vec<usize> = (0..n).collect();
    data.train.features(&indices).expect("features")
}

/// A narrower network that trains quickly in tests.
fn small() -> Architecture {
    Architecture::paper().widths(vec![8, 4], vec![4, 8])
}

#[test]
fn the_paper_network_has_12577_parameters() {
    let model = Autoencoder::untrained(&Architecture::paper(), &Device::Cpu, 0).unwrap();
    assert_eq!(model.parameter_counts(), (12_385, 192));
    let summary = model.architecture().summary();
    assert!(summary.contains("Total params: 12,577"));
    assert!(summary.contains("Trainable params: 12,385"));
    assert!(summary.contains("Non-trainable params: 192"));
}

#[test]
fn shapes_for_28_and_32_pixel_images() {
    for (side, code) in [(28, 7 * 7 * 16), (32, 8 * 8 * 16)] {
        let arch = Architecture::paper().image_size(side, side);
        let model = Autoencoder::untrained(&arch, &Device::Cpu, 0).unwrap();
        let x = DMatrix::from_fn(3, side * side, |i, j| ((i + j) % 5) as f32 / 4.0);
        assert_eq!(model.encode(&x).unwrap().shape(), (3, code));
        let y = model.reconstruct(&x).unwrap();
        assert_eq!(y.shape(), (3, side * side));
        assert!(y.iter().all(|v| (0.0..=1.0).contains(v)), "sigmoid output");
    }
}

#[test]
fn wrong_image_size_is_a_clear_error() {
    let model = Autoencoder::untrained(&Architecture::paper(), &Device::Cpu, 0).unwrap();
    let err = model.encode(&DMatrix::zeros(2, 100)).unwrap_err();
    assert!(matches!(err, AutoencoderError::Input(_)));
    assert!(err.to_string().contains("784"), "{err}");
}

#[test]
fn loss_decreases_when_overfitting_256_images() {
    let x = fixture_images(256);
    let model = Autoencoder::params(small().dropout(0.0))
        .epochs(6)
        .batch_size(32)
        .learning_rate(3e-3)
        .seed(1)
        .fit_with(&x, Some(&x), &mut |_| {})
        .unwrap();
    let h = model.history();
    assert_eq!(h.train_loss.len(), 6);
    assert_eq!(h.validation_loss.len(), 6);
    assert!(
        h.train_loss[5] < 0.6 * h.train_loss[0],
        "training loss {:?}",
        h.train_loss
    );
    assert!(h.validation_loss[5] < h.validation_loss[0]);
    let mse = model.mse(&x).unwrap();
    assert!((mse - h.validation_loss[5]).abs() < 1e-6);
}

#[test]
fn denoising_trains_alike_with_either_implementation() {
    let x = fixture_images(64);
    let fit = |kernels| {
        Autoencoder::params(small())
            .epochs(1)
            .batch_size(32)
            .seed(3)
            .denoising(0.3)
            .kernels(kernels)
            .fit(&x)
            .unwrap()
            .history()
            .train_loss[0]
    };
    let (engine, reference) = (fit(Kernels::Custom), fit(Kernels::Reference));
    assert!(
        (engine - reference).abs() < 1e-3 * reference,
        "{engine} against {reference}"
    );
}

/// Training with bf16 products follows f32 training: over 6 epochs on 256 fixture images,
/// every epoch's training loss within 1 % of f32's (skipped on CPUs without AVX-512 BF16).
#[test]
fn bf16_training_follows_f32_training() {
    if !Precision::Bf16.is_available() {
        eprintln!("this CPU has no AVX-512 BF16: nothing to compare");
        return;
    }
    let x = fixture_images(256);
    let fit = |precision| {
        let params = Autoencoder::params(small().dropout(0.0))
            .epochs(6)
            .batch_size(32)
            .learning_rate(3e-3)
            .seed(1)
            .precision(precision);
        params.fit(&x).unwrap().history().train_loss.clone()
    };
    let (f32, bf16) = (fit(Precision::F32), fit(Precision::Bf16));
    assert!(f32[5] < 0.6 * f32[0], "f32 learns: {f32:?}");
    for (a, b) in f32.iter().zip(&bf16) {
        assert!(
            (a - b).abs() < 0.01 * a,
            "f32 {f32:?} against bf16 {bf16:?}"
        );
    }
}

/// Bf16 is accepted exactly where the CPU runs it; f32 everywhere.
#[test]
fn a_precision_the_cpu_lacks_is_rejected_before_training() {
    let params = || Autoencoder::params(small());
    assert!(params().precision(Precision::F32).check().is_ok());
    let bf16 = params().precision(Precision::Bf16).check();
    assert_eq!(bf16.is_ok(), Precision::Bf16.is_available());
    assert!(matches!(Precision::for_cpu(), p if p.is_available()));
}

fn train_on_threads(threads: usize, x: &DMatrix<f32>, masking: f32) -> Vec<Vec<f32>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let model = Autoencoder::params(small())
            .epochs(2)
            .batch_size(32)
            .seed(7)
            .denoising(masking)
            .fit(x)
            .unwrap();
        model
            .tensors()
            .unwrap()
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    })
}

#[test]
fn same_seed_gives_identical_weights_on_1_and_2_threads() {
    let x = fixture_images(96);
    let one = train_on_threads(1, &x, 0.0);
    let two = train_on_threads(2, &x, 0.0);
    assert_eq!(one, two);
    let denoising = train_on_threads(1, &x, 0.3);
    assert_eq!(denoising, train_on_threads(2, &x, 0.3));
    assert_ne!(denoising, one, "masking noise changes the training");
    let other_seed = Autoencoder::params(small())
        .epochs(2)
        .batch_size(32)
        .seed(8)
        .fit(&x)
        .unwrap();
    assert_ne!(
        one,
        other_seed
            .tensors()
            .unwrap()
            .into_iter()
            .map(|(_, v)| v)
            .collect::<Vec<_>>()
    );
}

#[test]
fn save_then_load_gives_identical_encodings() {
    let x = fixture_images(64);
    let model = Autoencoder::params(small())
        .epochs(1)
        .batch_size(32)
        .fit_with(&x, Some(&x), &mut |_| {})
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    model.save(&path).unwrap();
    let loaded = Autoencoder::load(&path, &Device::Cpu).unwrap();
    assert_eq!(loaded.architecture(), model.architecture());
    assert_eq!(loaded.history(), model.history());
    assert_eq!(loaded.encode(&x).unwrap(), model.encode(&x).unwrap());
    assert_eq!(
        loaded.reconstruct(&x).unwrap(),
        model.reconstruct(&x).unwrap()
    );
}

#[test]
fn saving_replaces_files_whole_and_a_failed_save_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let first = Autoencoder::untrained(&small(), &Device::Cpu, 0).unwrap();
    let second = Autoencoder::untrained(&small(), &Device::Cpu, 1).unwrap();
    first.save(&path).unwrap();
    second.save(&path).unwrap();
    let x = fixture_images(8);
    let loaded = Autoencoder::load(&path, &Device::Cpu).unwrap();
    assert_eq!(loaded.encode(&x).unwrap(), second.encode(&x).unwrap());
    // only the two files: no temporary file left behind
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    #[cfg(unix)]
    {
        // the permissions of an ordinary file (0644 less the umask), not a temporary file's
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode();
        let ordinary = dir.path().join("ordinary");
        std::fs::write(&ordinary, b"").unwrap();
        let expected = 0o644 & mode(&ordinary);
        std::fs::remove_file(&ordinary).unwrap();
        assert_eq!(mode(&path) & 0o777, expected);
        assert_eq!(mode(&Autoencoder::config_path(&path)) & 0o777, expected);
    }
    let missing = dir.path().join("no-such-dir");
    let err = second.save(missing.join("model.safetensors")).unwrap_err();
    assert!(
        matches!(err, AutoencoderError::Io { ref path, .. } if *path == missing),
        "{err}"
    );
    assert!(!missing.exists());
}

/// An untrained small model saved as `model.safetensors` in a new temporary directory.
fn saved_untrained() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    Autoencoder::untrained(&small(), &Device::Cpu, 0)
        .unwrap()
        .save(&path)
        .unwrap();
    (dir, path)
}

#[test]
fn loading_weights_of_another_architecture_is_a_clear_error() {
    let (dir, path) = saved_untrained();
    // Pretend the weights belong to the paper's (wider) network.
    let config_path = Autoencoder::config_path(&path);
    let text = std::fs::read_to_string(&config_path).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["architecture"]["encoder"] = serde_json::json!([32, 16]);
    json["architecture"]["decoder"] = serde_json::json!([16, 32]);
    std::fs::write(&config_path, json.to_string()).unwrap();
    let err = Autoencoder::load(&path, &Device::Cpu)
        .err()
        .expect("mismatch");
    assert!(matches!(err, AutoencoderError::Mismatch { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("encoder.0.conv.weight"), "{message}");

    let missing = Autoencoder::load(dir.path().join("none.safetensors"), &Device::Cpu);
    assert!(matches!(missing, Err(AutoencoderError::Io { .. })));
}

#[test]
fn invalid_training_parameters_are_rejected() {
    let x = DMatrix::zeros(4, 784);
    let params = Autoencoder::params(Architecture::paper());
    assert!(matches!(
        params.clone().epochs(0).fit(&x),
        Err(AutoencoderError::Parameter(_))
    ));
    assert!(matches!(
        params.clone().learning_rate(-1.0).fit(&x),
        Err(AutoencoderError::Parameter(_))
    ));
    for rate in [-0.1, 1.0, f32::NAN] {
        assert!(matches!(
            params.clone().denoising(rate).fit(&x),
            Err(AutoencoderError::Parameter(_))
        ));
    }
    assert!(matches!(
        params.clone().early_stopping(Some(2)).fit(&x),
        Err(AutoencoderError::Parameter(_))
    ));
    assert!(params.check().is_ok());
    assert!(matches!(
        params.clone().batch_size(0).check(),
        Err(AutoencoderError::Parameter(_))
    ));
    assert!(matches!(
        Autoencoder::params(Architecture::paper().image_size(27, 27)).check(),
        Err(AutoencoderError::Architecture(_))
    ));
}

#[test]
fn parameters_are_checked_before_the_data() {
    // No images and a bad parameter: the parameter is named.
    let err = Autoencoder::params(Architecture::paper())
        .epochs(0)
        .fit(&DMatrix::zeros(0, 784))
        .err()
        .expect("an error");
    assert!(matches!(err, AutoencoderError::Parameter(_)), "{err}");
    let err = Autoencoder::params(Architecture::paper())
        .fit(&DMatrix::zeros(0, 784))
        .err()
        .expect("an error");
    assert!(
        matches!(err, AutoencoderError::Input(InputError::NoSamples)),
        "{err}"
    );
    let mut x = DMatrix::zeros(2, 784);
    x[(1, 5)] = f32::NAN;
    let err = Autoencoder::params(Architecture::paper())
        .fit(&x)
        .err()
        .expect("an error");
    assert_eq!(
        err.to_string(),
        "the data contains the non-finite value NaN at row 1, column 5"
    );
}

#[test]
fn the_estimator_traits_fit_and_encode() {
    let x = fixture_images(64);
    let params = Autoencoder::params(small()).epochs(1).seed(3);
    let model = Fit::fit(&params, &x).unwrap();
    let codes = Transform::transform(&model, &x).unwrap();
    assert_eq!(codes, model.encode(&x).unwrap());
    assert_eq!(codes.shape(), (64, small().bottleneck_len()));
}

#[test]
fn a_truncated_or_foreign_weights_file_is_one_clear_error_naming_it() {
    let (_dir, path) = saved_untrained();
    let bytes = std::fs::read(&path).unwrap();
    let huge_header = [&u64::MAX.to_le_bytes()[..], &bytes[8..]].concat();
    for broken in [&bytes[..bytes.len() / 2], &bytes[..3], &huge_header[..]] {
        std::fs::write(&path, broken).unwrap();
        let err = Autoencoder::load(&path, &Device::Cpu)
            .err()
            .expect("broken weights");
        let message = err.to_string();
        assert!(
            matches!(err, AutoencoderError::WeightsFile { .. }),
            "{message}"
        );
        assert!(
            message.starts_with(&path.display().to_string()),
            "{message}"
        );
        assert!(!message.contains("candle"), "{message}");
        // The reader's reason is said once, not repeated by a wrapper.
        let reason = message.rsplit(": ").next().unwrap();
        assert_eq!(message.matches(reason).count(), 1, "{message}");
    }
}
