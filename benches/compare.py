"""The Python side of `cargo xtask bench --compare`: one workload as a whole process, the way a
user of scikit-learn, Keras or umap-learn would run it (start-up, reading the IDX files, the
study's 48,000 / 12,000 split, the fit, and the prediction of the test images).

    python3 benches/compare.py WORKLOAD --data-dir DIR
    python3 benches/compare.py --versions

WORKLOAD is one of kmeans, gmm, autoencoder, forest, pca, umap. `--versions` prints the
versions of the libraries it would use, as one JSON object. The caller times the
process; this script prints only a one-line check of the result on stderr.
"""

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fmnist_reference import (  # noqa: E402
    TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, images, labels,
)

import numpy as np  # noqa: E402


def study_split(data_dir):
    """The 48,000 training rows of a stratified split (seed 0), scaled to [0, 1]."""
    from sklearn.model_selection import train_test_split

    x = images(data_dir, TRAIN_IMAGES)
    y = labels(data_dir, TRAIN_LABELS)
    x_train, _, y_train, _ = train_test_split(
        x, y, test_size=12_000, stratify=y, random_state=0
    )
    return x_train, y_train


def test_set(data_dir):
    return images(data_dir, TEST_IMAGES), labels(data_dir, TEST_LABELS)


def ami(y, predicted):
    from sklearn.metrics import adjusted_mutual_info_score

    return adjusted_mutual_info_score(y, predicted)


def kmeans(data_dir):
    from sklearn.cluster import KMeans

    x, _ = study_split(data_dir)
    model = KMeans(10, n_init=10, random_state=0).fit(x)
    x_test, y_test = test_set(data_dir)
    return f"test AMI {ami(y_test, model.predict(x_test)):.4f}"


def gmm(data_dir):
    from sklearn.mixture import GaussianMixture

    x, _ = study_split(data_dir)
    model = GaussianMixture(10, covariance_type="full", max_iter=2, random_state=0).fit(x)
    x_test, y_test = test_set(data_dir)
    return f"test AMI {ami(y_test, model.predict(x_test)):.4f}"


def autoencoder(data_dir):
    from keras_study_model import study_model

    x, _ = study_split(data_dir)
    x = x.reshape(-1, 28, 28, 1)
    model = study_model()
    history = model.fit(x, x, batch_size=128, epochs=1, shuffle=True, verbose=0)
    return f"training MSE {history.history['loss'][-1]:.5f}"


def forest(data_dir):
    from sklearn.ensemble import RandomForestClassifier

    x, y = study_split(data_dir)
    model = RandomForestClassifier(100, n_jobs=-1, random_state=0).fit(x, y)
    x_test, y_test = test_set(data_dir)
    return f"test accuracy {(model.predict(x_test) == y_test).mean():.4f}"


def pca(data_dir):
    from sklearn.decomposition import PCA

    x, _ = study_split(data_dir)
    model = PCA(40).fit(x)
    x_test, _ = test_set(data_dir)
    model.transform(x_test)
    return f"explained variance {model.explained_variance_ratio_.sum():.4f}"


def umap(data_dir):
    from sklearn.decomposition import PCA
    import umap as umap_learn

    x, _ = study_split(data_dir)
    x_test, _ = test_set(data_dir)
    projection = PCA(40).fit(x)
    model = umap_learn.UMAP(n_neighbors=20, min_dist=0.0, n_components=2).fit(projection.transform(x))
    model.transform(projection.transform(x_test))
    return "embedded"


WORKLOADS = {f.__name__: f for f in (kmeans, gmm, autoencoder, forest, pca, umap)}


def versions():
    """The versions of the reference libraries importable here."""
    found = {"python": sys.version.split()[0], "numpy": np.__version__}
    for name in ("sklearn", "tensorflow", "keras", "umap"):
        try:
            found[name] = __import__(name).__version__
        except ImportError:
            pass
    return found


def main():
    p = argparse.ArgumentParser()
    p.add_argument("workload", nargs="?", choices=sorted(WORKLOADS))
    p.add_argument("--data-dir")
    p.add_argument("--versions", action="store_true")
    a = p.parse_args()
    if a.versions:
        print(json.dumps(versions()))
        return
    if a.workload is None or a.data_dir is None:
        p.error("give a WORKLOAD and --data-dir DIR (or --versions)")
    sys.stderr.write(f"{a.workload}: {WORKLOADS[a.workload](a.data_dir)}\n")


if __name__ == "__main__":
    main()
