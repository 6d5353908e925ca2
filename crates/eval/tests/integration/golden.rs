//! Every metric against scikit-learn's values in fixtures/eval/golden.json, to 1e-9.

use crate::common;

use common::{generate, golden};
use fmnist_eval::*;
use serde_json::Value;

const TOL: f64 = 1e-9;

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

#[track_caller]
fn close(case: &str, what: &str, got: f64, expected: &Value) {
    let want = num(expected);
    let ok = if want.is_nan() {
        got.is_nan()
    } else {
        (got - want).abs() <= TOL
    };
    assert!(
        ok,
        "{case}: {what} = {got:?}, scikit-learn {want:?} (difference {:e})",
        got - want
    );
}

/// One golden clustering case: its name, the two labelings and scikit-learn's values.
struct Case<'a, A, B> {
    name: &'a str,
    truth: &'a [A],
    pred: &'a [B],
    e: &'a Value,
}

impl<A: Label, B: Label> Case<'_, A, B> {
    #[track_caller]
    fn close(&self, what: &str, got: f64, key: &str) {
        close(self.name, what, got, &self.e[key]);
    }

    fn check(&self) {
        let table = Contingency::new(self.truth, self.pred).unwrap();
        for (got, key) in [
            (table.n_samples(), "n_samples"),
            (table.n_classes() as u64, "n_classes"),
            (table.n_clusters() as u64, "n_clusters"),
        ] {
            assert_eq!(got, self.e[key].as_u64().unwrap(), "{}: {key}", self.name);
        }
        self.check_information(&table);
        self.check_pairs();
        self.check_v_measure();
        self.check_accuracy(&table);
        let report = ClusteringReport::compute(self.truth, self.pred).unwrap();
        let scores = ClusteringScores::compute(self.truth, self.pred).unwrap();
        assert_eq!(report.scores(), scores);
        close(
            self.name,
            "report.ami",
            report.ami,
            &self.e["ami"]["arithmetic"],
        );
        self.close("report.accuracy", report.accuracy, "accuracy");
    }

    /// Entropies, mutual information, its expectation, AMI and NMI with every normaliser.
    fn check_information(&self, table: &Contingency) {
        let (name, truth, pred, e) = (self.name, self.truth, self.pred, self.e);
        self.close("entropy_true", entropy(truth).unwrap(), "entropy_true");
        self.close("entropy_pred", entropy(pred).unwrap(), "entropy_pred");
        self.close("mi", mutual_info(truth, pred).unwrap(), "mi");
        let emi = expected_mutual_info(truth, pred).unwrap();
        self.close("emi", emi, "emi");
        // against the 50-digit value: far closer than scikit-learn's own 1e-10
        let exact = num(&e["emi_exact"]);
        assert!(
            (emi - exact).abs() <= 1e-13 * exact.max(1e-300),
            "{name}: emi {emi:e} vs exact {exact:e}"
        );
        // With exactly one all-distinct labeling, MI = EMI = the other entropy = the min
        // normaliser: AMI-min is 0/0, scikit-learn's value is rounding noise of its log-gamma
        // sums (0.67 for [0, 0, 1, 1] against [0, 1, 2, 3]), and ours is 0 as with the other
        // normalisers.
        let n = table.n_samples() as usize;
        let one_all_distinct = (table.n_classes() == n) != (table.n_clusters() == n);
        for method in AverageMethod::ALL {
            let ami = adjusted_mutual_info_with(truth, pred, method).unwrap();
            if one_all_distinct && method == AverageMethod::Min {
                assert_eq!(ami, 0.0, "{name}: ami min of one all-distinct labeling");
            } else {
                close(
                    name,
                    &format!("ami {method}"),
                    ami,
                    &e["ami"][method.name()],
                );
            }
            let nmi = normalized_mutual_info_with(truth, pred, method).unwrap();
            close(
                name,
                &format!("nmi {method}"),
                nmi,
                &e["nmi"][method.name()],
            );
        }
        let ami = adjusted_mutual_info(truth, pred).unwrap();
        close(name, "ami", ami, &e["ami"]["arithmetic"]);
        let nmi = normalized_mutual_info(truth, pred).unwrap();
        close(name, "nmi", nmi, &e["nmi"]["arithmetic"]);
    }

    /// The pair-counting scores: ARI, Rand index, the pair confusion matrix, Fowlkes–Mallows.
    fn check_pairs(&self) {
        let (truth, pred) = (self.truth, self.pred);
        self.close("ari", adjusted_rand_index(truth, pred).unwrap(), "ari");
        self.close("rand", rand_index(truth, pred).unwrap(), "rand");
        let pairs: Vec<Vec<u64>> =
            serde_json::from_value(self.e["pair_confusion"].clone()).unwrap();
        let got = pair_confusion_matrix(truth, pred).unwrap();
        assert_eq!(
            vec![got[0].to_vec(), got[1].to_vec()],
            pairs,
            "{}: pair confusion",
            self.name
        );
        let fm = fowlkes_mallows(truth, pred).unwrap();
        self.close("fowlkes_mallows", fm, "fowlkes_mallows");
    }

    /// Homogeneity, completeness and the V-measure with every β of the case.
    fn check_v_measure(&self) {
        let (truth, pred) = (self.truth, self.pred);
        self.close(
            "homogeneity",
            homogeneity(truth, pred).unwrap(),
            "homogeneity",
        );
        self.close(
            "completeness",
            completeness(truth, pred).unwrap(),
            "completeness",
        );
        self.close("v_measure", v_measure(truth, pred).unwrap(), "v_measure");
        for pair in self.e["v_measure_beta"].as_array().unwrap() {
            if pair[1].is_null() {
                continue; // scikit-learn raises ZeroDivisionError there
            }
            let beta = num(&pair[0]);
            close(
                self.name,
                &format!("v_measure beta {beta}"),
                v_measure_with_beta(truth, pred, beta).unwrap(),
                &pair[1],
            );
        }
    }

    /// Purity, and the clustering accuracy with a mapping that is one-to-one and achieves the
    /// count it claims.
    fn check_accuracy(&self, table: &Contingency) {
        let (name, truth, pred) = (self.name, self.truth, self.pred);
        self.close("purity", purity(truth, pred).unwrap(), "purity");
        let acc = clustering_accuracy(truth, pred).unwrap();
        assert_eq!(
            acc.correct,
            self.e["correct"].as_u64().unwrap(),
            "{name}: correct under the best mapping"
        );
        self.close("accuracy", acc.accuracy, "accuracy");
        let achieved = truth
            .iter()
            .zip(pred)
            .filter(|&(&t, &p)| acc.class_of(p) == Some(t))
            .count() as u64;
        assert_eq!(achieved, acc.correct, "{name}: mapping");
        let mut classes: Vec<A> = acc.mapping.values().copied().collect();
        classes.sort_unstable();
        classes.dedup();
        assert_eq!(classes.len(), acc.mapping.len(), "{name}: one-to-one");
        assert_eq!(
            acc.mapping.len(),
            table.n_classes().min(table.n_clusters()),
            "{name}: matched clusters"
        );
    }
}

#[test]
fn clustering_metrics_match_scikit_learn() {
    let golden = golden();
    let cases = golden["clustering"].as_array().unwrap();
    assert!(cases.len() >= 25);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let truth = generate(&case["truth"]);
        let pred = generate(&case["pred"]);
        let e = &case["expected"];
        Case {
            name,
            truth: &truth,
            pred: &pred,
            e,
        }
        .check();
        // the label type does not matter
        if truth.iter().chain(&pred).all(|&v| v <= u64::from(u16::MAX)) {
            let t: Vec<u16> = truth.iter().map(|&v| v as u16).collect();
            let p: Vec<usize> = pred.iter().map(|&v| v as usize).collect();
            assert_eq!(
                ClusteringReport::compute(&t, &p).unwrap(),
                ClusteringReport::compute(&truth, &pred).unwrap(),
                "{name}"
            );
        }
    }
}

/// The report's options of a golden classification case: its labels, target names and
/// `zero_division`.
fn report_options(case: &Value) -> ReportOptions<u64> {
    let labels: Option<Vec<u64>> = serde_json::from_value(case["labels"].clone()).unwrap();
    let names: Option<Vec<String>> = serde_json::from_value(case["target_names"].clone()).unwrap();
    let zero_division: ZeroDivision =
        serde_json::from_value(case["zero_division"].clone()).unwrap();
    let mut options = ReportOptions::new().zero_division(zero_division);
    if let Some(labels) = &labels {
        options = options.labels(labels);
    }
    if let Some(names) = &names {
        options = options.target_names(names);
    }
    options
}

/// The rows and the averages of a report against scikit-learn's.
fn check_report_scores(name: &str, report: &ClassificationReport, e: &Value) {
    for (k, class) in report.classes().iter().enumerate() {
        close(name, "precision", class.precision, &e["precision"][k]);
        close(name, "recall", class.recall, &e["recall"][k]);
        close(name, "f1", class.f1, &e["f1"][k]);
        let support = e["support"][k].as_u64().unwrap();
        assert_eq!(class.support, support, "{name}: support");
    }
    assert_eq!(
        report.classes().len(),
        e["support"].as_array().unwrap().len()
    );
    close(name, "accuracy", report.accuracy(), &e["accuracy"]);
    for (avg, key) in [
        (report.macro_avg(), "macro"),
        (report.weighted_avg(), "weighted"),
    ] {
        close(name, &format!("{key} precision"), avg.precision, &e[key][0]);
        close(name, &format!("{key} recall"), avg.recall, &e[key][1]);
        close(name, &format!("{key} f1"), avg.f1, &e[key][2]);
    }
    match report.micro_avg() {
        Some(micro) => {
            close(name, "micro precision", micro.precision, &e["micro"][0]);
            close(name, "micro recall", micro.recall, &e["micro"][1]);
            close(name, "micro f1", micro.f1, &e["micro"][2]);
        }
        None => close(
            name,
            "micro f1 = accuracy",
            report.accuracy(),
            &e["micro"][2],
        ),
    }
    assert_eq!(
        report.micro_avg().is_some(),
        e["report_dict"].get("micro avg").is_some(),
        "{name}: micro row"
    );
}

/// The text layout (2 and 4 digits) against scikit-learn's, and a serde round trip.
fn check_report_text(name: &str, report: &ClassificationReport, e: &Value) {
    let text = e["text"].as_str().unwrap();
    assert_eq!(report.to_string(), text, "{name}: text report");
    let text4 = e["text_digits4"].as_str().unwrap();
    assert_eq!(
        format!("{report:.4}"),
        text4,
        "{name}: text report, 4 digits"
    );
    let json = serde_json::to_string(&report).unwrap();
    let back: ClassificationReport = serde_json::from_str(&json).unwrap();
    assert_eq!(
        back.to_string(),
        report.to_string(),
        "{name}: serde round trip"
    );
}

#[test]
fn classification_metrics_match_scikit_learn() {
    let golden = golden();
    for case in golden["classification"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let e = &case["expected"];
        let truth = generate(&case["truth"]);
        let pred = generate(&case["pred"]);
        let labels: Option<Vec<u64>> = serde_json::from_value(case["labels"].clone()).unwrap();
        let cm = confusion_matrix(&truth, &pred, labels.as_deref().unwrap_or(&[])).unwrap();
        let expected_cm: Vec<Vec<u64>> = serde_json::from_value(e["confusion"].clone()).unwrap();
        assert_eq!(
            cm.matrix(),
            expected_cm.as_slice(),
            "{name}: confusion matrix"
        );
        let report =
            ClassificationReport::with_options(&truth, &pred, &report_options(case)).unwrap();
        check_report_scores(name, &report, e);
        check_report_text(name, &report, e);
    }
}
