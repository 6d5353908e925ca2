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

/// Runs `work` as a stage called `name` of `total` units, returning its value and its wall
/// time; `work` returns the value with the one-line summary that ends the stage.
pub(crate) fn timed<T>(
    progress: &dyn Progress,
    name: &str,
    total: u64,
    work: impl FnOnce(&dyn Progress) -> crate::Result<(T, String)>,
) -> crate::Result<(T, f64)> {
    progress.begin(name, total);
    let started = std::time::Instant::now();
    let (value, summary) = work(progress)?;
    let seconds = started.elapsed().as_secs_f64();
    progress.end(name, seconds, &summary);
    Ok((value, seconds))
}
