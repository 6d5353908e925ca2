//! `cargo xtask tidy`: rules of the code base that neither the compiler nor clippy checks, in the
//! spirit of rust-analyzer's tidy. They run as tests too, so `cargo test --workspace` (the CI
//! entry) fails when one is broken:
//!
//! - no function in `crates/*/src` or `xtask/src` is longer than [`MAX_FN_LINES`] lines, from
//!   its `fn` line to its closing brace (sources are rustfmt-formatted, so the closing brace
//!   stands alone at the indentation of the `fn` line);
//! - every crate root (`lib.rs`, `main.rs`) opens with `//!` documentation.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// The longest a function may be, in lines.
pub const MAX_FN_LINES: usize = 80;

/// A rule broken at a place.
#[derive(Debug, PartialEq)]
pub struct Violation {
    /// The file, relative to the workspace root.
    pub file: PathBuf,
    /// 1-based line of the offending item.
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.what)
    }
}

/// Checks the workspace at `root`; prints and fails on any violation.
pub fn run(root: &Path) -> Result<()> {
    let violations = check(root)?;
    for v in &violations {
        eprintln!("{v}");
    }
    if !violations.is_empty() {
        bail!("{} tidy rule(s) broken", violations.len());
    }
    eprintln!("tidy: every function is at most {MAX_FN_LINES} lines and every crate documented");
    Ok(())
}

/// Every violation in the workspace at `root`.
pub fn check(root: &Path) -> Result<Vec<Violation>> {
    let mut violations = Vec::new();
    for file in rust_sources(root)? {
        let text = std::fs::read_to_string(&file)?;
        let relative = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
        for (line, name, length) in long_functions(&text) {
            violations.push(Violation {
                file: relative.clone(),
                line,
                what: format!("fn {name} is {length} lines (at most {MAX_FN_LINES})"),
            });
        }
        let is_root = matches!(
            file.file_name().and_then(|n| n.to_str()),
            Some("lib.rs" | "main.rs")
        ) && file.parent().is_some_and(|p| p.ends_with("src"));
        if is_root && !has_crate_docs(&text) {
            violations.push(Violation {
                file: relative,
                line: 1,
                what: "the crate root does not open with `//!` documentation".into(),
            });
        }
    }
    Ok(violations)
}

/// The `.rs` files under `crates/*/src` and `xtask/src`, sorted.
fn rust_sources(root: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs = vec![root.join("xtask").join("src")];
    for entry in std::fs::read_dir(root.join("crates"))? {
        dirs.push(entry?.path().join("src"));
    }
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// `(line, name, length)` of every function of `text` longer than [`MAX_FN_LINES`].
fn long_functions(text: &str) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some((indent, name)) = fn_header(line) else {
            continue;
        };
        let close = format!("{}}}", " ".repeat(indent));
        let end = lines[i + 1..].iter().position(|l| *l == close);
        if let Some(offset) = end {
            let length = offset + 2;
            if length > MAX_FN_LINES {
                found.push((i + 1, name, length));
            }
        }
    }
    found
}

/// The indentation and name of a line that starts a function with a body.
fn fn_header(line: &str) -> Option<(usize, String)> {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") || trimmed.ends_with(';') {
        return None;
    }
    let mut words = trimmed.split_whitespace().peekable();
    while let Some(&word) = words.peek() {
        let qualifier = word.starts_with("pub")
            || matches!(word, "const" | "async" | "unsafe" | "extern" | "\"C\"");
        if !qualifier {
            break;
        }
        words.next();
    }
    if words.next() != Some("fn") {
        return None;
    }
    let name: String = words
        .next()?
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then(|| (line.len() - trimmed.len(), name))
}

/// Whether the first line that is not blank is a `//!` doc comment.
fn has_crate_docs(text: &str) -> bool {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with("//!"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_is_tidy() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let violations = check(&root).unwrap();
        let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
        assert!(violations.is_empty(), "\n{}", listed.join("\n"));
    }

    #[test]
    fn a_long_function_is_found_with_its_line_and_length() {
        let body = "    let x = 1;\n".repeat(MAX_FN_LINES - 1);
        let text = format!("//! doc\n\npub(crate) fn long(\n    a: u8,\n) -> u8 {{\n{body}}}\n");
        assert_eq!(
            long_functions(&text),
            vec![(3, "long".to_string(), MAX_FN_LINES + 3)]
        );
        let short = format!("fn short() {{\n{}}}\n", "    x;\n".repeat(MAX_FN_LINES - 2));
        assert!(long_functions(&short).is_empty());
    }

    #[test]
    fn declarations_comments_and_nested_functions_are_told_apart() {
        assert_eq!(fn_header("    fn area(&self) -> f64;"), None);
        assert_eq!(fn_header("    // fn old() {"), None);
        assert_eq!(
            fn_header("    pub(crate) unsafe fn kernel<T>(x: T) {"),
            Some((4, "kernel".into()))
        );
        assert_eq!(
            fn_header("pub const fn new() -> Self {"),
            Some((0, "new".into()))
        );
    }

    #[test]
    fn a_crate_root_must_open_with_docs() {
        assert!(has_crate_docs("\n//! The crate.\nmod a;\n"));
        assert!(!has_crate_docs("mod a;\n//! late\n"));
        assert!(!has_crate_docs("/// an item doc\nfn f() {}\n"));
    }
}
