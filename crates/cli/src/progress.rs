//! Progress on stderr: bars when stderr is a terminal, plain lines otherwise.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use fmnist_io::Event;

/// Shows what locating the data set does: searches, downloads with a byte bar, failures.
pub struct LocateProgress {
    bar: Option<ProgressBar>,
}

impl LocateProgress {
    pub fn new() -> Self {
        Self { bar: None }
    }

    pub fn on_event(&mut self, event: Event<'_>) {
        match event {
            Event::Searching(_) => {}
            Event::Fetching { source, file } => {
                self.finish();
                eprintln!("fetching {} from {source}", file.file_name());
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(
                        "  {bytes}/{total_bytes} {wide_bar} {bytes_per_sec} eta {eta}",
                    )
                    .expect("the template is valid"),
                );
                self.bar = Some(bar);
            }
            Event::Progress { bytes, total } => {
                if let Some(bar) = &self.bar {
                    if let Some(total) = total {
                        bar.set_length(total);
                    }
                    bar.set_position(bytes);
                }
            }
            Event::SourceFailed { source, error } => {
                self.finish();
                eprintln!("could not fetch from {source}: {error}");
            }
        }
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// The pipeline's progress on stderr: one bar per stage (hidden when stderr is not a
/// terminal), and one line per finished stage.
///
/// Stages nest: a stage that begins inside another (the autoencoder's training inside a
/// pipeline's fit) hides the outer bar until it ends, and the outer one is drawn again.
pub struct StudyProgress {
    /// The bars of the stages begun and not yet ended, innermost last.
    stack: std::sync::Mutex<Vec<ProgressBar>>,
    /// Show the bars.
    bars: bool,
    /// Print a line when a stage ends.
    lines: bool,
}

impl StudyProgress {
    /// Bars and a line per stage, or nothing at all when `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self {
            stack: std::sync::Mutex::new(Vec::new()),
            bars: !quiet,
            lines: !quiet,
        }
    }

    /// Bars alone, for a subcommand that prints its own result.
    pub fn bars_only() -> Self {
        Self {
            lines: false,
            ..Self::new(false)
        }
    }

    /// Runs `work` as a stage called `name` of unknown length (a spinner, with the messages of
    /// the stages' updates inside it), ending the stage whether or not `work` succeeds.
    pub fn stage<T>(
        &self,
        name: &str,
        work: impl FnOnce(&Self) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        use fmnist_pipeline::Progress;
        self.begin(name, 0);
        let started = std::time::Instant::now();
        let result = work(self);
        self.end(name, started.elapsed().as_secs_f64(), "");
        result
    }

    fn with_stack(&self, f: impl FnOnce(&mut Vec<ProgressBar>)) {
        let mut stack = self
            .stack
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut stack);
    }
}

/// A bar of `total` steps for `stage`, or a spinner when `total` is 0 (unknown).
fn stage_bar(stage: &str, total: u64) -> ProgressBar {
    let bar = if total > 0 {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>28} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}",
            )
            .expect("the template is valid"),
        );
        bar
    } else {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>28} [{elapsed_precise}] {spinner} {msg}")
                .expect("the template is valid"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    };
    bar.set_prefix(stage.to_string());
    bar
}

impl fmnist_pipeline::Progress for StudyProgress {
    fn begin(&self, stage: &str, total: u64) {
        if !self.bars {
            return;
        }
        let bar = stage_bar(stage, total);
        self.with_stack(|stack| {
            if let Some(outer) = stack.last() {
                outer.set_draw_target(ProgressDrawTarget::hidden());
            }
            stack.push(bar);
        });
    }

    fn update(&self, done: u64, detail: &str) {
        self.with_stack(|stack| {
            if let Some(bar) = stack.last() {
                bar.set_position(done);
                bar.set_message(detail.to_string());
            }
        });
    }

    fn end(&self, stage: &str, seconds: f64, summary: &str) {
        self.with_stack(|stack| {
            if let Some(bar) = stack.pop() {
                bar.finish_and_clear();
            }
            if let Some(outer) = stack.last() {
                outer.set_draw_target(ProgressDrawTarget::stderr());
            }
        });
        if self.lines {
            eprintln!("{stage:>28}  {seconds:7.1} s  {summary}");
        }
    }
}
