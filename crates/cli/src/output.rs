//! How a subcommand prints its result: the human table on stdout, or with `--json` one JSON
//! object on stdout (schema `fmnist/v1`, `fmnist schema` prints it) and the table on stderr.

use anyhow::Result;
use serde::Serialize;

/// Prints `table` and, with `json`, `value` as one JSON object on stdout (the table then goes
/// to stderr).
pub fn print_result(json: bool, table: &str, value: &impl Serialize) -> Result<()> {
    if json {
        eprint!("{table}");
        print_json(value)?;
    } else {
        print!("{table}");
    }
    Ok(())
}

/// Prints `value` as one line of JSON on stdout.
pub fn print_json(value: &impl Serialize) -> Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}
