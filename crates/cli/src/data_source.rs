//! The `--data-dir` / `--offline` arguments shared by every subcommand that reads the data set.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use fmnist_io::{DataFile, FashionMnist, Locator, Provenance};

use crate::outputs::check_outputs;
use crate::progress::LocateProgress;

/// Where the data set comes from.
#[derive(Debug, Clone, Args)]
pub struct DataSourceArgs {
    /// Directory holding the four IDX files (plain or .gz). When given, it is the only place
    /// looked at and where missing Fashion-MNIST files are downloaded to; any other IDX data
    /// set in it is used as a custom, unverified data set. [default: ./data/fashion-mnist,
    /// then /usr/share/datasets/fashion-mnist, then download]
    #[arg(long, env = "FMNIST_DATA", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Never download: use only files already on disk.
    #[arg(long)]
    pub offline: bool,
}

impl DataSourceArgs {
    /// The locator these arguments describe.
    pub fn locator(&self) -> Locator {
        let locator = Locator::new().data_dir(self.data_dir.clone());
        if self.offline {
            locator.offline()
        } else {
            locator
        }
    }

    /// Locates (downloading if needed, with progress on stderr), reads and verifies the data set.
    pub fn load(&self) -> Result<(FashionMnist, Provenance)> {
        let mut progress = LocateProgress::new();
        let located = self
            .locator()
            .locate(&mut |event| progress.on_event(event))?;
        progress.finish();
        Ok(located.load()?)
    }

    /// [`DataSourceArgs::load`] for a command that writes `outputs` and reads `inputs` besides
    /// the data set: the outputs are checked before anything is loaded ([`check_outputs`]) and
    /// again against the data set's files once they are found, so that no output replaces them.
    pub fn load_for(
        &self,
        outputs: &[(&str, &Path)],
        inputs: &[&Path],
    ) -> Result<(FashionMnist, Provenance)> {
        check_outputs(outputs, inputs)?;
        let (data, provenance) = self.load()?;
        let files = data_files(&provenance);
        let all: Vec<&Path> = inputs
            .iter()
            .copied()
            .chain(files.iter().map(PathBuf::as_path))
            .collect();
        check_outputs(outputs, &all)?;
        Ok((data, provenance))
    }
}

/// The data set's files in `provenance`'s directory (plain or gzip-compressed), which no
/// output may replace.
fn data_files(provenance: &Provenance) -> Vec<PathBuf> {
    DataFile::ALL
        .iter()
        .flat_map(|f| {
            let plain = provenance.dir.join(f.file_name());
            let gzip = plain.with_extension("gz");
            [plain, gzip]
        })
        .filter(|p| Path::exists(p))
        .collect()
}
