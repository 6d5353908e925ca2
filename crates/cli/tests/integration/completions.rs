//! `fmnist completions` and `fmnist man`: the shell scripts and the manual pages come from the
//! same clap definition as the parser, so they name every subcommand.

use crate::common;

use common::fmnist;
use predicates::prelude::*;

/// The subcommands a user types most; each must be completed and have a page.
const SUBCOMMANDS: [&str; 6] = [
    "cluster",
    "embed",
    "pca",
    "train-ae",
    "reproduce",
    "predict",
];

#[test]
fn bash_completion_names_the_command_and_its_subcommands() {
    let out = fmnist().args(["completions", "bash"]).assert().success();
    let script = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(script.contains("complete -F _fmnist"), "{script}");
    for sub in SUBCOMMANDS.iter().chain(&["data", "completions"]) {
        assert!(script.contains(sub), "no `{sub}` in the bash script");
    }
    // the options of a subcommand, and the values of an enumerated one
    assert!(script.contains("--pipeline") && script.contains("kmeans"));
}

#[test]
fn zsh_and_fish_completions_are_scripts_for_fmnist() {
    for (shell, mark) in [("zsh", "#compdef fmnist"), ("fish", "complete -c fmnist")] {
        let out = fmnist().args(["completions", shell]).assert().success();
        let script = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert!(script.contains(mark), "{shell}: {script}");
        assert!(script.contains("train-ae"), "{shell}: no train-ae");
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    fmnist()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tcsh"));
}

#[test]
fn man_writes_a_roff_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    fmnist()
        .args(["man", "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout("");
    let page = |name: &str| {
        std::fs::read_to_string(dir.path().join(format!("{name}.1")))
            .unwrap_or_else(|e| panic!("{name}.1: {e}"))
    };
    let main = page("fmnist");
    assert!(main.contains(".TH fmnist 1"), "{main}");
    for sub in SUBCOMMANDS {
        let text = page(&format!("fmnist-{sub}"));
        assert!(text.contains(&format!(".TH fmnist-{sub} 1")), "{sub}");
        // roff escapes the hyphen
        let listed = sub.replace('-', "\\-");
        assert!(main.contains(&listed), "fmnist.1 does not list {sub}");
    }
    // nested subcommands get their own pages, and options their descriptions
    assert!(page("fmnist-data-fetch").contains(".SH OPTIONS"));
    assert!(page("fmnist-cluster").contains("\\-\\-pipeline"));
}

#[test]
fn man_into_a_missing_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    fmnist()
        .args(["man", "--out"])
        .arg(&missing)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no-such-dir: not a directory"));
}
