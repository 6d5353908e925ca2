//! Random Forests on the pixels and cluster labels of the training split, scored on the test
//! set: the study's `replace` and `add` forests, its pixels-only control, and `fmnist classify`.

use fmnist_eval::{ClassificationReport, ConfusionMatrix, ReportOptions, confusion_matrix};
use fmnist_forest::{FittedRandomForest, RandomForest, add_label_column, label_column};
use nalgebra::DMatrix;

use crate::error::Result;
use crate::progress::{Progress, timed};
use crate::results::{ClassificationResult, ForestResult};
use crate::schema::SchemaTag;

/// How a clustering's labels enter a forest's features (the study's two modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterLabels {
    /// The cluster label alone, as the only feature.
    Replace,
    /// The pixels and the cluster label as one more feature.
    Add,
}

impl ClusterLabels {
    /// `replace` or `add`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Replace => "replace",
            Self::Add => "add",
        }
    }

    /// The forest's features of images with `pixels` (one image per row) in `clusters`.
    ///
    /// # Errors
    /// [`crate::PipelineError::Forest`] when `clusters` has not one label per image or a
    /// label above 255.
    pub fn features<L: Copy + Into<u64>>(
        self,
        pixels: &DMatrix<u8>,
        clusters: &[L],
    ) -> Result<DMatrix<u8>> {
        Ok(match self {
            Self::Replace => label_column(clusters)?,
            Self::Add => add_label_column(pixels, clusters)?,
        })
    }
}

/// What a forest learns from and is scored on: features and classes of the training split and
/// of the test set, and the class names.
#[derive(Debug, Clone, Copy)]
pub struct ForestTask<'a> {
    /// Features of the training images, one row each.
    pub train: &'a DMatrix<u8>,
    /// Classes of the training images.
    pub train_labels: &'a [u8],
    /// Features of the test images.
    pub test: &'a DMatrix<u8>,
    /// Classes of the test images.
    pub test_labels: &'a [u8],
    /// Class names in label order (one per class).
    pub class_names: &'a [String],
}

/// A forest trained and scored by [`ForestTask::evaluate`].
#[derive(Debug, Clone)]
pub struct ForestEvaluation {
    /// The trained forest.
    pub forest: FittedRandomForest,
    /// Its confusion matrix on the test set, labels included.
    pub confusion: ConfusionMatrix<u8>,
    /// Its scores as `results.json` holds them.
    pub result: ForestResult,
}

impl ForestEvaluation {
    /// The forest's scores and the size of its trees, as `fmnist classify --json` prints them.
    pub fn classification_result(&self) -> ClassificationResult {
        ClassificationResult {
            schema: SchemaTag,
            test: self.result.clone(),
            seconds: self.result.seconds,
            forest: self.forest.tree_stats(),
        }
    }
}

impl ForestTask<'_> {
    /// Trains a forest of `n_trees` trees (seed `seed`, scikit-learn's other defaults) on the
    /// training split and scores it on the test set, as the stage `stage` of `progress`.
    ///
    /// # Errors
    /// [`crate::PipelineError::Forest`] for parameters out of range or features and labels
    /// that do not match; [`crate::PipelineError::Eval`] for class names that do not match the
    /// classes.
    pub fn evaluate(
        &self,
        n_trees: usize,
        seed: u64,
        stage: &str,
        progress: &dyn Progress,
    ) -> Result<ForestEvaluation> {
        let ((forest, report, confusion), seconds) =
            timed(progress, stage, n_trees as u64, |progress| {
                let forest = RandomForest::params()
                    .n_trees(n_trees)
                    .seed(seed)
                    .fit_with_progress(self.train, self.train_labels, |done| {
                        progress.update(done as u64, "trees")
                    })?;
                let (report, confusion) = self.score(&forest)?;
                let summary = format!("accuracy {:.4}", report.accuracy());
                Ok(((forest, report, confusion), summary))
            })?;
        let result = ForestResult {
            accuracy: report.accuracy(),
            report,
            confusion_matrix: confusion.matrix().to_vec(),
            seconds,
        };
        Ok(ForestEvaluation {
            forest,
            confusion,
            result,
        })
    }

    /// The classification report and the confusion matrix of `forest` on the test set.
    fn score(
        &self,
        forest: &FittedRandomForest,
    ) -> Result<(ClassificationReport, ConfusionMatrix<u8>)> {
        let predicted: Vec<u8> = forest
            .predict(self.test)?
            .into_iter()
            .map(|class| class as u8)
            .collect();
        // A data set has at most 256 classes, the values of a u8.
        let classes: Vec<u8> = (0..self.class_names.len()).map(|c| c as u8).collect();
        let report = ClassificationReport::with_options(
            self.test_labels,
            &predicted,
            &ReportOptions::new()
                .labels(&classes)
                .target_names(self.class_names),
        )?;
        let confusion = confusion_matrix(self.test_labels, &predicted, &classes)?;
        Ok((report, confusion))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;

    #[test]
    fn cluster_labels_replace_or_join_the_pixels() {
        let pixels = DMatrix::from_row_slice(2, 2, &[1u8, 2, 3, 4]);
        let replaced = ClusterLabels::Replace
            .features(&pixels, &[7u32, 9])
            .unwrap();
        assert_eq!(replaced.shape(), (2, 1));
        let added = ClusterLabels::Add.features(&pixels, &[7u32, 9]).unwrap();
        assert_eq!(added.shape(), (2, 3));
        assert_eq!(added[(1, 2)], 9);
        assert!(ClusterLabels::Add.features(&pixels, &[1u32]).is_err());
    }

    #[test]
    fn a_separable_task_is_learned_and_scored() {
        let x = DMatrix::from_row_slice(8, 1, &[0u8, 1, 2, 3, 200, 201, 202, 203]);
        let y = [0u8, 0, 0, 0, 1, 1, 1, 1];
        let names = ["low".to_string(), "high".to_string()];
        let task = ForestTask {
            train: &x,
            train_labels: &y,
            test: &x,
            test_labels: &y,
            class_names: &names,
        };
        let evaluation = task.evaluate(5, 0, "forest", &Silent).unwrap();
        assert_eq!(evaluation.result.accuracy, 1.0);
        assert_eq!(evaluation.result.confusion_matrix, [[4, 0], [0, 4]]);
        assert_eq!(
            evaluation.confusion.matrix(),
            evaluation.result.confusion_matrix
        );
        let printed = evaluation.classification_result();
        assert_eq!(printed.seconds, printed.test.seconds);
        assert_eq!(printed.forest.n_trees, 5);
    }
}
