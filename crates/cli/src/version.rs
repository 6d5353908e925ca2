//! `fmnist --version`: the version, the compiler, the CPU and the instruction sets the
//! run-time dispatch chose for the hot loops (`-V` prints the version alone).

use fmnist_pipeline::results::Build;

/// The text of `fmnist --version` (clap prints it after the binary's name).
pub fn long_version() -> String {
    let rustc = option_env!("FMNIST_RUSTC_VERSION").unwrap_or("unknown");
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let cpu = fmnist_pipeline::results::Environment::current(&Build::default(), threads).cpu;
    format!(
        "{version}\n\
         built with: {rustc}\n\
         CPU: {cpu}, {threads} threads\n\
         kernels (chosen at run time):\n  \
         distances, K-Means, UMAP, patches: {shared}\n  \
         autoencoder convolutions: {autoencoder}\n  \
         autoencoder training products: {precision}\n  \
         matrix products (faer): its own dispatch, widest of {shared}",
        version = env!("CARGO_PKG_VERSION"),
        shared = fmnist_core::simd::best_instruction_set(),
        autoencoder = fmnist_autoencoder::instruction_set(),
        precision = match fmnist_autoencoder::Precision::for_cpu() {
            fmnist_autoencoder::Precision::Bf16 => "bf16 products, f32 sums (avx512bf16)",
            fmnist_autoencoder::Precision::F32 => "f32",
        },
    )
}
