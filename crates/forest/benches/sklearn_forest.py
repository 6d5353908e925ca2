"""scikit-learn's side of benches/forest.rs: the same workloads, timed.

/work/venv/bin/python crates/forest/benches/sklearn_forest.py [--data-dir DIR] [--indices FILE] [--repeat N]
(or both sides at once: `cargo xtask bench forest`).
Prints one JSON object: {"fashion_mnist/fit_100_trees_48000x785": seconds,
"fashion_mnist/predict_10000": seconds, "quality/forest/test_accuracy_785": accuracy} (best of N
runs, default 1), with n_jobs=2 and random_state=0. The 48,000 training images are the rows listed
in FILE (the study's split, as `cargo xtask bench` writes it), else a stratified draw of the same
size.
"""

import argparse
import gzip
import json
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

def idx(data, name):
    """An IDX file of the data directory, plain or gzip-compressed."""
    try:
        raw = open(f"{data}/{name}", "rb").read()
    except FileNotFoundError:
        raw = gzip.open(f"{data}/{name}.gz").read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def features(images):
    x = images.reshape(len(images), -1).astype(np.int64)
    label = x.sum(axis=1) * 10 // (x.shape[1] * 256)
    return np.hstack([x, label[:, None]]).astype(np.float32)


parser = argparse.ArgumentParser()
parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
parser.add_argument("--indices")
parser.add_argument("--repeat", type=int, default=1)
args = parser.parse_args()

x_all = features(idx(args.data_dir, "train-images-idx3-ubyte"))
y_all = idx(args.data_dir, "train-labels-idx1-ubyte")
if args.indices:
    rows = np.loadtxt(args.indices, dtype=np.int64)
    x_train, y_train = x_all[rows], y_all[rows]
else:
    x_train, _, y_train, _ = train_test_split(
        x_all, y_all, test_size=12_000, stratify=y_all, random_state=0
    )
x_test = features(idx(args.data_dir, "t10k-images-idx3-ubyte"))
y_test = idx(args.data_dir, "t10k-labels-idx1-ubyte")

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
