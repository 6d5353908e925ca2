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
