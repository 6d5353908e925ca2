//! Every metric against scikit-learn's values in fixtures/eval/golden.json, to 1e-9.

mod common;

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

fn check_clustering<A: Label, B: Label>(name: &str, truth: &[A], pred: &[B], e: &Value) {
    let table = Contingency::new(truth, pred).unwrap();
    assert_eq!(
        table.n_samples(),
        e["n_samples"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(
        table.n_classes() as u64,
        e["n_classes"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(
        table.n_clusters() as u64,
        e["n_clusters"].as_u64().unwrap(),
        "{name}"
    );
    close(
        name,
        "entropy_true",
        entropy(truth).unwrap(),
        &e["entropy_true"],
    );
    close(
        name,
        "entropy_pred",
        entropy(pred).unwrap(),
        &e["entropy_pred"],
    );
    close(name, "mi", mutual_info(truth, pred).unwrap(), &e["mi"]);
    let emi = expected_mutual_info(truth, pred).unwrap();
    close(name, "emi", emi, &e["emi"]);
    // against the 50-digit value: far closer than scikit-learn's own 1e-10
    let exact = num(&e["emi_exact"]);
    assert!(
        (emi - exact).abs() <= 1e-13 * exact.max(1e-300),
        "{name}: emi {emi:e} vs exact {exact:e}"
    );
    // With exactly one all-distinct labeling, MI = EMI = the other entropy = the min normaliser:
    // AMI-min is 0/0, scikit-learn's value is rounding noise of its log-gamma sums (0.67 for
    // [0, 0, 1, 1] against [0, 1, 2, 3]), and ours is 0 as with the other normalisers.
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
        close(
            name,
            &format!("nmi {method}"),
            normalized_mutual_info_with(truth, pred, method).unwrap(),
            &e["nmi"][method.name()],
        );
    }
    close(
        name,
        "ami",
        adjusted_mutual_info(truth, pred).unwrap(),
        &e["ami"]["arithmetic"],
    );
    close(
        name,
        "nmi",
        normalized_mutual_info(truth, pred).unwrap(),
        &e["nmi"]["arithmetic"],
    );
    close(
        name,
        "ari",
        adjusted_rand_index(truth, pred).unwrap(),
        &e["ari"],
    );
    close(name, "rand", rand_index(truth, pred).unwrap(), &e["rand"]);
    let pairs: Vec<Vec<u64>> = serde_json::from_value(e["pair_confusion"].clone()).unwrap();
    let got = pair_confusion_matrix(truth, pred).unwrap();
    assert_eq!(
        vec![got[0].to_vec(), got[1].to_vec()],
        pairs,
        "{name}: pair confusion"
    );
    close(
        name,
        "homogeneity",
        homogeneity(truth, pred).unwrap(),
        &e["homogeneity"],
    );
    close(
        name,
        "completeness",
        completeness(truth, pred).unwrap(),
        &e["completeness"],
    );
    close(
        name,
        "v_measure",
        v_measure(truth, pred).unwrap(),
        &e["v_measure"],
    );
    for pair in e["v_measure_beta"].as_array().unwrap() {
        if pair[1].is_null() {
            continue; // scikit-learn raises ZeroDivisionError there
        }
        let beta = num(&pair[0]);
        close(
            name,
            &format!("v_measure beta {beta}"),
            v_measure_with_beta(truth, pred, beta).unwrap(),
            &pair[1],
        );
    }
    close(
        name,
        "fowlkes_mallows",
        fowlkes_mallows(truth, pred).unwrap(),
        &e["fowlkes_mallows"],
    );
    close(name, "purity", purity(truth, pred).unwrap(), &e["purity"]);
    let acc = clustering_accuracy(truth, pred).unwrap();
    assert_eq!(
        acc.correct,
        e["correct"].as_u64().unwrap(),
        "{name}: correct under the best mapping"
    );
    close(name, "accuracy", acc.accuracy, &e["accuracy"]);
    // the mapping achieves the count it claims, and is one-to-one
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

    let report = ClusteringReport::compute(truth, pred).unwrap();
    let scores = ClusteringScores::compute(truth, pred).unwrap();
    assert_eq!(report.scores(), scores);
    close(name, "report.ami", report.ami, &e["ami"]["arithmetic"]);
    close(name, "report.accuracy", report.accuracy, &e["accuracy"]);
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
        check_clustering(name, &truth, &pred, &case["expected"]);
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

#[test]
fn classification_metrics_match_scikit_learn() {
    let golden = golden();
    for case in golden["classification"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let e = &case["expected"];
        let truth = generate(&case["truth"]);
        let pred = generate(&case["pred"]);
        let labels: Option<Vec<u64>> = serde_json::from_value(case["labels"].clone()).unwrap();
        let names: Option<Vec<String>> =
            serde_json::from_value(case["target_names"].clone()).unwrap();
        let zero_division: ZeroDivision =
            serde_json::from_value(case["zero_division"].clone()).unwrap();

        let cm = confusion_matrix(&truth, &pred, labels.as_deref().unwrap_or(&[])).unwrap();
        let expected_cm: Vec<Vec<u64>> = serde_json::from_value(e["confusion"].clone()).unwrap();
        assert_eq!(
            cm.matrix(),
            expected_cm.as_slice(),
            "{name}: confusion matrix"
        );

        let mut options = ReportOptions::new().zero_division(zero_division);
        if let Some(labels) = &labels {
            options = options.labels(labels);
        }
        if let Some(names) = &names {
            options = options.target_names(names);
        }
        let report = ClassificationReport::with_options(&truth, &pred, &options).unwrap();
        for (k, class) in report.classes().iter().enumerate() {
            close(name, "precision", class.precision, &e["precision"][k]);
            close(name, "recall", class.recall, &e["recall"][k]);
            close(name, "f1", class.f1, &e["f1"][k]);
            assert_eq!(
                class.support,
                e["support"][k].as_u64().unwrap(),
                "{name}: support"
            );
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
        assert_eq!(
            report.to_string(),
            e["text"].as_str().unwrap(),
            "{name}: text report"
        );
        assert_eq!(
            format!("{report:.4}"),
            e["text_digits4"].as_str().unwrap(),
            "{name}: text report, 4 digits"
        );
        // scikit-learn warns exactly when a score is ill-defined under "warn"
        let json = serde_json::to_string(&report).unwrap();
        let back: ClassificationReport = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.to_string(),
            report.to_string(),
            "{name}: serde round trip"
        );
    }
}
