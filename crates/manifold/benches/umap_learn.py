"""umap-learn's side of `cargo xtask bench umap` for fmnist-manifold: the same fits on the same
training rows (PCA-40 by scikit-learn), timed (best of --repeat), printed as one JSON object of
seconds, plus (with --quality) umap-learn's trustworthiness (k = 10) on the first 10,000 rows.

    python3 crates/manifold/benches/umap_learn.py --data-dir DIR --indices FILE [--repeat 1] [--quality] [--rows N]

FILE holds the training-split row indices, one per line (`cargo xtask bench` writes it).
umap-learn runs without a seed (`random_state=None`), its parallel and fastest mode; with a
seed it runs on one thread. The IDX reader and the timer are benches/fmnist_reference.py's.
"""
import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benches"))
from fmnist_reference import TRAIN_IMAGES, best, indices, pixels, scaled  # noqa: E402

warnings.filterwarnings("ignore")


def pca40(x):
    return PCA(40, svd_solver="covariance_eigh").fit_transform(x).astype(np.float32)


# The fits, as in benches/umap.rs: name -> UMAP parameters (seedless: parallel).
WORKLOADS = {
    "umap/fit_pca40_2d": dict(),
    "umap/fit_pca40_10d_k20_md0": dict(n_components=10, n_neighbors=20, min_dist=0.0),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", required=True)
    p.add_argument("--indices", required=True)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--rows", type=int, default=0, help="first N rows only (0: all)")
    p.add_argument("--quality", action="store_true")
    p.add_argument("--only", default="", help="substring of the workloads to run")
    a = p.parse_args()
    try:
        import umap
    except ImportError:
        print("umap-learn is not installed: no umap-learn timings", file=sys.stderr)
        print("{}")
        return
    from sklearn.manifold import trustworthiness

    rows = indices(a.indices)
    if a.rows:
        rows = rows[: a.rows]
    raw = pixels(a.data_dir, TRAIN_IMAGES)
    x = pca40(scaled(raw[rows]))
    # Compile numba's functions outside the timing.
    umap.UMAP(n_epochs=2).fit(x[:5000])
    out = {}
    if a.only in "umap/knn_k15":
        from umap.umap_ import nearest_neighbors

        out["umap/knn_k15"] = best(
            lambda: nearest_neighbors(x, 15, "euclidean", {}, False, None), a.repeat
        )
    for name, params in WORKLOADS.items():
        if a.only in name:
            out[name] = best(lambda: umap.UMAP(**params).fit(x), a.repeat)
    if a.quality:
        x10 = pca40(scaled(raw[rows[:10_000]]))
        for seed in [None, 0]:
            e = umap.UMAP(random_state=seed).fit_transform(x10)
            out[f"quality/trustworthiness_10k_seed_{seed}"] = float(trustworthiness(x10, e, n_neighbors=10))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
