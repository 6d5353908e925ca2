//! Invariants of the metrics on random labelings (proptest) and their expectations under the
//! permutation model.

use crate::common;

use fmnist_eval::*;
use proptest::prelude::*;

const EPS: f64 = 1e-12;

/// Two labelings of the same length (1..80), with up to 6 and 8 distinct values.
fn two_labelings() -> impl Strategy<Value = (Vec<u32>, Vec<u32>)> {
    (1usize..80).prop_flat_map(|n| {
        (
            prop::collection::vec(0u32..6, n),
            prop::collection::vec(0u32..8, n),
        )
    })
}

fn report(t: &[u32], p: &[u32]) -> ClusteringReport {
    ClusteringReport::compute(t, p).unwrap()
}

fn assert_reports_close(a: &ClusteringReport, b: &ClusteringReport) {
    let (ra, rb) = (a.rows(), b.rows());
    for ((name, _, x), (_, _, y)) in ra.iter().zip(&rb) {
        assert!((x - y).abs() <= EPS, "{name}: {x} vs {y}");
    }
    assert_eq!(
        (a.n_samples, a.n_classes, a.n_clusters),
        (b.n_samples, b.n_classes, b.n_clusters)
    );
}

/// Best one-to-one matching by trying every injective map (small tables only).
fn brute_force_correct(t: &[u32], p: &[u32]) -> u64 {
    let table = Contingency::new(t, p).unwrap().to_dense();
    fn go(i: usize, table: &[Vec<u64>], used: &mut [bool]) -> u64 {
        if i == table.len() {
            return 0;
        }
        let mut best = go(i + 1, table, used);
        for j in 0..used.len() {
            if !used[j] {
                used[j] = true;
                best = best.max(table[i][j] + go(i + 1, table, used));
                used[j] = false;
            }
        }
        best
    }
    let cols = table[0].len();
    go(0, &table, &mut vec![false; cols])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn renaming_labels_changes_nothing((t, p) in two_labelings(), mul in 1u64..1_000_000, add in 0u64..1 << 40) {
        let base = report(&t, &p);
        // an injective renaming into large, sparse values (another label type too)
        let t2: Vec<u64> = t.iter().map(|&x| u64::from(x) * mul + add).collect();
        // an order-reversing renaming
        let p2: Vec<u8> = p.iter().map(|&x| 200 - x as u8).collect();
        assert_reports_close(&base, &ClusteringReport::compute(&t2, &p2).unwrap());
        let emi = expected_mutual_info(&t, &p).unwrap();
        prop_assert!((emi - expected_mutual_info(&t2, &p2).unwrap()).abs() <= EPS);
    }

    #[test]
    fn symmetric_metrics_are_symmetric((t, p) in two_labelings()) {
        let (a, b) = (Contingency::new(&t, &p).unwrap(), Contingency::new(&p, &t).unwrap());
        for m in AverageMethod::ALL {
            prop_assert!((a.adjusted_mutual_info(m) - b.adjusted_mutual_info(m)).abs() <= EPS, "ami {m}");
            prop_assert!((a.normalized_mutual_info(m) - b.normalized_mutual_info(m)).abs() <= EPS, "nmi {m}");
        }
        prop_assert!((a.mutual_info() - b.mutual_info()).abs() <= EPS);
        prop_assert!((a.expected_mutual_info() - b.expected_mutual_info()).abs() <= EPS);
        prop_assert_eq!(a.adjusted_rand_index(), b.adjusted_rand_index());
        prop_assert_eq!(a.rand_index(), b.rand_index());
        prop_assert_eq!(a.fowlkes_mallows(), b.fowlkes_mallows());
        prop_assert_eq!(a.accuracy(), b.accuracy());
        let (x, y) = (a.homogeneity_completeness_v_measure(1.0), b.homogeneity_completeness_v_measure(1.0));
        prop_assert!((x.homogeneity - y.completeness).abs() <= EPS);
        prop_assert!((x.completeness - y.homogeneity).abs() <= EPS);
        prop_assert!((x.v_measure - y.v_measure).abs() <= EPS);
        // V-measure with beta = 1 is NMI with the arithmetic mean
        prop_assert!((x.v_measure - a.normalized_mutual_info(AverageMethod::Arithmetic)).abs() <= 1e-9
            || a.n_classes() == 1 || a.n_clusters() == 1);
    }

    #[test]
    fn bounds((t, p) in two_labelings()) {
        let r = report(&t, &p);
        let table = Contingency::new(&t, &p).unwrap();
        for (name, x) in [("nmi", r.nmi), ("rand", r.rand), ("homogeneity", r.homogeneity),
                          ("completeness", r.completeness), ("v_measure", r.v_measure),
                          ("fowlkes_mallows", r.fowlkes_mallows), ("purity", r.purity), ("accuracy", r.accuracy)] {
            prop_assert!((-EPS..=1.0 + EPS).contains(&x), "{} = {}", name, x);
        }
        prop_assert!(r.ari <= 1.0 + EPS && r.ari >= -1.0, "ari {}", r.ari);
        prop_assert!(r.ami <= 1.0 + EPS, "ami {}", r.ami);
        prop_assert!(r.accuracy <= r.purity + EPS);
        prop_assert!(r.accuracy >= 1.0 / r.n_samples as f64 - EPS);
        let mi = table.mutual_info();
        prop_assert!(mi >= 0.0 && mi <= table.entropy_true().min(table.entropy_pred()) + EPS);
        let emi = table.expected_mutual_info();
        prop_assert!(emi >= -EPS && emi <= table.entropy_true().min(table.entropy_pred()) + EPS);
        prop_assert_eq!(table.class_sizes().iter().sum::<u64>(), t.len() as u64);
        prop_assert_eq!(table.nonzeros().map(|(_, _, c)| c).sum::<u64>(), t.len() as u64);
    }

    #[test]
    fn identical_labelings_score_one(t in prop::collection::vec(0u32..7, 2..80), mul in 1u32..50) {
        let p: Vec<u32> = t.iter().map(|&x| x * mul + 3).collect();
        let r = report(&t, &p);
        for (name, x) in [("ami", r.ami), ("nmi", r.nmi), ("ari", r.ari), ("rand", r.rand),
                          ("homogeneity", r.homogeneity), ("completeness", r.completeness),
                          ("v_measure", r.v_measure), ("accuracy", r.accuracy), ("purity", r.purity)] {
            prop_assert!((x - 1.0).abs() <= EPS, "{} = {}", name, x);
        }
        let together = r.n_clusters < r.n_samples as usize; // some pair of samples shares a label
        prop_assert_eq!((r.fowlkes_mallows - 1.0).abs() <= EPS, together);
    }

    #[test]
    fn one_all_distinct_labeling_has_no_information_beyond_chance(
        t in prop::collection::vec(0u32..6, 2..40),
        seed in any::<u64>(),
    ) {
        // an all-distinct labeling: a permutation of 0..n
        let mut p: Vec<u32> = (0..t.len() as u32).collect();
        shuffle(&mut p, &mut common::Lcg::new(seed));
        let (a, b) = (Contingency::new(&t, &p).unwrap(), Contingency::new(&p, &t).unwrap());
        let all_distinct = a.n_classes() == t.len();
        for m in AverageMethod::ALL {
            let (x, y) = (a.adjusted_mutual_info(m), b.adjusted_mutual_info(m));
            prop_assert_eq!(x, y, "ami {}", m);
            prop_assert_eq!(x, if all_distinct { 1.0 } else { 0.0 }, "ami {}", m);
        }
    }

    #[test]
    fn hungarian_accuracy_is_the_best_one_to_one_mapping((t, p) in two_labelings()) {
        let acc = clustering_accuracy(&t, &p).unwrap();
        prop_assert_eq!(acc.correct, brute_force_correct(&t, &p));
        let achieved = t.iter().zip(&p).filter(|&(&x, &y)| acc.class_of(y) == Some(x)).count() as u64;
        prop_assert_eq!(achieved, acc.correct);
    }

    #[test]
    fn balanced_accuracy_is_at_least_one_over_k(k in 1u32..7, per_class in 1usize..15,
                                                 pred in prop::collection::vec(0u32..7, 100)) {
        // balanced truth with k classes, a prediction with at most k clusters
        let truth: Vec<u32> = (0..k).flat_map(|c| std::iter::repeat_n(c, per_class)).collect();
        let pred: Vec<u32> = pred.iter().take(truth.len()).map(|&x| x % k).collect();
        let pred: Vec<u32> = pred.iter().copied().chain(std::iter::repeat(0)).take(truth.len()).collect();
        let acc = clustering_accuracy(&truth, &pred).unwrap();
        prop_assert!(acc.accuracy >= 1.0 / f64::from(k) - EPS, "{} < 1/{}", acc.accuracy, k);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic(a in prop::collection::vec(0u8..4, 0..5), b in prop::collection::vec(0u8..4, 0..5)) {
        let r = ClusteringReport::compute(&a, &b);
        if a.len() != b.len() {
            prop_assert!(
                matches!(r, Err(EvalError::LengthMismatch { .. })),
                "lengths {} and {} accepted", a.len(), b.len()
            );
            prop_assert!(ClassificationReport::new(&a, &b).is_err());
        } else if a.is_empty() {
            prop_assert_eq!(r, Err(EvalError::Empty));
            prop_assert!(ClassificationReport::new(&a, &b).is_err());
        } else {
            prop_assert!(r.is_ok());
        }
    }

    #[test]
    fn classification_report_is_consistent(t in prop::collection::vec(0u32..5, 1..60), noise in prop::collection::vec(0u32..5, 60)) {
        let p: Vec<u32> = t.iter().zip(&noise).map(|(&x, &y)| if y < 3 { x } else { y }).collect();
        let report = ClassificationReport::new(&t, &p).unwrap();
        let cm = confusion_matrix(&t, &p, &[]).unwrap();
        let trace: u64 = (0..cm.labels().len()).map(|i| cm.get(i, i)).sum();
        prop_assert_eq!(cm.total(), t.len() as u64);
        prop_assert!((report.accuracy() - trace as f64 / t.len() as f64).abs() <= EPS);
        prop_assert_eq!(report.classes().iter().map(|c| c.support).sum::<u64>(), t.len() as u64);
        for (i, c) in report.classes().iter().enumerate() {
            let row: u64 = cm.matrix()[i].iter().sum();
            prop_assert_eq!(c.support, row);
            prop_assert!((0.0..=1.0).contains(&c.f1));
        }
        let same = ClassificationReport::new(&t, &t).unwrap();
        prop_assert_eq!(same.accuracy(), 1.0);
        prop_assert!(same.classes().iter().all(|c| c.precision == 1.0 && c.recall == 1.0 && c.f1 == 1.0));
    }
}

/// Fisher–Yates shuffle driven by the fixtures' LCG.
fn shuffle(v: &mut [u32], rng: &mut common::Lcg) {
    for i in (1..v.len()).rev() {
        let j = (rng.draw() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// Under the permutation model (fixed cluster sizes, random assignment) the mean of MI is the
/// EMI, so AMI and ARI average to 0: check the sample means over 3,000 shuffles against
/// four standard errors.
#[test]
fn ami_and_ari_are_zero_in_expectation_for_independent_labelings() {
    let mut rng = common::Lcg::new(2024);
    for (n, kt, kp) in [(60usize, 3u64, 4u64), (200, 10, 10), (40, 2, 8)] {
        let truth: Vec<u32> = common::skewed(n as u64, n, kt)
            .iter()
            .map(|&x| x as u32)
            .collect();
        let mut pred: Vec<u32> = common::uniform(n as u64 + 1, n, kp)
            .iter()
            .map(|&x| x as u32)
            .collect();
        let emi = expected_mutual_info(&truth, &pred).unwrap();
        let trials = 3000;
        let (mut ami, mut ari, mut mi) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..trials {
            shuffle(&mut pred, &mut rng);
            let table = Contingency::new(&truth, &pred).unwrap();
            ami.push(table.adjusted_mutual_info(AverageMethod::Arithmetic));
            ari.push(table.adjusted_rand_index());
            mi.push(table.mutual_info());
        }
        let stats = |v: &[f64]| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
            (mean, (var / v.len() as f64).sqrt())
        };
        let (m, se) = stats(&ami);
        assert!(
            m.abs() < 4.0 * se,
            "n={n}: mean AMI {m} (standard error {se})"
        );
        let (m, se) = stats(&ari);
        assert!(
            m.abs() < 4.0 * se,
            "n={n}: mean ARI {m} (standard error {se})"
        );
        let (m, se) = stats(&mi);
        assert!(
            (m - emi).abs() < 4.0 * se,
            "n={n}: mean MI {m} vs EMI {emi} (standard error {se})"
        );
    }
}
