"""Shared helpers of the Python reference scripts: Fashion-MNIST's IDX files and a timer.

The scripts that `cargo xtask bench` runs (crates/*/benches/*.py) are called as
`$PYTHON <script> --data-dir DIR --indices FILE`, where DIR holds the four IDX files, plain or
gzip-compressed (`train-images-idx3-ubyte[.gz]`, ...), and FILE lists training-split row
indices, one per line. Each script imports this module with a path insert relative to its
own file:

    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benches"))
    from fmnist_reference import best, train_split  # ...

The fixture generators (fixtures/*/make*golden.py) read their IDX files through it too. Only
numpy is needed here.
"""

import gzip
import time
import zlib
from pathlib import Path

import numpy as np

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"

# The IDX type byte of unsigned bytes, the only element type Fashion-MNIST uses.
_UBYTE = 0x08


def _read(data_dir, name):
    """The bytes of `data_dir/name`, else of `data_dir/name.gz`, and the path read."""
    plain = Path(data_dir) / name
    for path, opener in ((plain, open), (plain.with_name(plain.name + ".gz"), gzip.open)):
        try:
            with opener(path, "rb") as f:
                return f.read(), path
        except FileNotFoundError:
            continue
        except (EOFError, gzip.BadGzipFile, zlib.error) as e:
            # A truncated or corrupt gzip stream.
            raise ValueError(f"{path}: not a readable gzip file ({e})") from e
    raise FileNotFoundError(f"no IDX file {plain} or {plain}.gz")


def _idx(data_dir, name):
    """`idx`, with the path it read."""
    raw, path = _read(data_dir, name)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != _UBYTE or raw[3] == 0:
        magic = raw[:4].hex(" ") or "empty file"
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {magic}, not 00 00 08 ndim)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, {ndim} dimensions)")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(raw) != expected:
        raise ValueError(
            f"{path}: {len(raw)} bytes, but its IDX header {dims} says {expected}"
            + (" (truncated)" if len(raw) < expected else " (trailing bytes)")
        )
    return np.frombuffer(raw, np.uint8, offset=header).reshape(dims), path


def idx(data_dir, name):
    """An IDX file of `data_dir` as a read-only uint8 array shaped as its header says.

    `name` is the file's name without `.gz` (e.g. `TRAIN_IMAGES`): the plain file is read if
    present, else `name.gz`. Raises FileNotFoundError when neither exists, and ValueError
    naming the file when it is a truncated or corrupt gzip stream, not an unsigned-byte IDX
    file (magic `00 00 08 ndim`), or its size disagrees with the dimensions of its header
    (truncated, or trailing bytes).
    """
    return _idx(data_dir, name)[0]


def pixels(data_dir, name):
    """An image file as uint8 rows of 784 pixels, shape (n, 784); ValueError unless n x 28 x 28."""
    x, path = _idx(data_dir, name)
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(f"{path}: shape {x.shape}, not images n x 28 x 28")
    return x.reshape(-1, 784)


def labels(data_dir, name):
    """A label file as a uint8 vector, shape (n,); ValueError unless one-dimensional."""
    y, path = _idx(data_dir, name)
    if y.ndim != 1:
        raise ValueError(f"{path}: shape {y.shape}, not labels (n,)")
    return y


def scaled(x, dtype=np.float32):
    """uint8 pixels as `dtype` values in [0, 1]: `x.astype(dtype) / 255`."""
    return x.astype(dtype) / 255


def images(data_dir, name, dtype=np.float32):
    """An image file as rows of 784 pixels scaled to [0, 1], shape (n, 784), of `dtype`."""
    return scaled(pixels(data_dir, name), dtype)


def indices(path):
    """The row indices listed in `path`, one per line, as int64 (`cargo xtask bench`'s file)."""
    return np.loadtxt(path, dtype=np.int64)


def train_split(data_dir, indices_path, dtype=np.float32):
    """The training images at the rows listed in `indices_path`, scaled to [0, 1]: (n, 784)."""
    return scaled(pixels(data_dir, TRAIN_IMAGES)[indices(indices_path)], dtype)


def best(f, repeat):
    """The shortest wall time, in seconds (`time.perf_counter`), of `repeat` calls of `f()`."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)
