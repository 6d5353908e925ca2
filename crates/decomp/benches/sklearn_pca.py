"""scikit-learn's side of `cargo xtask bench` for fmnist-decomp: PCA-40 on the same
48,000 x 784 training rows, timed (best of --repeat), printed as one JSON object of seconds.

    python3 crates/decomp/benches/sklearn_pca.py --data-dir DIR --indices FILE [--repeat 5]
FILE holds the training-split row indices, one per line (`cargo xtask bench` writes it); the
IDX reader and the timer are benches/fmnist_reference.py's `train_split` and `best`.
"""
import argparse
import json
import sys
from pathlib import Path

from sklearn.decomposition import PCA

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benches"))
from fmnist_reference import best, train_split  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", required=True)
    p.add_argument("--indices", required=True)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    X = train_split(a.data_dir, a.indices)
    out = {
        "pca/pca40_covariance": best(lambda: PCA(40, svd_solver="covariance_eigh").fit(X), a.repeat),
        "pca/pca40_randomized": best(lambda: PCA(40, svd_solver="randomized", random_state=0).fit(X), a.repeat),
    }
    ratio = PCA(40, svd_solver="covariance_eigh").fit(X).explained_variance_ratio_
    out["quality/pca40_cumulative_ratio"] = float(ratio.sum())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
