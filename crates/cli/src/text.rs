//! Text files the user gives (labels, class names): read whole, with a leading UTF-8
//! byte-order mark dropped, as editors on Windows write one.

use std::path::Path;

use anyhow::{Context, Result};

/// The text of `path` without a leading byte-order mark; an error says `cannot read {what}`.
pub fn read_text(path: &Path, what: &str) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read {what}", path.display()))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("labels.txt");
        std::fs::write(&path, "\u{feff}9\n1\n").unwrap();
        assert_eq!(read_text(&path, "labels").unwrap(), "9\n1\n");
        let err = read_text(&dir.path().join("none"), "labels").unwrap_err();
        assert!(
            err.to_string().ends_with("none: cannot read labels"),
            "{err}"
        );
    }
}
