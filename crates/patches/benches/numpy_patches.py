"""numpy's side of `cargo xtask bench patches`, and the reference implementation of
fmnist-patches that fixtures/patches/make_golden.py computes its golden values with.

    python3 crates/patches/benches/numpy_patches.py --data-dir DIR --indices FILE [--repeat 3]

Times `transform` of the 48,000 training-split images (5x5 patches at every pixel, 128 centroids,
4x4 grid), vectorised numpy in float32, batches of 500 images; prints one JSON object of
seconds. There is no library implementation of these features to compare with; this is the
straightforward numpy one (sliding windows, two matrix products per batch, as the Rust crate).
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benches"))
from fmnist_reference import best, train_split  # noqa: E402


def patches(x, size, stride, rows=28, cols=28):
    """(n, positions, size * size): the patches of row-major images, positions row-major."""
    w = sliding_window_view(x.reshape(-1, rows, cols), (size, size), axis=(1, 2))[:, ::stride, ::stride]
    return w.reshape(len(x), -1, size * size)


def normalise(p, epsilon):
    """Contrast normalisation of the last axis: minus the mean, over sqrt(variance + epsilon)."""
    return (p - p.mean(-1, keepdims=True)) / np.sqrt(p.var(-1, keepdims=True) + epsilon)


def zca(sample, epsilon):
    """Mean and ZCA matrix of normalised patches (rows), in float64 (covariance with n - 1)."""
    sample = sample.astype(np.float64)
    mean = sample.mean(0)
    values, vectors = np.linalg.eigh(np.cov(sample - mean, rowvar=False))
    return mean, (vectors / np.sqrt(np.maximum(values, 0) + epsilon)) @ vectors.T


def encode(x, mean, whitening, centroids, size, stride, grid, contrast, dtype=np.float32, rows=28, cols=28):
    """Triangle-encoded, grid-pooled features of images `x` (n, rows * cols): (n, grid² · k)."""
    n, k = len(x), len(centroids)
    z = (normalise(patches(x.astype(dtype), size, stride, rows, cols), contrast) - mean.astype(dtype)) @ whitening.astype(dtype)
    c = centroids.astype(dtype)
    d2 = (z * z).sum(-1, keepdims=True) - 2 * z @ c.T + (c * c).sum(-1)
    d = np.sqrt(np.maximum(d2, 0))
    act = np.maximum(d.mean(-1, keepdims=True) - d, 0)
    down, across = (rows - size) // stride + 1, (cols - size) // stride + 1
    act = act.reshape(n, down, across, k)
    bands_down, bands_across = np.array_split(np.arange(down), grid), np.array_split(np.arange(across), grid)
    return np.concatenate(
        [act[:, b[0] : b[-1] + 1, c_[0] : c_[-1] + 1].sum((1, 2)) for b in bands_down for c_ in bands_across], 1
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", required=True)
    p.add_argument("--indices", required=True)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    x = train_split(a.data_dir, a.indices)
    size, stride, k, grid, contrast = 5, 1, 128, 4, 0.01
    rng = np.random.default_rng(0)
    sample = normalise(patches(x[rng.choice(len(x), 2000, replace=False)], size, stride).reshape(-1, size * size), contrast)
    mean, whitening = zca(sample, 0.1)
    # The dictionary does not change the cost: whitened patches picked at random.
    centroids = ((sample[rng.choice(len(sample), k, replace=False)] - mean) @ whitening).astype(np.float32)

    def transform():
        return np.concatenate(
            [encode(x[i : i + 500], mean, whitening, centroids, size, stride, grid, contrast) for i in range(0, len(x), 500)]
        )

    print(json.dumps({"patches/transform_48000": best(transform, a.repeat)}))


if __name__ == "__main__":
    main()
