//! `cargo xtask bench`: the crates' criterion benches on the real data and, where `python3`
//! with scikit-learn is present, the same workloads in the Python reference (scikit-learn,
//! umap-learn, numpy or Keras/TensorFlow), in one table with the ratio. Both sides use every
//! core of the machine (rayon / OpenMP + BLAS defaults).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use fmnist_io::{Locator, StratifiedSplit};

/// One crate's benches and their Python counterpart.
struct Suite {
    /// Cargo package.
    package: &'static str,
    /// `[[bench]]` name.
    bench: &'static str,
    /// The criterion group the bench reports to (`target/criterion/<group>/<id>`).
    group: &'static str,
    /// Script, relative to the workspace root, printing `{"<group>/<id>": seconds, ...}`.
    script: &'static str,
    /// The library the script times.
    reference: &'static str,
}

const SUITES: &[Suite] = &[
    Suite {
        package: "fmnist-decomp",
        bench: "pca",
        group: "pca",
        script: "crates/decomp/benches/sklearn_pca.py",
        reference: "scikit-learn",
    },
    Suite {
        package: "fmnist-cluster",
        bench: "kmeans",
        group: "kmeans",
        script: "crates/cluster/benches/sklearn_kmeans.py",
        reference: "scikit-learn",
    },
    Suite {
        package: "fmnist-cluster",
        bench: "gmm",
        group: "gmm",
        script: "crates/cluster/benches/sklearn_gmm.py",
        reference: "scikit-learn",
    },
    Suite {
        package: "fmnist-forest",
        bench: "forest",
        group: "fashion_mnist",
        script: "crates/forest/benches/sklearn_forest.py",
        reference: "scikit-learn",
    },
    Suite {
        package: "fmnist-manifold",
        bench: "umap",
        group: "umap",
        script: "crates/manifold/benches/umap_learn.py",
        reference: "umap-learn",
    },
    Suite {
        package: "fmnist-patches",
        bench: "patches",
        group: "patches",
        script: "crates/patches/benches/numpy_patches.py",
        reference: "numpy",
    },
    Suite {
        package: "fmnist-eval",
        bench: "clustering",
        group: "n70000_k10x10",
        script: "crates/eval/benches/sklearn_clustering.py",
        reference: "scikit-learn",
    },
    Suite {
        package: "fmnist-autoencoder",
        bench: "autoencoder",
        group: "fashion_mnist_ae",
        // Keras/TensorFlow (prints `{}` when TensorFlow is not installed).
        script: "crates/autoencoder/benches/keras_autoencoder.py",
        reference: "Keras",
    },
];

/// Workloads derived from two measured ones: `(name, longer, shorter, divisor)`, the time of
/// `(longer − shorter) / divisor` on both sides.
const DERIVED: &[(&str, &str, &str, f64)] = &[(
    "kmeans/one_lloyd_iteration",
    "kmeans/lloyd_21_iter",
    "kmeans/lloyd_1_iter",
    20.0,
)];

/// The workspace root and the target directory (`$CARGO_TARGET_DIR`, else `target/`).
pub fn workspace() -> (PathBuf, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    (root, target)
}

/// Reference seconds per workload, with the library that took them.
type References = BTreeMap<String, (f64, &'static str)>;

/// Runs the benches (all, or the suite whose bench or package is `only`) and prints the table.
pub fn run(locator: Locator, only: Option<&str>) -> Result<()> {
    let (root, target) = workspace();
    let (data, provenance) = locator.load()?;
    let indices = write_train_indices(&data, &target)?;
    let python = python_with_scikit_learn();
    let mut rust = BTreeMap::new();
    let mut reference = References::new();
    for suite in SUITES
        .iter()
        .filter(|s| only.is_none_or(|o| o == s.bench || o == s.package))
    {
        rust.extend(run_criterion(suite, &root, &target)?);
        if let Some(python) = &python {
            let args = [provenance.dir.as_path(), indices.as_path()];
            reference.extend(run_reference(suite, python, &root, args)?);
        }
    }
    add_derived(&mut rust, &mut reference);
    print_table(&rust, &reference);
    Ok(())
}

/// The study's training indices, one per line, for the Python side; returns the file.
fn write_train_indices(data: &fmnist_io::FashionMnist, target: &Path) -> Result<PathBuf> {
    let split = StratifiedSplit::new().split(data.train.labels())?;
    let indices = target.join("bench").join("train-indices.txt");
    std::fs::create_dir_all(target.join("bench"))?;
    let text: String = split.train.iter().map(|i| format!("{i}\n")).collect();
    std::fs::write(&indices, text).with_context(|| format!("writing {}", indices.display()))?;
    Ok(indices)
}

/// `$PYTHON` (else `python3`) if it imports scikit-learn; else says so on stderr.
pub fn python_with_scikit_learn() -> Option<String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let found = Command::new(&python)
        .args(["-c", "import sklearn"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "{python} with scikit-learn not found: timing the Rust side only (set PYTHON to choose an interpreter)"
        );
    }
    found.then_some(python)
}

/// `cargo bench` of one suite; its criterion mean times.
fn run_criterion(suite: &Suite, root: &Path, target: &Path) -> Result<BTreeMap<String, f64>> {
    let status = Command::new(env!("CARGO"))
        .args(["bench", "-p", suite.package, "--bench", suite.bench])
        .current_dir(root)
        .status()
        .context("running cargo bench")?;
    if !status.success() {
        bail!("cargo bench -p {} failed", suite.package);
    }
    criterion_estimates(&target.join("criterion").join(suite.group), suite.group)
}

/// The suite's Python script on the data set `[dir, train indices]`; its times.
fn run_reference(suite: &Suite, python: &str, root: &Path, args: [&Path; 2]) -> Result<References> {
    eprintln!("{}: {}", suite.reference, suite.script);
    let out = Command::new(python)
        .arg(root.join(suite.script))
        .arg("--data-dir")
        .arg(args[0])
        .arg("--indices")
        .arg(args[1])
        .output()
        .with_context(|| format!("running {}", suite.script))?;
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            suite.script,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let times: BTreeMap<String, f64> = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("reading the JSON of {}", suite.script))?;
    Ok(times
        .into_iter()
        .map(|(name, seconds)| (name, (seconds, suite.reference)))
        .collect())
}

/// The [`DERIVED`] workloads, on both sides where both of their measurements exist.
fn add_derived(rust: &mut BTreeMap<String, f64>, reference: &mut References) {
    for &(name, long, short, divisor) in DERIVED {
        if let (Some(a), Some(b)) = (rust.get(long), rust.get(short)) {
            let value = (a - b) / divisor;
            rust.insert(name.to_string(), value);
        }
        if let (Some(&(a, library)), Some(&(b, _))) = (reference.get(long), reference.get(short)) {
            reference.insert(name.to_string(), ((a - b) / divisor, library));
        }
    }
}

/// One line per workload: our time, the reference's, the speed-up; then the quality figures.
fn print_table(rust: &BTreeMap<String, f64>, reference: &References) {
    println!(
        "{:<42} {:>12} {:>14} {:>9}  reference",
        "workload", "rust (s)", "reference (s)", "speed-up"
    );
    for (name, seconds) in rust {
        match reference.get(name) {
            Some(&(theirs, library)) => println!(
                "{name:<42} {seconds:>12.4} {theirs:>14.4} {:>8.1}x  {library}",
                theirs / seconds
            ),
            None => println!("{name:<42} {seconds:>12.4} {:>14} {:>9}", "-", "-"),
        }
    }
    for (name, (value, library)) in reference.iter().filter(|(n, _)| n.starts_with("quality/")) {
        println!("{name:<42} {:>12} {value:>14.6} {:>9}  {library}", "", "");
    }
}

/// Mean times, in seconds, of every benchmark of a criterion group (`<dir>/<id>/new/estimates.json`).
fn criterion_estimates(dir: &Path, group: &str) -> Result<BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for entry in entries {
        let path = entry?.path().join("new").join("estimates.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let json: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        let nanos = json["mean"]["point_estimate"]
            .as_f64()
            .with_context(|| format!("{}: no mean estimate", path.display()))?;
        let id = path
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .expect("id dir");
        out.insert(format!("{group}/{}", id.to_string_lossy()), nanos * 1e-9);
    }
    Ok(out)
}
