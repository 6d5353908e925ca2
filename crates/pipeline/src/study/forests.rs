//! The study's forests: `replace` and `add` on each pipeline's clusters, and the pixels alone.

use std::collections::BTreeMap;
use std::path::Path;

use nalgebra::DMatrix;

use super::draw;
use crate::config::StudyConfig;
use crate::error::Result;
use crate::figures;
use crate::forest::{ClusterLabels, ForestTask};
use crate::progress::Progress;
use crate::report::figure_files;
use crate::results::{ForestModes, ForestResult, PipelineResult, SplitScores};
use crate::splits::{SplitData, Splits};

/// What every forest of a run shares.
pub(super) struct Forests<'a> {
    config: &'a StudyConfig,
    parts: &'a SplitData<'a>,
    /// The pixels of the training split, as bytes.
    pixels_train: DMatrix<u8>,
    /// The pixels of the test set, as bytes.
    pixels_test: DMatrix<u8>,
    progress: &'a dyn Progress,
    out: &'a Path,
}

impl<'a> Forests<'a> {
    pub(super) fn new(
        config: &'a StudyConfig,
        parts: &'a SplitData<'a>,
        progress: &'a dyn Progress,
        out: &'a Path,
    ) -> Result<Self> {
        let data = parts.data;
        let all_test: Vec<usize> = (0..data.test.len()).collect();
        Ok(Self {
            pixels_train: data.train.pixels(&parts.split.train)?,
            pixels_test: data.test.pixels(&all_test)?,
            config,
            parts,
            progress,
            out,
        })
    }

    /// Scores the clustering `clusters` of the pipeline `name`, trains its two forests and
    /// draws its figures; `timings` are the pipeline's stages before the forests.
    pub(super) fn pipeline(
        &self,
        name: &str,
        configuration: String,
        clusters: &Splits<Vec<u32>>,
        timings: &[(&str, f64)],
    ) -> Result<PipelineResult> {
        let forest = |mode: ClusterLabels| -> Result<ForestResult> {
            self.evaluate(
                &format!("{name}: forest, {}", mode.name()),
                &mode.features(&self.pixels_train, &clusters.train)?,
                &mode.features(&self.pixels_test, &clusters.test)?,
            )
        };
        let replace = forest(ClusterLabels::Replace)?;
        let add = forest(ClusterLabels::Add)?;
        for (mode, forest) in [
            (ClusterLabels::Replace, &replace),
            (ClusterLabels::Add, &add),
        ] {
            let mode = mode.name();
            figures::confusion_heatmap(
                &self.out.join(figure_files::confusion(name, mode)),
                &format!(
                    "{name}: Random Forest, {mode} (accuracy {:.4})",
                    forest.accuracy
                ),
                &forest.confusion_matrix,
                self.parts.class_names(),
            )?;
        }
        draw::clusters(name, &clusters.test, self.parts, self.out)?;
        Ok(PipelineResult {
            name: name.to_string(),
            configuration,
            clustering: SplitScores::compute(&self.parts.labels, clusters)?,
            seconds: timings
                .iter()
                .map(|&(stage, seconds)| (stage.to_string(), seconds))
                .chain([
                    ("forest_replace".to_string(), replace.seconds),
                    ("forest_add".to_string(), add.seconds),
                ])
                .collect::<BTreeMap<_, _>>(),
            forest: ForestModes { replace, add },
        })
    }

    /// The control the study lacks: a forest on the pixels alone.
    pub(super) fn pixels_only(&self) -> Result<ForestResult> {
        self.evaluate("forest: pixels only", &self.pixels_train, &self.pixels_test)
    }

    /// Trains a forest on `train` (rows of the training split) and scores it on `test`.
    fn evaluate(
        &self,
        stage: &str,
        train: &DMatrix<u8>,
        test: &DMatrix<u8>,
    ) -> Result<ForestResult> {
        let task = ForestTask {
            train,
            train_labels: &self.parts.labels.train,
            test,
            test_labels: &self.parts.labels.test,
            class_names: self.parts.class_names(),
        };
        let evaluation =
            task.evaluate(self.config.trees, self.config.seed, stage, self.progress)?;
        Ok(evaluation.result)
    }
}
