"""Keras/TensorFlow's side of benches/autoencoder.rs: the study's autoencoder, timed.

/work/venv/bin/python crates/autoencoder/benches/keras_autoencoder.py [--data-dir DIR] [--indices FILE]
    [--epochs N] [--threads N] [--dropout P] [--seed S]
(or both sides at once: `cargo xtask bench autoencoder`).

The paper's Keras model (its summary table: Conv2D(activation='relu') + BatchNormalization +
MaxPooling2D + Dropout, twice; Conv2D(relu) + BatchNormalization + UpSampling2D + Dropout, twice;
Conv2D(1, sigmoid); 12,385 + 192 = 12,577 parameters), Keras's default initialisers, Adam 1e-3,
MSE, batch 128, shuffled, seed S (default 0). Trains on the 48,000 training images listed in FILE (the study's
split, as `cargo xtask bench` writes it; the other 12,000 are the validation images), else a
stratified draw of the same size. TensorFlow runs on N threads (default: every core).

Prints one JSON object: {"fashion_mnist_ae/epoch_48000": seconds of the first epoch (graph
tracing included), "fashion_mnist_ae/encode_60000": seconds to encode the 60,000 training-set
images (bottleneck, inference mode), "quality/autoencoder/validation_mse_epoch_<e>": per-pixel
validation MSE after each epoch}; `{}` when TensorFlow is not installed. The IDX files (plain or
gzip-compressed) are read by benches/fmnist_reference.py.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
parser.add_argument("--indices")
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--threads", type=int, default=os.cpu_count())
parser.add_argument("--dropout", type=float, default=0.25)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benches"))
from fmnist_reference import TRAIN_IMAGES, TRAIN_LABELS, images, indices, labels  # noqa: E402

try:
    import tensorflow as tf
    import keras
    from keras_study_model import study_model
except ImportError as missing:
    sys.stderr.write(f"{missing}: no Keras side (pip install tensorflow-cpu)\n")
    print("{}")
    sys.exit(0)

tf.config.threading.set_intra_op_parallelism_threads(args.threads)
tf.config.threading.set_inter_op_parallelism_threads(args.threads)

x_all = images(args.data_dir, TRAIN_IMAGES).reshape(-1, 28, 28, 1)
if args.indices:
    rows = indices(args.indices)
else:
    from sklearn.model_selection import train_test_split

    rows, _ = train_test_split(
        np.arange(len(x_all)),
        test_size=12_000,
        stratify=labels(args.data_dir, TRAIN_LABELS),
        random_state=0,
    )
validation_rows = np.setdiff1d(np.arange(len(x_all)), rows)
x_train, x_validation = x_all[rows], x_all[validation_rows]

keras.utils.set_random_seed(args.seed)


model = study_model(args.dropout)

result = {}
for epoch in range(1, args.epochs + 1):
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(x_train, x_train, batch_size=128, epochs=1, shuffle=True, verbose=0)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    if epoch == 1:
        result["fashion_mnist_ae/epoch_48000"] = wall
    mse = model.evaluate(x_validation, x_validation, batch_size=1024, verbose=0)
    result[f"quality/autoencoder/validation_mse_epoch_{epoch}"] = float(mse)
    sys.stderr.write(f"epoch {epoch}: {wall:.1f} s ({cpu:.1f} CPU-s), validation MSE {mse:.5f}\n")

encoder = keras.Model(model.inputs, model.layers[7].output)  # the 7 x 7 x 16 bottleneck
assert encoder.output_shape == (None, 7, 7, 16), encoder.output_shape
start = time.perf_counter()
codes = encoder.predict(x_all, batch_size=1024, verbose=0)
result["fashion_mnist_ae/encode_60000"] = time.perf_counter() - start
print(json.dumps(result))
