//! `cargo xtask reproduce` compiles nothing that is already built.
//!
//! xtask's nested cargo must see the environment the outer cargo saw: a variable that `cargo
//! run` (or `cargo test`) sets for xtask and the nested cargo inherits makes build scripts that
//! track it rerun, and every `cargo xtask reproduce` then rebuilt ring, rustls, ureq,
//! fmnist-io and both binaries. Run twice here, with the `fmnist` this test suite built
//! (`--test-build`), the second run must print no `Compiling` line. Under `cargo test
//! --workspace` the first compiles nothing either; under `cargo test -p xtask` it builds the
//! workspace's tests first.

use std::process::Command;

/// Whether cargo's progress on `stderr` says it compiled a crate.
fn compiled(stderr: &str) -> bool {
    stderr
        .lines()
        .any(|line| line.trim_start().starts_with("Compiling "))
}

#[test]
fn reproduce_twice_compiles_nothing_the_second_time() {
    let out = tempfile::tempdir().unwrap();
    for run in ["first", "second"] {
        let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["reproduce", "--test-build", "--quick", "--quiet", "--out"])
            .arg(out.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "the {run} run failed:\n{stderr}");
        if run == "second" {
            assert!(!compiled(&stderr), "the second run compiled:\n{stderr}");
        }
    }
    assert!(out.path().join("results.json").is_file());
}

#[test]
fn compiling_is_recognised_in_cargo_progress() {
    assert!(compiled(
        "   Compiling ring v0.17.14\n    Finished `dev` profile"
    ));
    assert!(!compiled(
        "    Finished `dev` profile [optimized] target(s) in 0.31s"
    ));
}
