"""Contrastive features before UMAP + GMM: the experiment behind the crate README's SimCLR rows.

Trains a small convolutional encoder with SimCLR's objective (NT-Xent over two augmented views
of each image: random resized crop of 65-100 % of the side, horizontal flip, brightness and
contrast jitter, Gaussian noise) on the study's 48,000-image training split, then clusters its
128-value features in the study's protocol: UMAP (20 neighbours, min_dist 0, 10 dimensions,
umap-learn, seed 0) fitted on the training split and the test set through `transform`, then
scikit-learn's full-covariance GMM (k 10, seeds 0 and 1). Also K-Means (n_init 10) on the
L2-normalised features. Prints one JSON object: AMI, NMI and accuracy (Hungarian matching) on
train and test for each clustering, and the loss of each epoch.

    python crates/manifold/experiments/contrastive_keras.py --data-dir DIR --indices FILE [--epochs 8]

FILE lists the training split's rows (`cargo xtask bench` writes it to
target/bench/train-indices.txt). Needs tensorflow + keras 3, scikit-learn and umap-learn; about
100-140 s per epoch on 2 cores. Exploratory: nothing in the workspace depends on it.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benches"))
from fmnist_reference import TEST_IMAGES, TEST_LABELS, TRAIN_LABELS, images, indices, labels, train_split  # noqa: E402

import numpy as np  # noqa: E402


def accuracy(y, p):
    """Clustering accuracy: the share of points in the cluster matched to their class."""
    from scipy.optimize import linear_sum_assignment

    k = max(y.max(), p.max()) + 1
    counts = np.zeros((k, k))
    np.add.at(counts, (p, y), 1)
    rows, cols = linear_sum_assignment(-counts)
    return counts[rows, cols].sum() / len(y)


def scores(y, p):
    from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

    return {
        "ami": adjusted_mutual_info_score(y, p),
        "nmi": normalized_mutual_info_score(y, p),
        "accuracy": accuracy(y, p),
    }


def cluster(f_train, y_train, f_test, y_test, seed):
    """The study's protocol on features: K-Means (n_init 10) on them, and UMAP (20 neighbours,
    min_dist 0, 10 dimensions) fitted on the training features, the test features through
    `transform`, then full-covariance GMMs with seeds 0 and 1. Scores of each, train and test."""
    import umap
    from sklearn.cluster import KMeans
    from sklearn.mixture import GaussianMixture

    kmeans = KMeans(10, n_init=10, random_state=seed).fit(f_train)
    report = {"kmeans": {"train": scores(y_train, kmeans.labels_), "test": scores(y_test, kmeans.predict(f_test))}}
    embedding = umap.UMAP(n_neighbors=20, n_components=10, min_dist=0, random_state=seed).fit(f_train)
    e_train, e_test = embedding.embedding_, embedding.transform(f_test)
    for mixture_seed in (0, 1):
        gmm = GaussianMixture(10, covariance_type="full", random_state=mixture_seed).fit(e_train)
        report[f"umap_gmm_seed{mixture_seed}"] = {
            "train": scores(y_train, gmm.predict(e_train)),
            "test": scores(y_test, gmm.predict(e_test)),
        }
    return report


def encoder(layers, keras):
    """Two blocks of two 3x3 convolutions (32, 64) with BatchNorm, ReLU and max-pooling, a
    128-filter convolution and global average pooling: 128 features."""
    x = keras.Input((28, 28, 1))
    h = x
    for width in (32, 64):
        for _ in range(2):
            h = layers.Conv2D(width, 3, padding="same", use_bias=False)(h)
            h = layers.ReLU()(layers.BatchNormalization()(h))
        h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(128, 3, padding="same", use_bias=False)(h)
    h = layers.ReLU()(layers.BatchNormalization()(h))
    return keras.Model(x, layers.GlobalAveragePooling2D()(h))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--indices", required=True)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--temperature", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    import keras
    import tensorflow as tf
    from keras import layers

    rows = indices(a.indices)
    train = train_split(a.data_dir, a.indices).reshape(-1, 28, 28, 1)
    y_train = labels(a.data_dir, TRAIN_LABELS)[rows]
    test = images(a.data_dir, TEST_IMAGES).reshape(-1, 28, 28, 1)
    y_test = labels(a.data_dir, TEST_LABELS)

    keras.utils.set_random_seed(a.seed)
    backbone = encoder(layers, keras)
    head = keras.Sequential([layers.Dense(128, activation="relu"), layers.Dense(64)])
    optimizer = keras.optimizers.Adam(1e-3)

    def augment(x):
        n = tf.shape(x)[0]
        side = tf.random.uniform([n], 0.65, 1.0)
        top = tf.random.uniform([n], 0, 1) * (1 - side)
        left = tf.random.uniform([n], 0, 1) * (1 - side)
        boxes = tf.stack([top, left, top + side, left + side], 1)
        x = tf.image.crop_and_resize(x, boxes, tf.range(n), [28, 28])
        x = tf.where(tf.random.uniform([n, 1, 1, 1]) < 0.5, tf.image.flip_left_right(x), x)
        x = x * tf.random.uniform([n, 1, 1, 1], 0.6, 1.4) + tf.random.uniform([n, 1, 1, 1], -0.2, 0.2)
        x = x + tf.random.normal(tf.shape(x), 0, 0.05)
        return tf.clip_by_value(x, 0, 1)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            views = [
                tf.math.l2_normalize(head(backbone(augment(x), training=True), training=True), 1)
                for _ in range(2)
            ]
            z = tf.concat(views, 0)
            n = tf.shape(views[0])[0]
            similarity = tf.matmul(z, z, transpose_b=True) / a.temperature - 1e9 * tf.eye(2 * n)
            partner = tf.concat([tf.range(n, 2 * n), tf.range(0, n)], 0)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(partner, similarity)
            )
        variables = backbone.trainable_variables + head.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    batches = (
        tf.data.Dataset.from_tensor_slices(train)
        .shuffle(len(train), seed=a.seed)
        .batch(a.batch, drop_remainder=True)
    )
    report = {"epochs": []}
    for epoch in range(a.epochs):
        start = time.time()
        losses = [float(step(x)) for x in batches]
        report["epochs"].append({"loss": float(np.mean(losses)), "seconds": time.time() - start})
        print(f"epoch {epoch + 1}: loss {np.mean(losses):.4f}", file=sys.stderr, flush=True)

    def normalised(f):
        return f / np.linalg.norm(f, axis=1, keepdims=True)

    f_train = normalised(backbone.predict(train, batch_size=1024, verbose=0))
    f_test = normalised(backbone.predict(test, batch_size=1024, verbose=0))

    report.update(cluster(f_train, y_train, f_test, y_test, seed=0))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
