"""scikit-learn's side of `cargo xtask bench` for fmnist-decomp: PCA-40 on the same
48,000 x 784 training rows, timed (best of --repeat), printed as one JSON object of seconds.

    python3 crates/decomp/benches/sklearn_pca.py --data-dir DIR --indices FILE [--repeat 5]
FILE holds the training-split row indices, one per line (`cargo xtask bench` writes it).
"""
import argparse
import gzip
import json
import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA


def load(data_dir, indices):
    raw = Path(data_dir) / "train-images-idx3-ubyte.gz"
    with gzip.open(raw) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    rows = np.loadtxt(indices, dtype=np.int64)
    return x[rows].astype(np.float32) / 255


def best(f, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", required=True)
    p.add_argument("--indices", required=True)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    X = load(a.data_dir, a.indices)
    out = {
        "pca/pca40_covariance": best(lambda: PCA(40, svd_solver="covariance_eigh").fit(X), a.repeat),
        "pca/pca40_randomized": best(lambda: PCA(40, svd_solver="randomized", random_state=0).fit(X), a.repeat),
    }
    ratio = PCA(40, svd_solver="covariance_eigh").fit(X).explained_variance_ratio_
    out["quality/pca40_cumulative_ratio"] = float(ratio.sum())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
