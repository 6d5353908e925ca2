//! How a subcommand prints its result: the human table on stdout, or with `--json` one JSON
//! object on stdout and the table on stderr.

use anyhow::Result;
use serde::Serialize;

/// Prints `table` and, with `json`, `value` as one JSON object on stdout (the table then goes
/// to stderr).
pub fn print_result(json: bool, table: &str, value: &impl Serialize) -> Result<()> {
    if json {
        eprint!("{table}");
        println!("{}", serde_json::to_string(value)?);
    } else {
        print!("{table}");
    }
    Ok(())
}
