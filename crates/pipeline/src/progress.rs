//! Progress reporting: the pipeline never prints; a caller-supplied [`Progress`] does.

/// Receives the study's progress. Methods take `&self` and the trait is `Sync` because some
/// stages (the forests) report from worker threads; implementations use interior mutability
/// (a terminal progress bar already does).
pub trait Progress: Sync {
    /// A stage begins with `total` units of work (0 when unknown: show a spinner).
    fn begin(&self, stage: &str, total: u64);
    /// `done` units of the current stage are complete; `detail` is a short status line.
    fn update(&self, done: u64, detail: &str);
    /// The current stage ended after `seconds`, with a one-line `summary` of its result.
    fn end(&self, stage: &str, seconds: f64, summary: &str);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _: &str, _: u64) {}
    fn update(&self, _: u64, _: &str) {}
    fn end(&self, _: &str, _: f64, _: &str) {}
}
