//! Classification metrics: confusion matrix, per-class precision, recall, F1 and support, and
//! scikit-learn's `classification_report`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::EvalError;
use crate::label::{Label, check_pair};
use crate::sum::sum;

/// A confusion matrix: `matrix[i][j]` counts samples of true label `labels[i]` predicted as
/// `labels[j]` (rows are truth, columns prediction, as scikit-learn).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(serialize = "L: Label", deserialize = "L: Label"))]
pub struct ConfusionMatrix<L> {
    labels: Vec<L>,
    matrix: Vec<Vec<u64>>,
}

impl<L: Label> ConfusionMatrix<L> {
    /// The labels of the rows and columns, in order.
    pub fn labels(&self) -> &[L] {
        &self.labels
    }

    /// The counts, row by row.
    pub fn matrix(&self) -> &[Vec<u64>] {
        &self.matrix
    }

    /// Samples of true label index `true_index` predicted as label index `pred_index`.
    pub fn get(&self, true_index: usize, pred_index: usize) -> u64 {
        self.matrix[true_index][pred_index]
    }

    /// Samples counted in the matrix (those whose true and predicted labels are both listed).
    pub fn total(&self) -> u64 {
        self.matrix.iter().flatten().sum()
    }

    /// The matrix as text: rows labelled by `names` (one per label) or by the label values,
    /// columns by the label values.
    pub fn render(&self, names: Option<&[String]>) -> String {
        let values: Vec<String> = self.labels.iter().map(ToString::to_string).collect();
        let rows = match names {
            Some(names) if names.len() == self.labels.len() => names,
            _ => values.as_slice(),
        };
        let corner = "true \\ pred";
        let row_width = rows
            .iter()
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
            .max(corner.len());
        let max_count = self.matrix.iter().flatten().max().copied().unwrap_or(0);
        let col_width = values
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(0)
            .max(max_count.to_string().len())
            .max(3);
        let mut out = format!("{corner:>row_width$}");
        for value in &values {
            out += &format!(" {value:>col_width$}");
        }
        out.push('\n');
        for (name, row) in rows.iter().zip(&self.matrix) {
            out += &format!("{name:>row_width$}");
            for count in row {
                out += &format!(" {count:>col_width$}");
            }
            out.push('\n');
        }
        out
    }
}

impl<L: Label> fmt::Display for ConfusionMatrix<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(None))
    }
}

/// Sorted distinct values of two labelings together.
fn union_labels<L: Label>(truth: &[L], pred: &[L]) -> Vec<L> {
    let mut all: Vec<L> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for &l in truth.iter().chain(pred) {
        if seen.insert(l) {
            all.push(l);
        }
    }
    all.sort_unstable();
    all
}

/// Position lookup for an explicit label list (which may be in any order).
struct LabelIndex<L> {
    sorted: Vec<(L, usize)>,
}

impl<L: Label> LabelIndex<L> {
    fn new(labels: &[L]) -> Result<Self, EvalError> {
        let mut sorted: Vec<(L, usize)> = labels.iter().copied().zip(0..).collect();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(EvalError::DuplicateLabel(w[0].0.to_u64()));
        }
        Ok(LabelIndex { sorted })
    }

    #[inline]
    fn get(&self, label: L) -> Option<usize> {
        self.sorted
            .binary_search_by(|probe| probe.0.cmp(&label))
            .ok()
            .map(|k| self.sorted[k].1)
    }
}

/// The confusion matrix of `truth` against `pred` over `labels` (in that order), as
/// scikit-learn's `confusion_matrix(y_true, y_pred, labels=labels)`: samples whose true or
/// predicted label is not listed are left out. An empty `labels` means every label that occurs
/// in either labeling, ascending (scikit-learn's `labels=None`).
///
/// # Errors
/// [`EvalError::LengthMismatch`], [`EvalError::Empty`], [`EvalError::DuplicateLabel`], or
/// [`EvalError::NoLabelInTruth`] when explicit labels include none of the true labels.
pub fn confusion_matrix<L: Label>(
    truth: &[L],
    pred: &[L],
    labels: &[L],
) -> Result<ConfusionMatrix<L>, EvalError> {
    check_pair(truth.len(), pred.len())?;
    let labels = if labels.is_empty() {
        union_labels(truth, pred)
    } else {
        labels.to_vec()
    };
    let index = LabelIndex::new(&labels)?;
    let k = labels.len();
    let mut matrix = vec![vec![0u64; k]; k];
    let mut any_true = false;
    for (&t, &p) in truth.iter().zip(pred) {
        let ti = index.get(t);
        any_true |= ti.is_some();
        if let (Some(i), Some(j)) = (ti, index.get(p)) {
            matrix[i][j] += 1;
        }
    }
    if !any_true {
        return Err(EvalError::NoLabelInTruth);
    }
    Ok(ConfusionMatrix { labels, matrix })
}

/// The value given to a precision, recall or F-score whose denominator is 0, as scikit-learn's
/// `zero_division`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ZeroDivision {
    /// 0, and the report's [`warnings`](ClassificationReport::warnings) say so (scikit-learn's
    /// default `"warn"`).
    #[default]
    Warn,
    /// 0, silently.
    Zero,
    /// 1, silently.
    One,
    /// NaN, left out of the macro and weighted averages.
    Nan,
}

impl ZeroDivision {
    /// The value used.
    pub fn value(self) -> f64 {
        match self {
            ZeroDivision::Warn | ZeroDivision::Zero => 0.0,
            ZeroDivision::One => 1.0,
            ZeroDivision::Nan => f64::NAN,
        }
    }
}

/// Which score of a row was ill-defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// No predicted samples.
    Precision,
    /// No true samples.
    Recall,
    /// Neither true nor predicted samples.
    F1,
}

/// A score set by `zero_division` because its denominator was 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndefinedMetric {
    /// The score.
    pub metric: Metric,
    /// The row: a class name, or `micro avg`.
    pub row: String,
}

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    /// The label value.
    pub label: u64,
    /// Its display name (the label value unless names were given).
    pub name: String,
    /// `tp / (tp + fp)`.
    #[serde(with = "nan_as_null")]
    pub precision: f64,
    /// `tp / (tp + fn)`.
    #[serde(with = "nan_as_null")]
    pub recall: f64,
    /// `2 tp / (2 tp + fp + fn)`.
    #[serde(with = "nan_as_null")]
    pub f1: f64,
    /// Number of true samples of the class.
    pub support: u64,
}

/// An averaged row of the report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AverageScores {
    /// Averaged precision.
    #[serde(with = "nan_as_null")]
    pub precision: f64,
    /// Averaged recall.
    #[serde(with = "nan_as_null")]
    pub recall: f64,
    /// Averaged F1.
    #[serde(with = "nan_as_null")]
    pub f1: f64,
    /// Total support of the classes in the report.
    pub support: u64,
}

/// Options of [`ClassificationReport::with_options`].
#[derive(Debug, Clone)]
pub struct ReportOptions<L> {
    labels: Option<Vec<L>>,
    target_names: Option<Vec<String>>,
    zero_division: ZeroDivision,
}

impl<L> Default for ReportOptions<L> {
    fn default() -> Self {
        ReportOptions {
            labels: None,
            target_names: None,
            zero_division: ZeroDivision::Warn,
        }
    }
}

impl<L: Label> ReportOptions<L> {
    /// Every label that occurs, unnamed, `zero_division` "warn".
    pub fn new() -> Self {
        Self::default()
    }

    /// Report these labels, in this order (scikit-learn's `labels`): labels that do not occur
    /// get a row of zeros, labels that occur but are not listed are left out of the rows and the
    /// averages (then the report shows a `micro avg` row instead of `accuracy`).
    pub fn labels(mut self, labels: &[L]) -> Self {
        self.labels = Some(labels.to_vec());
        self
    }

    /// Display names of the labels, one per label in order (scikit-learn's `target_names`).
    pub fn target_names<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.target_names = Some(names.iter().map(|s| s.as_ref().to_owned()).collect());
        self
    }

    /// The value of an undefined score.
    pub fn zero_division(mut self, zero_division: ZeroDivision) -> Self {
        self.zero_division = zero_division;
        self
    }
}

impl<L: Label> ReportOptions<L> {
    /// The labels of the report's rows, and whether they cover every label that occurs (then
    /// the micro average is the accuracy and the report shows `accuracy` instead).
    fn report_labels(&self, truth: &[L], pred: &[L]) -> Result<(Vec<L>, bool), EvalError> {
        let present = union_labels(truth, pred);
        match &self.labels {
            None => Ok((present, true)),
            Some(labels) if labels.is_empty() => Err(EvalError::NoLabels),
            Some(labels) => {
                let mut given = labels.clone();
                given.sort_unstable();
                let covers = present.iter().all(|l| given.binary_search(l).is_ok());
                Ok((labels.clone(), covers))
            }
        }
    }

    /// The rows' display names: the target names, or the label values.
    fn names(&self, labels: &[L]) -> Result<Vec<String>, EvalError> {
        match &self.target_names {
            None => Ok(labels.iter().map(ToString::to_string).collect()),
            Some(names) if names.len() == labels.len() => Ok(names.clone()),
            Some(names) => Err(EvalError::NamesMismatch {
                names: names.len(),
                labels: labels.len(),
            }),
        }
    }
}

/// Per report label: true positives, true samples and predicted samples; and the samples
/// predicted correctly, whatever their label.
struct Counts {
    tp: Vec<u64>,
    true_sum: Vec<u64>,
    pred_sum: Vec<u64>,
    correct: u64,
}

impl Counts {
    fn new<L: Label>(truth: &[L], pred: &[L], index: &LabelIndex<L>, k: usize) -> Self {
        let (mut tp, mut true_sum, mut pred_sum) = (vec![0u64; k], vec![0u64; k], vec![0u64; k]);
        let mut correct = 0u64;
        for (&t, &p) in truth.iter().zip(pred) {
            let ti = index.get(t);
            if let Some(i) = ti {
                true_sum[i] += 1;
            }
            if let Some(j) = index.get(p) {
                pred_sum[j] += 1;
            }
            if t == p {
                correct += 1;
                if let Some(i) = ti {
                    tp[i] += 1;
                }
            }
        }
        Self {
            tp,
            true_sum,
            pred_sum,
            correct,
        }
    }
}

/// Divides the scores' counts, setting `zero_division` where a denominator is 0 and recording
/// which score of which row that was, in the order the scores are computed.
struct Scorer {
    zero_division: ZeroDivision,
    undefined: Vec<UndefinedMetric>,
}

impl Scorer {
    fn divide(&mut self, num: f64, den: u64, metric: Metric, row: &str) -> f64 {
        if den == 0 {
            self.undefined.push(UndefinedMetric {
                metric,
                row: row.to_owned(),
            });
            self.zero_division.value()
        } else {
            num / den as f64
        }
    }

    /// The row of report label `i` (value `label`, display name `name`).
    fn class(&mut self, counts: &Counts, i: usize, label: u64, name: &str) -> ClassScores {
        let (tp, true_sum, pred_sum) = (counts.tp[i], counts.true_sum[i], counts.pred_sum[i]);
        ClassScores {
            label,
            name: name.to_owned(),
            precision: self.divide(tp as f64, pred_sum, Metric::Precision, name),
            recall: self.divide(tp as f64, true_sum, Metric::Recall, name),
            f1: self.divide(2.0 * tp as f64, true_sum + pred_sum, Metric::F1, name),
            support: true_sum,
        }
    }

    /// The scores of the pooled counts over the report labels.
    fn micro_average(&mut self, counts: &Counts) -> AverageScores {
        let t = counts.tp.iter().sum::<u64>();
        let ts = counts.true_sum.iter().sum::<u64>();
        let ps = counts.pred_sum.iter().sum::<u64>();
        AverageScores {
            precision: self.divide(t as f64, ps, Metric::Precision, "micro avg"),
            recall: self.divide(t as f64, ts, Metric::Recall, "micro avg"),
            f1: self.divide(2.0 * t as f64, ts + ps, Metric::F1, "micro avg"),
            support: ts,
        }
    }
}

/// The macro average of the class rows, or with `weighted` their support-weighted average
/// (NaN scores left out).
fn average(classes: &[ClassScores], total_support: u64, weighted: bool) -> AverageScores {
    let column = |f: fn(&ClassScores) -> f64| {
        let values: Vec<f64> = classes.iter().map(f).collect();
        let weights: Option<Vec<u64>> =
            weighted.then(|| classes.iter().map(|c| c.support).collect());
        nan_average(&values, weights.as_deref())
    };
    AverageScores {
        precision: column(|c| c.precision),
        recall: column(|c| c.recall),
        f1: column(|c| c.f1),
        support: total_support,
    }
}

/// Per-class precision, recall, F1 and support, accuracy and averages, as scikit-learn's
/// `classification_report` (whose text layout [`Display`](fmt::Display) reproduces; the
/// formatter's precision, as in `{:.4}`, sets the digits, 2 by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationReport {
    classes: Vec<ClassScores>,
    #[serde(with = "nan_as_null")]
    accuracy: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    micro_avg: Option<AverageScores>,
    macro_avg: AverageScores,
    weighted_avg: AverageScores,
    n_samples: u64,
    zero_division: ZeroDivision,
    undefined: Vec<UndefinedMetric>,
}

impl ClassificationReport {
    /// The report over every label that occurs, ascending, named by value.
    ///
    /// # Errors
    /// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
    pub fn new<L: Label>(truth: &[L], pred: &[L]) -> Result<Self, EvalError> {
        Self::with_options(truth, pred, &ReportOptions::new())
    }

    /// The report with explicit labels, names or `zero_division`.
    ///
    /// # Errors
    /// [`EvalError::LengthMismatch`], [`EvalError::Empty`], [`EvalError::NoLabels`],
    /// [`EvalError::DuplicateLabel`] or [`EvalError::NamesMismatch`].
    pub fn with_options<L: Label>(
        truth: &[L],
        pred: &[L],
        options: &ReportOptions<L>,
    ) -> Result<Self, EvalError> {
        check_pair(truth.len(), pred.len())?;
        let (labels, micro_is_accuracy) = options.report_labels(truth, pred)?;
        let index = LabelIndex::new(&labels)?;
        let names = options.names(&labels)?;
        let counts = Counts::new(truth, pred, &index, labels.len());
        let mut scorer = Scorer {
            zero_division: options.zero_division,
            undefined: Vec::new(),
        };
        let classes: Vec<ClassScores> = (0..labels.len())
            .map(|i| scorer.class(&counts, i, labels[i].to_u64(), &names[i]))
            .collect();
        let micro_avg = (!micro_is_accuracy).then(|| scorer.micro_average(&counts));
        let total_support = counts.true_sum.iter().sum();
        Ok(ClassificationReport {
            accuracy: counts.correct as f64 / truth.len() as f64,
            micro_avg,
            macro_avg: average(&classes, total_support, false),
            weighted_avg: average(&classes, total_support, true),
            classes,
            n_samples: truth.len() as u64,
            zero_division: options.zero_division,
            undefined: scorer.undefined,
        })
    }

    /// The same report with other display names (one per class row, in order).
    ///
    /// # Errors
    /// [`EvalError::NamesMismatch`] if the count differs from the number of rows.
    pub fn with_target_names<S: AsRef<str>>(mut self, names: &[S]) -> Result<Self, EvalError> {
        if names.len() != self.classes.len() {
            return Err(EvalError::NamesMismatch {
                names: names.len(),
                labels: self.classes.len(),
            });
        }
        for u in &mut self.undefined {
            if let Some(k) = self.classes.iter().position(|c| c.name == u.row) {
                u.row = names[k].as_ref().to_owned();
            }
        }
        for (class, name) in self.classes.iter_mut().zip(names) {
            class.name = name.as_ref().to_owned();
        }
        Ok(self)
    }

    /// The per-class rows, in label order.
    pub fn classes(&self) -> &[ClassScores] {
        &self.classes
    }

    /// The fraction of all samples whose predicted label equals the true one.
    pub fn accuracy(&self) -> f64 {
        self.accuracy
    }

    /// The micro average, shown instead of accuracy when explicit labels leave out some label
    /// that occurs (otherwise `None`: it would equal the accuracy).
    pub fn micro_avg(&self) -> Option<&AverageScores> {
        self.micro_avg.as_ref()
    }

    /// The unweighted mean of the per-class scores (NaN scores left out).
    pub fn macro_avg(&self) -> &AverageScores {
        &self.macro_avg
    }

    /// The support-weighted mean of the per-class scores (NaN scores left out).
    pub fn weighted_avg(&self) -> &AverageScores {
        &self.weighted_avg
    }

    /// Number of samples.
    pub fn n_samples(&self) -> u64 {
        self.n_samples
    }

    /// The `zero_division` setting used.
    pub fn zero_division(&self) -> ZeroDivision {
        self.zero_division
    }

    /// Every score whose denominator was 0 (and which was set to the `zero_division` value),
    /// whatever the setting.
    pub fn undefined(&self) -> &[UndefinedMetric] {
        &self.undefined
    }

    /// scikit-learn's warnings, one per kind of undefined score, naming the rows; empty unless
    /// `zero_division` is "warn" and some score was undefined.
    pub fn warnings(&self) -> Vec<String> {
        if self.zero_division != ZeroDivision::Warn {
            return Vec::new();
        }
        [
            (Metric::Precision, "Precision", "predicted"),
            (Metric::Recall, "Recall", "true"),
            (Metric::F1, "F-score", "true nor predicted"),
        ]
        .into_iter()
        .filter_map(|(metric, title, modifier)| {
            let rows: Vec<&str> =
                self.undefined.iter().filter(|u| u.metric == metric).map(|u| u.row.as_str()).collect();
            (!rows.is_empty()).then(|| {
                format!(
                    "{title} is ill-defined and being set to 0.0 in labels with no {modifier} samples ({}).",
                    rows.join(", ")
                )
            })
        })
        .collect()
    }

    /// The text report with `digits` decimals, laid out exactly as scikit-learn's.
    pub fn render(&self, digits: usize) -> String {
        let last_heading = "weighted avg";
        let name_width = self
            .classes
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        let width = name_width.max(last_heading.len()).max(digits);
        let num = |x: f64| {
            if x.is_nan() {
                format!("{:>9}", "nan")
            } else {
                format!("{x:>9.digits$}")
            }
        };
        let row = |name: &str, p: f64, r: f64, f: f64, s: u64| {
            format!("{name:>width$}  {} {} {} {s:>9}\n", num(p), num(r), num(f))
        };
        let mut out = format!(
            "{:>width$}  {:>9} {:>9} {:>9} {:>9}\n\n",
            "", "precision", "recall", "f1-score", "support"
        );
        for c in &self.classes {
            out += &row(&c.name, c.precision, c.recall, c.f1, c.support);
        }
        out.push('\n');
        match &self.micro_avg {
            None => {
                out += &format!(
                    "{:>width$}  {:>9} {:>9} {} {:>9}\n",
                    "accuracy",
                    "",
                    "",
                    num(self.accuracy),
                    self.macro_avg.support
                );
            }
            Some(m) => out += &row("micro avg", m.precision, m.recall, m.f1, m.support),
        }
        for (name, a) in [
            ("macro avg", &self.macro_avg),
            ("weighted avg", &self.weighted_avg),
        ] {
            out += &row(name, a.precision, a.recall, a.f1, a.support);
        }
        out
    }
}

impl fmt::Display for ClassificationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(f.precision().unwrap_or(2)))
    }
}

/// Weighted mean ignoring NaN values, as scikit-learn's `_nanaverage`: NaN if every value is
/// NaN, the unweighted mean if the remaining weights sum to 0.
fn nan_average(values: &[f64], weights: Option<&[u64]>) -> f64 {
    let keep: Vec<usize> = (0..values.len()).filter(|&i| !values[i].is_nan()).collect();
    if keep.is_empty() {
        return f64::NAN;
    }
    if let Some(w) = weights {
        let total: u64 = keep.iter().map(|&i| w[i]).sum();
        if total > 0 {
            return sum(keep.iter().map(|&i| values[i] * w[i] as f64)) / total as f64;
        }
    }
    sum(keep.iter().map(|&i| values[i])) / keep.len() as f64
}

/// Serialises NaN as `null` (JSON has no NaN) and reads `null` back as NaN.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_nan() {
            s.serialize_none()
        } else {
            s.serialize_f64(*x)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scikit_learn_documentation_example() {
        // y_true = [0, 1, 2, 2, 2], y_pred = [0, 0, 2, 2, 1], target_names class 0..2
        let t = [0u8, 1, 2, 2, 2];
        let p = [0u8, 0, 2, 2, 1];
        let report = ClassificationReport::with_options(
            &t,
            &p,
            &ReportOptions::new().target_names(&["class 0", "class 1", "class 2"]),
        )
        .unwrap();
        let expected = "              precision    recall  f1-score   support

     class 0       0.50      1.00      0.67         1
     class 1       0.00      0.00      0.00         1
     class 2       1.00      0.67      0.80         3

    accuracy                           0.60         5
   macro avg       0.50      0.56      0.49         5
weighted avg       0.70      0.60      0.61         5
";
        assert_eq!(report.to_string(), expected);
        assert!(report.undefined().is_empty());
        let cm = confusion_matrix(&t, &p, &[]).unwrap();
        assert_eq!(cm.matrix(), &[vec![1, 0, 0], vec![1, 0, 0], vec![0, 1, 2]]);
        let names = [
            "class 0".to_owned(),
            "class 1".to_owned(),
            "class 2".to_owned(),
        ];
        assert_eq!(
            cm.render(Some(&names)),
            "true \\ pred   0   1   2\n    class 0   1   0   0\n    class 1   1   0   0\n    class 2   0   1   2\n"
        );
    }

    #[test]
    fn explicit_labels_and_zero_division() {
        let t = [1u32, 1, 2, 3];
        let p = [1u32, 2, 2, 2];
        let report =
            ClassificationReport::with_options(&t, &p, &ReportOptions::new().labels(&[1, 3, 7]))
                .unwrap();
        assert!(report.micro_avg().is_some());
        let kinds: Vec<_> = report
            .undefined()
            .iter()
            .map(|u| (u.metric, u.row.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (Metric::Precision, "3"),
                (Metric::Precision, "7"),
                (Metric::Recall, "7"),
                (Metric::F1, "7")
            ]
        );
        assert_eq!(report.warnings().len(), 3);
        let json = serde_json::to_string(&report).unwrap();
        let back: ClassificationReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report);

        let nan = ClassificationReport::with_options(
            &t,
            &p,
            &ReportOptions::new()
                .labels(&[1, 3, 7])
                .zero_division(ZeroDivision::Nan),
        )
        .unwrap();
        assert!(nan.classes()[2].precision.is_nan());
        assert!(nan.warnings().is_empty());
        let json = serde_json::to_string(&nan).unwrap();
        assert!(json.contains("null"));
        let back: ClassificationReport = serde_json::from_str(&json).unwrap();
        assert!(back.classes()[2].precision.is_nan());

        assert_eq!(
            confusion_matrix(&t, &p, &[7]),
            Err(EvalError::NoLabelInTruth)
        );
        assert_eq!(
            confusion_matrix(&t, &p, &[1, 1]),
            Err(EvalError::DuplicateLabel(1))
        );
        let cm = confusion_matrix(&t, &p, &[2, 1]).unwrap();
        assert_eq!(cm.matrix(), &[vec![1, 0], vec![1, 1]]);
    }
}
