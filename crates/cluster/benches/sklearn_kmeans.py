"""scikit-learn's side of `cargo xtask bench` for fmnist-cluster's K-Means: the same workloads
on the same 48,000 x 784 training rows, timed (best of --repeat), printed as one JSON object of
seconds, plus (with --quality) scikit-learn's inertia and test AMI for the README's quality bar.

    python3 crates/cluster/benches/sklearn_kmeans.py --data-dir DIR --indices FILE [--repeat 3] [--quality]
FILE holds the training-split row indices, one per line (`cargo xtask bench` writes it); the
IDX reader and the timer are benches/fmnist_reference.py's.
"""
import argparse
import json
import sys
from pathlib import Path

from sklearn.cluster import KMeans

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benches"))
from fmnist_reference import (  # noqa: E402
    TEST_IMAGES, TEST_LABELS, best, images, labels, train_split,
)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", required=True)
    p.add_argument("--indices", required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--quality", action="store_true")
    a = p.parse_args()
    X = train_split(a.data_dir, a.indices)
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

        X_test = images(a.data_dir, TEST_IMAGES)
        y_test = labels(a.data_dir, TEST_LABELS)
        km = KMeans(10, n_init=10, random_state=0).fit(X)
        out["quality/raw_inertia"] = float(km.inertia_)
        out["quality/raw_test_ami"] = float(ami(y_test, km.predict(X_test)))
        pca = PCA(40, svd_solver="covariance_eigh").fit(X)
        kmp = KMeans(10, n_init=10, random_state=0).fit(pca.transform(X))
        out["quality/pca40_test_ami"] = float(ami(y_test, kmp.predict(pca.transform(X_test))))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
