"""scikit-learn's GaussianMixture on the workloads of benches/gmm.rs and
examples/gmm_fashion_mnist.rs, for the README's speed and quality comparison.

    /work/venv/bin/python crates/cluster/benches/sklearn_gmm.py SPLIT_FILE [WORKLOAD ...]

SPLIT_FILE holds the study's 48,000 training indices, one per line, as written by
`cargo run --release -p fmnist-cluster --example gmm_fashion_mnist -- pca40 full - SPLIT_FILE`
(the same split as the Rust side). Workloads: pca40_full (fit, k = 10, seed 0, defaults),
raw_diag (fit on the 784 pixels), raw_full_iteration (one EM iteration on the 784 pixels,
after a one-iteration fit). Prints one JSON object: seconds per workload, and for the fits the
lower bound, iterations and test AMI.
"""
import gzip
import json
import sys
import time

import numpy as np
from sklearn.metrics import adjusted_mutual_info_score
from sklearn.mixture import GaussianMixture

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name, offset):
    with gzip.open(f"{DATA}/{name}") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


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
    return gm, seconds, {"lower_bound": float(gm.lower_bound_), "n_iter": int(gm.n_iter_),
                         "test_ami": float(ami)}


def main():
    split = np.loadtxt(sys.argv[1], dtype=np.int64)
    workloads = sys.argv[2:] or ["pca40_full", "raw_diag", "raw_full_iteration"]
    images = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784)[split] / 255.0
    test = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0
    y_test = idx("t10k-labels-idx1-ubyte.gz", 8)
    out = {}
    for w in workloads:
        if w == "pca40_full":
            z, z_test = pca(images, test, 40)
            _, out[w], out[w + "_quality"] = fit(z, z_test, y_test, "full")
        elif w == "raw_diag":
            _, out[w], out[w + "_quality"] = fit(images, test, y_test, "diag")
        elif w == "raw_full_iteration":
            gm, _, _ = fit(images, test, y_test, "full", max_iter=1)
            start = time.perf_counter()
            _, log_resp = gm._e_step(images)
            gm._m_step(images, log_resp)
            out[w] = time.perf_counter() - start
        print(json.dumps({w: out[w]}), file=sys.stderr, flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
