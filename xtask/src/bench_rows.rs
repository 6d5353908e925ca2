//! The crate READMEs' copies of their rows of `bench/RESULTS.md`: each sits between
//! `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` markers, the table's header and the rows of
//! the workloads that name the crate and the block ([`Workload::readme`]), in their order.
//! `cargo xtask bench --compare` writes both files in one run; a test checks the copies.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use crate::compare::{WORKLOADS, Workload};

/// Rewrites every crate README's blocks from the committed `bench/RESULTS.md`.
pub fn copy(root: &Path) -> Result<()> {
    for (path, text) in expected(root)? {
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Each crate README that shows rows, as it reads with its blocks copied from
/// `bench/RESULTS.md`.
pub fn expected(root: &Path) -> Result<Vec<(PathBuf, String)>> {
    let results_path = root.join("bench/RESULTS.md");
    let results = std::fs::read_to_string(&results_path)
        .with_context(|| format!("reading {}", results_path.display()))?;
    let mut readmes: Vec<(PathBuf, String)> = Vec::new();
    for (crate_dir, block) in blocks() {
        let path = root.join("crates").join(crate_dir).join("README.md");
        if !readmes.iter().any(|(p, _)| *p == path) {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            readmes.push((path.clone(), text));
        }
        let titles = WORKLOADS.iter().filter(|w| w.readme == (crate_dir, block));
        let table = rows(&results, titles).with_context(|| results_path.display().to_string())?;
        let text = &mut readmes
            .iter_mut()
            .find(|(p, _)| *p == path)
            .expect("read above")
            .1;
        *text = replace_block(text, block, &table).with_context(|| path.display().to_string())?;
    }
    Ok(readmes)
}

/// The distinct `(crate, block)` pairs of the workloads, in order.
fn blocks() -> Vec<(&'static str, &'static str)> {
    let mut all: Vec<(&str, &str)> = Vec::new();
    for w in WORKLOADS {
        if !all.contains(&w.readme) {
            all.push(w.readme);
        }
    }
    all
}

/// The results table's header and its rows of `workloads`.
fn rows<'a>(results: &str, workloads: impl Iterator<Item = &'a Workload>) -> Result<String> {
    let mut lines = results.lines();
    let header = lines
        .by_ref()
        .find(|l| l.starts_with("| stage |"))
        .ok_or_else(|| anyhow!("no table header `| stage | ...`"))?;
    let mut table = format!("{header}\n{}\n", lines.next().unwrap_or_default());
    for workload in workloads {
        let start = format!("| {} |", workload.title);
        let row = results
            .lines()
            .find(|l| l.starts_with(&start))
            .ok_or_else(|| anyhow!("no row \"{}\"", workload.title))?;
        table.push_str(row);
        table.push('\n');
    }
    Ok(table)
}

/// `text` with the lines between the markers of `block` replaced by `body`.
fn replace_block(text: &str, block: &str, body: &str) -> Result<String> {
    let (open, close) = (
        format!("<!-- bench:{block} -->\n"),
        format!("<!-- /bench:{block} -->"),
    );
    let start = text
        .find(&open)
        .ok_or_else(|| anyhow!("no `{}` marker", open.trim()))?
        + open.len();
    let end = start
        + text[start..]
            .find(&close)
            .ok_or_else(|| anyhow!("no `{close}` marker"))?;
    Ok(format!("{}{body}{}", &text[..start], &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every crate README shows its rows as the committed `bench/RESULTS.md` has them.
    #[test]
    fn crate_readmes_show_their_rows_of_the_committed_results() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for (path, text) in expected(&root).unwrap() {
            let committed = std::fs::read_to_string(&path).unwrap();
            assert!(
                committed == text,
                "{} differs from bench/RESULTS.md; run `cargo xtask bench --compare`, or \
                 copy the rows with `cargo xtask bench --copy-rows`",
                path.display()
            );
        }
    }

    #[test]
    fn a_block_is_replaced_whole_and_a_missing_marker_is_named() {
        let text = "a\n<!-- bench:x -->\nold\nrows\n<!-- /bench:x -->\nb\n";
        let new = replace_block(text, "x", "new\n").unwrap();
        assert_eq!(new, "a\n<!-- bench:x -->\nnew\n<!-- /bench:x -->\nb\n");
        let err = replace_block(text, "y", "").unwrap_err().to_string();
        assert!(err.contains("<!-- bench:y -->"), "{err}");
    }
}
