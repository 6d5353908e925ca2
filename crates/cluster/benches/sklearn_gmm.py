"""scikit-learn's GaussianMixture on the workloads of benches/gmm.rs and
examples/gmm_fashion_mnist.rs, for the README's speed and quality comparison.

    /work/venv/bin/python crates/cluster/benches/sklearn_gmm.py --data-dir DIR --indices FILE [WORKLOAD ...]

FILE holds the study's 48,000 training indices, one per line, as written by `cargo xtask bench`
(or by `cargo run --release -p fmnist-cluster --example gmm_fashion_mnist -- pca40 full - FILE`),
the same split as the Rust side. Workloads, named as the criterion bench's ids: pca40_full_fit
(fit, k = 10, seed 0, defaults), raw_diag_fit (fit on the 784 pixels), raw_full_em_iteration
(one EM iteration on the 784 pixels, after a one-iteration fit). Prints one JSON object:
seconds per `gmm/<workload>`, and for the fits `quality/gmm/<workload>/<measure>` (lower bound,
iterations, test AMI). The data are float64 pixels in [0, 1], read (plain or gzip-compressed)
by benches/fmnist_reference.py.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_mutual_info_score
from sklearn.mixture import GaussianMixture

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benches"))
from fmnist_reference import TEST_IMAGES, TEST_LABELS, images, labels, train_split  # noqa: E402


def pca(train, test, components):
    mean = train.mean(axis=0)
    cov = np.cov(train - mean, rowvar=False)
    _, vectors = np.linalg.eigh(cov)
    axes = vectors[:, ::-1][:, :components]
    return (train - mean) @ axes, (test - mean) @ axes


def fit(x, x_test, y_test, covariance, **kw):
    start = time.perf_counter()
    gm = GaussianMixture(10, covariance_type=covariance, random_state=0, **kw).fit(x)
    seconds = time.perf_counter() - start
    ami = adjusted_mutual_info_score(y_test, gm.predict(x_test))
    return gm, seconds, {"lower_bound": float(gm.lower_bound_), "n_iter": float(gm.n_iter_),
                         "test_ami": float(ami)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--indices", required=True)
    parser.add_argument("workloads", nargs="*",
                        default=["pca40_full_fit", "raw_diag_fit", "raw_full_em_iteration"])
    args = parser.parse_args()
    train = train_split(args.data_dir, args.indices, np.float64)
    test = images(args.data_dir, TEST_IMAGES, np.float64)
    y_test = labels(args.data_dir, TEST_LABELS)
    out = {}

    def record(workload, seconds, quality=None):
        out[f"gmm/{workload}"] = seconds
        for measure, value in (quality or {}).items():
            out[f"quality/gmm/{workload}/{measure}"] = value
        print(json.dumps({workload: seconds}), file=sys.stderr, flush=True)

    for w in args.workloads:
        if w == "pca40_full_fit":
            z, z_test = pca(train, test, 40)
            _, seconds, quality = fit(z, z_test, y_test, "full")
            record(w, seconds, quality)
        elif w == "raw_diag_fit":
            _, seconds, quality = fit(train, test, y_test, "diag")
            record(w, seconds, quality)
        elif w == "raw_full_em_iteration":
            gm, _, _ = fit(train, test, y_test, "full", max_iter=1)
            start = time.perf_counter()
            _, log_resp = gm._e_step(train)
            gm._m_step(train, log_resp)
            record(w, time.perf_counter() - start)
        else:
            parser.error(f"unknown workload {w}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
