"""scikit-learn's side of benches/forest.rs: the same workloads, timed.

/work/venv/bin/python crates/forest/benches/sklearn_forest.py [--repeat N]
Prints one JSON object: {"fit_100_trees_48000x785": seconds, "predict_10000": seconds,
"test_accuracy_785": accuracy} (best of N runs, default 1), with n_jobs=2 and random_state=0.
The 48,000 training images are a stratified draw (the Rust side uses fmnist-io's split of the
same size; which images does not matter for the timing).
"""

import argparse
import gzip
import json
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name):
    raw = gzip.open(f"{DATA}/{name}").read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def features(images):
    x = images.reshape(len(images), -1).astype(np.int64)
    label = x.sum(axis=1) * 10 // (x.shape[1] * 256)
    return np.hstack([x, label[:, None]]).astype(np.float32)


parser = argparse.ArgumentParser()
parser.add_argument("--repeat", type=int, default=1)
args = parser.parse_args()

x_all = features(idx("train-images-idx3-ubyte.gz"))
y_all = idx("train-labels-idx1-ubyte.gz")
x_train, _, y_train, _ = train_test_split(
    x_all, y_all, test_size=12_000, stratify=y_all, random_state=0
)
x_test = features(idx("t10k-images-idx3-ubyte.gz"))
y_test = idx("t10k-labels-idx1-ubyte.gz")

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
            "fit_100_trees_48000x785": min(fit),
            "predict_10000": min(predict),
            "test_accuracy_785": float((predicted == y_test).mean()),
        }
    )
)
