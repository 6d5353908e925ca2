//! The crate's error type.

/// Everything that can make a metric undefined for its input.
///
/// Metrics never panic on user input: mismatched lengths, empty labelings and invalid parameters
/// come back as one of these.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// The two labelings do not have the same number of samples.
    #[error(
        "the labelings have different lengths: {truth} true labels but {pred} predicted labels"
    )]
    LengthMismatch {
        /// Number of true labels.
        truth: usize,
        /// Number of predicted labels.
        pred: usize,
    },

    /// There are no samples, so no metric is defined.
    #[error("no samples: the metrics need at least one label on each side")]
    Empty,

    /// More samples than the exact integer arithmetic supports (2^32 - 1).
    #[error("{0} samples are more than the supported 4294967295")]
    TooManySamples(usize),

    /// A parameter is out of its domain (for example a negative or NaN `beta`).
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),

    /// An explicit label list names the same label twice.
    #[error("label {0} appears more than once in the label list")]
    DuplicateLabel(u64),

    /// An explicit label list is empty where at least one label is needed.
    #[error("the label list is empty")]
    NoLabels,

    /// None of the explicitly given labels occurs among the true labels (scikit-learn refuses
    /// this too: the confusion matrix would be all zeros).
    #[error("none of the given labels occurs among the true labels")]
    NoLabelInTruth,

    /// The number of class names differs from the number of labels.
    #[error("{names} class names given for {labels} labels")]
    NamesMismatch {
        /// Number of names given.
        names: usize,
        /// Number of labels in the report.
        labels: usize,
    },
}
