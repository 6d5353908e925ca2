//! Records the compiler's version (`rustc --version`) as `FMNIST_RUSTC_VERSION`, for the
//! environment that `fmnist reproduce` writes into results.json and REPORT.md.

use std::process::Command;

fn main() {
    // Cargo passes the compiler it builds with; a new compiler rebuilds the build script.
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=FMNIST_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-changed=build.rs");
}
