//! Golden values from umap-learn 0.5 and scikit-learn on 300 real images (PCA-20), produced by
//! `fixtures/manifold/make_golden.py`.

use std::collections::HashMap;

use fmnist_manifold::{
    Metric, Neighbors, Umap, find_ab_params, fuzzy_simplicial_set, nearest_neighbors,
    smooth_knn_dist, trustworthiness,
};
use nalgebra::DMatrix;
use serde_json::Value;

fn golden() -> Value {
    let path = fmnist_io::fixtures::dir().join("manifold/golden.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("golden.json exists"))
        .expect("valid JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|x| match x.as_array() {
            Some(row) => row.iter().map(|y| y.as_f64().unwrap()).collect(),
            None => vec![x.as_f64().unwrap()],
        })
        .collect()
}

fn matrix(v: &Value) -> DMatrix<f32> {
    let rows = v.as_array().unwrap().len();
    let data: Vec<f32> = floats(v).into_iter().map(|x| x as f32).collect();
    DMatrix::from_row_slice(rows, data.len() / rows, &data)
}

fn their_neighbors(g: &Value) -> Neighbors {
    let k = g["k"].as_u64().unwrap() as usize;
    let indices = floats(&g["knn_indices"])
        .into_iter()
        .map(|v| v as u32)
        .collect();
    let distances = floats(&g["knn_dists"])
        .into_iter()
        .map(|v| v as f32)
        .collect();
    Neighbors::new(k, indices, distances).unwrap()
}

#[test]
fn exact_neighbours_match_scikit_learn() {
    let g = golden();
    let x = matrix(&g["x"]);
    let theirs = their_neighbors(&g);
    let ours = nearest_neighbors(&x, theirs.k(), Metric::Euclidean).unwrap();
    assert_eq!(ours.indices(), theirs.indices());
    for (a, b) in ours.distances().iter().zip(theirs.distances()) {
        assert!((a - b).abs() <= 1e-5 * b.max(1.0), "{a} vs {b}");
    }
}

#[test]
fn sigmas_and_rhos_match_umap_learn() {
    let g = golden();
    let nn = their_neighbors(&g);
    for case in g["smooth"].as_array().unwrap() {
        let lc = case["local_connectivity"].as_f64().unwrap() as f32;
        let (sigmas, rhos) = smooth_knn_dist(&nn, lc);
        for (ours, theirs) in [(sigmas, &case["sigmas"]), (rhos, &case["rhos"])] {
            for (a, b) in ours.iter().zip(floats(theirs)) {
                let (a, b) = (f64::from(*a), b);
                assert!(
                    (a - b).abs() <= 1e-5 * b.abs().max(1e-3),
                    "lc {lc}: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn membership_graph_matches_umap_learn() {
    let g = golden();
    let nn = their_neighbors(&g);
    for case in g["graphs"].as_array().unwrap() {
        let mix = case["set_op_mix_ratio"].as_f64().unwrap() as f32;
        let (graph, _, _) = fuzzy_simplicial_set(&nn, 1.0, mix);
        let theirs: HashMap<(usize, usize), f64> = floats(&case["rows"])
            .into_iter()
            .zip(floats(&case["cols"]))
            .zip(floats(&case["vals"]))
            .map(|((r, c), v)| ((r as usize, c as usize), v))
            .collect();
        assert_eq!(graph.nnz(), theirs.len(), "mix {mix}");
        for i in 0..graph.n() {
            let (cols, vals) = graph.row(i);
            for (&j, &w) in cols.iter().zip(vals) {
                let t = theirs[&(i, j as usize)];
                assert!((f64::from(w) - t).abs() < 1e-5, "({i}, {j}): {w} vs {t}");
            }
        }
    }
}

#[test]
fn ab_params_match_umap_learn() {
    for case in golden()["ab"].as_array().unwrap() {
        let spread = case["spread"].as_f64().unwrap() as f32;
        let min_dist = case["min_dist"].as_f64().unwrap() as f32;
        let (a, b) = find_ab_params(spread, min_dist).unwrap();
        let (ta, tb) = (case["a"].as_f64().unwrap(), case["b"].as_f64().unwrap());
        assert!((f64::from(a) - ta).abs() < 1e-3 * ta, "a: {a} vs {ta}");
        assert!((f64::from(b) - tb).abs() < 1e-3 * tb, "b: {b} vs {tb}");
    }
}

#[test]
fn trustworthiness_matches_scikit_learn() {
    let g = golden();
    let x = matrix(&g["x"]);
    let embedding = matrix(&g["umap_embedding"]);
    for case in g["trust"].as_array().unwrap() {
        let k = case["k"].as_u64().unwrap() as usize;
        let ours = trustworthiness(&x, &embedding, k).unwrap();
        let theirs = case["value"].as_f64().unwrap();
        assert!((ours - theirs).abs() < 1e-6, "k {k}: {ours} vs {theirs}");
    }
}

#[test]
fn embedding_is_as_trustworthy_as_umap_learns() {
    let g = golden();
    let x = matrix(&g["x"]);
    let embedding = Umap::params().seed(0).fit_transform(&x).unwrap();
    for case in g["trust"].as_array().unwrap() {
        let k = case["k"].as_u64().unwrap() as usize;
        let ours = trustworthiness(&x, &embedding, k).unwrap();
        let theirs = case["value"].as_f64().unwrap();
        assert!(
            ours > theirs - 0.01,
            "k {k}: ours {ours}, umap-learn {theirs}"
        );
    }
}
