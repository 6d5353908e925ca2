#!/usr/bin/env python3
"""scikit-learn on the inputs of benches/clustering.rs: 70,000 labels, 10 x 10 clusters.

Prints one JSON object {workload: seconds per call (median of repeats)}, with the same workload
ids as the criterion bench (`n70000_k10x10/<id>`). Run from the repository root, or through
`cargo xtask bench fmnist-eval` (which passes --data-dir and --indices; the labels here are
generated, so both are accepted and ignored):

    /work/venv/bin/python crates/eval/benches/sklearn_clustering.py
"""

import argparse
import json
import os
import statistics
import sys
import timeit

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics
from sklearn.metrics.cluster import contingency_matrix
from sklearn.metrics.cluster._expected_mutual_info_fast import expected_mutual_information
from sklearn.metrics.cluster._supervised import _entropy

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "eval"))
from make_golden import generate, noisy, uniform  # noqa: E402

truth_spec = uniform(1, 70_000, 10)
t = np.asarray(generate(truth_spec), dtype=np.int64)
p = np.asarray(generate(noisy(2, truth_spec, 10, 60, 3, 1)), dtype=np.int64)


def accuracy():
    c = contingency_matrix(t, p)
    rows, cols = linear_sum_assignment(-c)
    return c[rows, cols].sum() / len(t)


def purity():
    c = contingency_matrix(t, p, sparse=True)
    return c.max(axis=0).sum() / len(t)


def emi():
    c = contingency_matrix(t, p, sparse=True)
    return expected_mutual_information(c, len(t))


def everything():
    return (
        metrics.adjusted_mutual_info_score(t, p),
        metrics.normalized_mutual_info_score(t, p),
        metrics.adjusted_rand_score(t, p),
        metrics.rand_score(t, p),
        metrics.homogeneity_completeness_v_measure(t, p),
        metrics.fowlkes_mallows_score(t, p),
        accuracy(),
        purity(),
    )


workloads = {
    "contingency": lambda: contingency_matrix(t, p, sparse=True),
    "entropy": lambda: _entropy(t),
    "mutual_info": lambda: metrics.mutual_info_score(t, p),
    "expected_mutual_info": emi,
    "nmi": lambda: metrics.normalized_mutual_info_score(t, p),
    "ami": lambda: metrics.adjusted_mutual_info_score(t, p),
    "ari": lambda: metrics.adjusted_rand_score(t, p),
    "rand": lambda: metrics.rand_score(t, p),
    "homogeneity_completeness_v": lambda: metrics.homogeneity_completeness_v_measure(t, p),
    "fowlkes_mallows": lambda: metrics.fowlkes_mallows_score(t, p),
    "accuracy": accuracy,
    "purity": purity,
    "all": everything,
}

parser = argparse.ArgumentParser()
parser.add_argument("--data-dir")
parser.add_argument("--indices")
parser.parse_args()

out = {}
for name, f in workloads.items():
    f()
    timer = timeit.Timer(f)
    number, _ = timer.autorange()
    runs = timer.repeat(repeat=7, number=number)
    out[f"n70000_k10x10/{name}"] = statistics.median(runs) / number
print(json.dumps(out, indent=1))
