//! `cargo xtask bench --compare`: each stage as a whole process, ours (`fmnist`, release) and
//! the Python reference's (`benches/compare.py`), one process at a time in the same run, with
//! wall time, peak memory and the ratio, written to `bench/RESULTS.md` with the machine, the
//! load and the versions that ran.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// One stage measured on both sides.
pub struct Workload {
    /// What the row says.
    pub title: &'static str,
    /// `fmnist` arguments (the data set's directory is added as `--data-dir`).
    ours: &'static [&'static str],
    /// `benches/compare.py`'s workload, if a reference exists.
    reference: Option<(&'static str, &'static str)>,
    /// The crate whose README shows the row (under `crates/`), and the name of its block
    /// there ([`crate::bench_rows`]).
    pub readme: (&'static str, &'static str),
}

pub const WORKLOADS: &[Workload] = &[
    Workload {
        title: "K-Means, raw pixels, k 10, n_init 10, fit → predict test",
        ours: &[
            "cluster",
            "--features",
            "raw",
            "--method",
            "kmeans",
            "--k",
            "10",
            "--n-init",
            "10",
        ],
        reference: Some(("kmeans", "scikit-learn")),
        readme: ("cluster", "kmeans"),
    },
    Workload {
        title: "GMM, full covariance, raw pixels (784-d), 2 EM iterations",
        ours: &[
            "cluster",
            "--features",
            "raw",
            "--method",
            "gmm",
            "--covariance",
            "full",
            "--k",
            "10",
            "--max-iter",
            "2",
        ],
        reference: Some(("gmm", "scikit-learn")),
        readme: ("cluster", "gmm"),
    },
    Workload {
        title: "autoencoder, one epoch (batch 128) with start-up",
        ours: &["train-ae", "--epochs", "1", "--out", "{tmp}/ae.safetensors"],
        reference: Some(("autoencoder", "Keras")),
        readme: ("autoencoder", "epoch"),
    },
    Workload {
        title: "Random Forest, 100 trees on the pixels, fit → predict test",
        ours: &["classify", "--clusters", "none", "--trees", "100"],
        reference: Some(("forest", "scikit-learn")),
        readme: ("forest", "fit"),
    },
    Workload {
        title: "PCA-40, fit → transform",
        ours: &["pca", "--components", "40"],
        reference: Some(("pca", "scikit-learn")),
        readme: ("decomp", "pca"),
    },
    Workload {
        title: "UMAP of PCA-40 to 2-d (20 neighbours), fit → transform",
        ours: &[
            "embed",
            "--features",
            "pca",
            "--dims",
            "2",
            "--neighbors",
            "20",
            "--min-dist",
            "0",
        ],
        reference: Some(("umap", "umap-learn")),
        readme: ("manifold", "umap"),
    },
    Workload {
        title: "UMAP of the raw pixels (kNN graph of 48,000 x 784) to 2-d",
        ours: &["embed", "--features", "raw", "--dims", "2"],
        reference: None,
        readme: ("manifold", "umap"),
    },
];

/// One process's wall time and peak resident memory.
struct Measured {
    seconds: f64,
    peak_mb: f64,
}

/// Runs every workload on both sides (the reference where `python` has scikit-learn) and
/// writes the table to `bench/RESULTS.md`; with `study`, also the whole study.
pub fn run(root: &Path, data_dir: &Path, python: Option<&str>, study: bool) -> Result<()> {
    let load_at_start = load_average();
    let fmnist = crate::cargo::build_fmnist(crate::cargo::Profile::Release)?;
    let (_, target) = crate::bench::workspace();
    let tmp = target.join("bench").join("compare");
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let mut rows = Vec::new();
    for workload in WORKLOADS {
        eprintln!("timing: {}", workload.title);
        let reference = python.zip(workload.reference);
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            ours.push(measure(ours_command(
                &fmnist,
                workload.ours,
                data_dir,
                &tmp,
            ))?);
            if let Some((python, (name, _))) = reference {
                let mut command = Command::new(python);
                command.arg(root.join("benches/compare.py")).arg(name);
                command.arg("--data-dir").arg(data_dir);
                theirs.push(measure(command)?);
            }
        }
        let theirs = reference.map(|(_, (_, library))| (&theirs[..], library));
        rows.push(row(workload.title, &ours, theirs));
    }
    if study {
        eprintln!("timing: the whole study");
        let args = ["reproduce", "--out", "{tmp}/study"];
        let mut command = ours_command(&fmnist, &args, data_dir, &tmp);
        command.arg("--quiet");
        rows.push(row(
            "the whole study, `fmnist reproduce`",
            &[measure(command)?],
            None,
        ));
    }
    eprintln!("timing: the neighbour searches of the raw pixels");
    let knn = knn_table(data_dir)?;
    let text = document(&rows, &knn, &load_at_start, python, root, &fmnist);
    let path = root.join("bench/RESULTS.md");
    std::fs::create_dir_all(root.join("bench"))?;
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    crate::bench_rows::copy(root)
}

/// The kNN graph of the raw pixels (48,000 x 784, k 15) by the exact search and by NN-descent,
/// each timed alone in one process by fmnist-manifold's `knn_recall` example: a Markdown table
/// of their times and NN-descent's recall.
fn knn_table(data_dir: &Path) -> Result<String> {
    let mut command = crate::cargo::command();
    command
        .args(["run", "--release", "--quiet", "-p", "fmnist-manifold"])
        .args([
            "--example",
            "knn_recall",
            "--",
            "48000",
            "15",
            "0",
            "descent",
        ])
        .env("FMNIST_DATA", data_dir);
    let output = command.output().context("running the knn_recall example")?;
    if !output.status.success() {
        bail!(
            "the knn_recall example failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut md = String::from("| search | time | recall |\n|---|---|---|\n");
    // Lines as `Exact: 45.30 s` and `Descent, 10000 new points: 2.78 s, recall 0.9946`.
    for line in String::from_utf8_lossy(&output.stdout).lines().skip(1) {
        let Some((search, rest)) = line.split_once(": ") else {
            continue;
        };
        let (time, recall) = rest.split_once(", recall ").unwrap_or((rest, "1"));
        let _ = writeln!(md, "| {search} | {time} | {recall} |");
    }
    Ok(md)
}

/// Runs of each process per workload, ours and the reference's alternating. The fastest run of
/// each side is its figure: noise on a shared machine only ever slows a run down, the first
/// run of a Python library pays for its caches (numba's compilation, TensorFlow's), and some
/// references run in a slow and a fast mode from one run to the next (Keras's epoch here:
/// about 30 or 49 s), so three runs give the reference its fast mode.
const RUNS: usize = 3;

/// The fastest of some runs.
fn fastest(runs: &[Measured]) -> &Measured {
    let by_time = |a: &&Measured, b: &&Measured| a.seconds.total_cmp(&b.seconds);
    runs.iter().min_by(by_time).expect("at least one run")
}

/// The runs' times, in the order they ran: `7.3, 7.4, 7.2`.
fn times(runs: &[Measured]) -> String {
    let times: Vec<String> = runs.iter().map(|m| format!("{:.1}", m.seconds)).collect();
    times.join(", ")
}

/// `fmnist ARGS --data-dir DIR`, with `{tmp}` in the arguments replaced by `tmp`.
fn ours_command(fmnist: &Path, args: &[&str], data_dir: &Path, tmp: &Path) -> Command {
    let mut command = Command::new(fmnist);
    let tmp = tmp.to_string_lossy();
    command.args(args.iter().map(|a| a.replace("{tmp}", &tmp)));
    command.arg("--data-dir").arg(data_dir);
    command
}

/// Runs `command` to completion with its output discarded (stderr kept for errors) and
/// measures it.
fn measure(mut command: Command) -> Result<Measured> {
    command.stdout(std::process::Stdio::null());
    command.stderr(std::process::Stdio::piped());
    let start = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let (status, peak_kb) = wait_with_peak_memory(child)?;
    let seconds = start.elapsed().as_secs_f64();
    if !status {
        bail!("{command:?} failed");
    }
    Ok(Measured {
        seconds,
        peak_mb: peak_kb as f64 / 1024.0,
    })
}

/// Waits for `child` and returns whether it succeeded and its peak resident set in KiB.
fn wait_with_peak_memory(mut child: std::process::Child) -> Result<(bool, i64)> {
    // Drain stderr first so that a chatty child cannot block on a full pipe.
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        use std::io::Read;
        pipe.read_to_string(&mut stderr)?;
    }
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills; the pid is our own child's.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } < 0 {
        bail!(
            "waiting for process {pid}: {}",
            std::io::Error::last_os_error()
        );
    }
    let success = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    if !success {
        eprint!("{stderr}");
    }
    Ok((success, usage.ru_maxrss))
}

/// A Markdown table row: the stage, our fastest time and its memory, the reference's, the
/// ratio, and every run's time.
fn row(title: &str, ours: &[Measured], theirs: Option<(&[Measured], &str)>) -> String {
    let best = fastest(ours);
    let (reference, ratio, runs) = match theirs {
        Some((runs, library)) => {
            let m = fastest(runs);
            (
                format!("{library}: {:.1} s, {:.0} MB", m.seconds, m.peak_mb),
                format!("{:.2}x", m.seconds / best.seconds),
                format!("ours {}; {library} {}", times(ours), times(runs)),
            )
        }
        None => ("–".to_string(), "–".to_string(), times(ours)),
    };
    format!(
        "| {title} | {:.1} s | {:.0} MB | {reference} | {ratio} | {runs} |",
        best.seconds, best.peak_mb
    )
}

/// The whole `bench/RESULTS.md`.
fn document(
    rows: &[String],
    knn: &str,
    load: &str,
    python: Option<&str>,
    root: &Path,
    fmnist: &Path,
) -> String {
    let mut md = String::from("# Speed against the Python references\n\n");
    md.push_str(
        "Generated by `cargo xtask bench --compare`: each stage as a whole process (start-up, \
         reading the IDX files, the 48,000 training images of the study's split, the fit and \
         the prediction), ours and the reference's alternating on the same machine in the same \
         run, three times each; the fastest run of each side is shown, and the ratio is the \
         reference's fastest time over ours (above 1: ours is faster). The last column lists \
         every run's seconds in the order they ran.\n\n",
    );
    let _ = writeln!(
        md,
        "| stage | ours | ours, peak memory | reference | ratio | runs (s) |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for row in rows {
        let _ = writeln!(md, "{row}");
    }
    md.push_str(
        "\n## The kNN graph of the raw pixels\n\nThe 15 nearest neighbours of each of the \
         48,000 training images (784 pixels) among themselves, then of each of the 10,000 test \
         images among them (NN-descent: its graph of the training images built, then searched \
         from each test image), each search timed alone (no start-up or loading) in one \
         process. Recall: the share of the exact neighbours found.\n\n",
    );
    md.push_str(knn);
    let _ = writeln!(md, "\n## Where it ran\n");
    let machine = Command::new(fmnist)
        .args(["--version", "--verbose"])
        .output();
    if let Ok(out) = machine {
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            // `fmnist --version` indents the items of a list by two spaces.
            let _ = match line.strip_prefix("  ") {
                Some(item) => writeln!(md, "  - {item}"),
                None => writeln!(md, "- {line}"),
            };
        }
    }
    let _ = writeln!(md, "- load average at the start: {load}");
    let _ = writeln!(
        md,
        "- commit: {}",
        command_line("git", &["rev-parse", "--short", "HEAD"], root)
    );
    let _ = writeln!(
        md,
        "- date: {}",
        command_line("date", &["-u", "+%Y-%m-%d"], root)
    );
    match python {
        Some(python) => {
            let versions = command_line(python, &["benches/compare.py", "--versions"], root);
            let _ = writeln!(md, "- references: {versions}");
        }
        None => md.push_str("- references: none (no Python with scikit-learn was found)\n"),
    }
    md
}

/// The first line a command prints, or "unknown".
fn command_line(program: &str, args: &[&str], dir: &Path) -> String {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// The 1, 5 and 15-minute load averages (Linux), else "unknown".
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_string())
}
