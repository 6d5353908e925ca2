"""scikit-learn's side of benches/forest.rs: the same workloads, timed.

/work/venv/bin/python crates/forest/benches/sklearn_forest.py [--data-dir DIR] [--indices FILE] [--repeat N]
(or both sides at once: `cargo xtask bench forest`).
Prints one JSON object: {"fashion_mnist/fit_100_trees_48000x785": seconds,
"fashion_mnist/predict_10000": seconds, "quality/forest/test_accuracy_785": accuracy} (best of N
runs, default 1), with n_jobs=2 and random_state=0. The 48,000 training images are the rows listed
in FILE (the study's split, as `cargo xtask bench` writes it), else a stratified draw of the same
size. The IDX files (plain or gzip-compressed) are read by benches/fmnist_reference.py.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benches"))
from fmnist_reference import (  # noqa: E402
    TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, indices, labels, pixels,
)


def features(images):
    x = images.reshape(len(images), -1).astype(np.int64)
    label = x.sum(axis=1) * 10 // (x.shape[1] * 256)
    return np.hstack([x, label[:, None]]).astype(np.float32)


parser = argparse.ArgumentParser()
parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
parser.add_argument("--indices")
parser.add_argument("--repeat", type=int, default=1)
args = parser.parse_args()

x_all = features(pixels(args.data_dir, TRAIN_IMAGES))
y_all = labels(args.data_dir, TRAIN_LABELS)
if args.indices:
    rows = indices(args.indices)
    x_train, y_train = x_all[rows], y_all[rows]
else:
    x_train, _, y_train, _ = train_test_split(
        x_all, y_all, test_size=12_000, stratify=y_all, random_state=0
    )
x_test = features(pixels(args.data_dir, TEST_IMAGES))
y_test = labels(args.data_dir, TEST_LABELS)

fit, predict = [], []
for _ in range(args.repeat):
    model = RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=0)
    start = time.perf_counter()
    model.fit(x_train, y_train)
    fit.append(time.perf_counter() - start)
    start = time.perf_counter()
    predicted = model.predict(x_test)
    predict.append(time.perf_counter() - start)
print(
    json.dumps(
        {
            "fashion_mnist/fit_100_trees_48000x785": min(fit),
            "fashion_mnist/predict_10000": min(predict),
            "quality/forest/test_accuracy_785": float((predicted == y_test).mean()),
        }
    )
)
