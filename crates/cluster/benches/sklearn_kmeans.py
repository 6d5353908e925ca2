"""scikit-learn's side of `cargo xtask bench` for fmnist-cluster's K-Means: the same workloads
on the same 48,000 x 784 training rows, timed (best of --repeat), printed as one JSON object of
seconds, plus (with --quality) scikit-learn's inertia and test AMI for the README's quality bar.

    python3 crates/cluster/benches/sklearn_kmeans.py --data-dir DIR --indices FILE [--repeat 3] [--quality]
FILE holds the training-split row indices, one per line (`cargo xtask bench` writes it).
"""
import argparse
import gzip
import json
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans


def images(data_dir, name):
    with gzip.open(Path(data_dir) / name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)


def labels(data_dir, name):
    with gzip.open(Path(data_dir) / name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=8)


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
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--quality", action="store_true")
    a = p.parse_args()
    rows = np.loadtxt(a.indices, dtype=np.int64)
    X = images(a.data_dir, "train-images-idx3-ubyte.gz")[rows].astype(np.float32) / 255
    start = X[:10]
    lloyd = lambda it: KMeans(10, init=start, n_init=1, max_iter=it, tol=0.0).fit(X)
    out = {
        "kmeans/lloyd_1_iter": best(lambda: lloyd(1), a.repeat),
        "kmeans/lloyd_21_iter": best(lambda: lloyd(21), a.repeat),
        "kmeans/raw_n_init1": best(lambda: KMeans(10, n_init=1, random_state=0).fit(X), a.repeat),
        "kmeans/raw_n_init10": best(lambda: KMeans(10, n_init=10, random_state=0).fit(X), 1),
    }
    if a.quality:
        from sklearn.decomposition import PCA
        from sklearn.metrics import adjusted_mutual_info_score as ami

        X_test = images(a.data_dir, "t10k-images-idx3-ubyte.gz").astype(np.float32) / 255
        y_test = labels(a.data_dir, "t10k-labels-idx1-ubyte.gz")
        km = KMeans(10, n_init=10, random_state=0).fit(X)
        out["quality/raw_inertia"] = float(km.inertia_)
        out["quality/raw_test_ami"] = float(ami(y_test, km.predict(X_test)))
        pca = PCA(40, svd_solver="covariance_eigh").fit(X)
        kmp = KMeans(10, n_init=10, random_state=0).fit(pca.transform(X))
        out["quality/pca40_test_ami"] = float(ami(y_test, kmp.predict(pca.transform(X_test))))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
