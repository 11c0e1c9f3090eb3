"""Datasets for training runs: embedded digits, generated shapes, Keras's datasets.

Every loader returns a :class:`Dataset` of uint8 images (N, H, W, C) and int labels.
Keras's datasets come from Keras's cache or its download, through a child process (see
:func:`keras_dataset`); without cache or network the message says so plainly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


class DataError(ValueError):
    """Data that cannot be used, with a message that says what to do."""


@dataclass(frozen=True)
class Dataset:
    name: str
    x: np.ndarray  # uint8, (N, H, W, C)
    y: np.ndarray  # int64, (N,)
    class_names: tuple[str, ...] = field(default=())

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x.shape[1:])  # type: ignore[return-value]


MAX_CLASSES = 1000
# Values of a training set in memory (uint8): CIFAR-10's 50,000×32×32×3 fits. Uploads are
# held to it from their headers, resizing before it allocates.
MAX_VALUES = 160_000_000


def check_arrays(x: np.ndarray, y: np.ndarray, name: str, num_classes: int | None = None):
    """Validate images and labels; return them as uint8 NHWC and int64 labels.

    Labels are checked (range, class count) before anything is sized by them; images
    that are not 0…255 or 0…1 (negative, complex, larger) are refused, never wrapped or
    clipped in silence.
    """
    if x.dtype == object or y.dtype == object:
        raise DataError(
            f"{name}: arrays of Python objects are not accepted; save plain numeric arrays"
        )
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3, 4):
        raise DataError(
            f"{name}: images must be (N, H, W) or (N, H, W, C) with C = 1, 3 "
            f"or 4; got shape {x.shape}"
        )
    if x.shape[-1] == 4:
        x = x[..., :3]
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot
        y = y.argmax(axis=1)
    y = y.reshape(-1)
    if len(x) != len(y):
        raise DataError(f"{name}: {len(x)} images but {len(y)} labels; they must match")
    if len(x) < 2:
        raise DataError(f"{name}: needs at least 2 images, got {len(x)}")
    if min(x.shape[1:3]) < 1 or max(x.shape[1:3]) > 1024:
        raise DataError(f"{name}: image sides must be 1 to 1024 pixels, got {x.shape[1:3]}")
    y = _labels(y, name, num_classes)
    return _images_uint8(x, name), y


def _labels(y: np.ndarray, name: str, num_classes: int | None) -> np.ndarray:
    if y.dtype.kind not in "iub" and not (
        y.dtype.kind == "f" and np.isfinite(y).all() and np.all(np.mod(y, 1) == 0)
    ):
        raise DataError(f"{name}: labels must be integers 0…K-1, got dtype {y.dtype}")
    lo, hi = y.min().item(), y.max().item()  # compared before any cast: 1e300 stays 1e300
    top = (num_classes or MAX_CLASSES) - 1
    if lo < 0 or hi > top:
        limit = f"0…{top}" if num_classes else f"0…K-1 with at most {MAX_CLASSES:,} classes"
        raise DataError(f"{name}: labels must be in {limit}; found {lo:.6g}…{hi:.6g}")
    if lo == hi:
        raise DataError(f"{name}: every label is {int(lo)}; training needs at least two classes")
    return y.astype(np.int64)


def _images_uint8(x: np.ndarray, name: str) -> np.ndarray:
    """Images as uint8 0…255, converted a slice at a time (no float64 copy of the set)."""
    if x.dtype == np.uint8:
        return np.ascontiguousarray(x)
    kind = x.dtype.kind
    if kind == "c":
        raise DataError(
            f"{name}: the images are complex numbers; save real values (for "
            "example np.abs(x)) scaled to 0…255 or 0…1"
        )
    if kind not in "iufb":
        raise DataError(f"{name}: images must be numbers, got dtype {x.dtype}")
    if kind == "f" and not np.isfinite(x).all():
        raise DataError(f"{name}: images contain NaN or infinite values")
    lo, hi = x.min().item(), x.max().item()
    if lo < 0:
        raise DataError(
            f"{name}: images hold negative values (down to {lo:.3g}); save "
            "them as 0…255 or 0…1 (for data in -1…1: (x + 1) / 2)"
        )
    if hi > 255:
        raise DataError(f"{name}: images hold values up to {hi:.6g}; save them as 0…255 or 0…1")
    scale = 255.0 if 0 < hi <= 1 else 1.0
    out = np.empty(x.shape, np.uint8)
    for i in range(0, len(x), 1024):
        out[i : i + 1024] = np.rint(x[i : i + 1024].astype(np.float32) * scale)
    return out


def digits() -> Dataset:
    """scikit-learn's 1,797 handwritten digits, 8×8 grey (ships with the package)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images * (255 / 16)).round().astype(np.uint8)[..., None]
    return Dataset("digits", x, d.target.astype(np.int64), tuple(str(i) for i in range(10)))


SHAPE_NAMES = ("circle", "square", "triangle", "cross", "ring", "diamond", "bar", "dot")


def shapes(num_classes: int, size: int, count: int, seed: int = 0) -> Dataset:
    """Coloured shapes on a dark background: class = shape, deterministic by ``seed``.

    The settings' limits and defaults are the data-source registry's (``sources.py``);
    this only refuses what it cannot draw."""
    if not 2 <= num_classes <= len(SHAPE_NAMES) or size < 1 or count < 1:
        raise DataError(
            f"shapes: 2 to {len(SHAPE_NAMES)} classes and a positive size and "
            f"count, got {num_classes}, {size} and {count}"
        )
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    x = np.zeros((count, size, size, 3), np.uint8)
    y = rng.integers(0, num_classes, count)
    for i in range(count):
        r = rng.uniform(0.18, 0.32) * size
        cx, cy = rng.uniform(r, size - r, 2)
        dx, dy = xx - cx, yy - cy
        kind = SHAPE_NAMES[y[i]]
        if kind == "circle":
            mask = dx**2 + dy**2 <= r**2
        elif kind == "square":
            mask = (abs(dx) <= r * 0.8) & (abs(dy) <= r * 0.8)
        elif kind == "triangle":
            mask = (dy <= r * 0.7) & (dy >= -r) & (abs(dx) <= (dy + r) * 0.6)
        elif kind == "cross":
            mask = ((abs(dx) <= r * 0.25) | (abs(dy) <= r * 0.25)) & (abs(dx) <= r) & (abs(dy) <= r)
        elif kind == "ring":
            d2 = dx**2 + dy**2
            mask = (d2 <= r**2) & (d2 >= (0.55 * r) ** 2)
        elif kind == "diamond":
            mask = abs(dx) + abs(dy) <= r
        elif kind == "bar":
            mask = (abs(dx) <= r) & (abs(dy) <= r * 0.3)
        else:
            mask = dx**2 + dy**2 <= (0.4 * r) ** 2
        colour = rng.integers(80, 256, 3)
        background = rng.integers(0, 60, 3)
        x[i] = background
        x[i][mask] = colour
    return Dataset(f"shapes{num_classes}", x, y.astype(np.int64), SHAPE_NAMES[:num_classes])


@dataclass(frozen=True)
class KerasSet:
    """One of ``keras.datasets``: the module that loads it and its class names in label
    order (the registry, :mod:`resnet_core.data.sources`, says which sets there are)."""

    module: str
    class_names: tuple[str, ...]


def keras_cache_dir() -> Path:
    base = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(base) / "datasets"


def converted_path(name: str) -> Path:
    """Where a Keras dataset's training split lies as plain arrays, beside Keras's cache."""
    return keras_cache_dir() / f"resnet-explorer-{name}.npz"


def keras_dataset(name: str, kind: KerasSet) -> Dataset:
    """One of Keras's datasets (train split), kept as ``name``.

    Keras, and with it TensorFlow, is imported only in a child process that reads Keras's
    cache (or downloads) once and writes plain arrays beside it: the Streamlit server reads
    those and never imports TensorFlow.
    """
    path = converted_path(name)
    if not path.exists():
        _convert_in_child(name, path)
    try:
        with np.load(path, allow_pickle=False) as f:
            x, y = f["x"], f["y"]
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise DataError(
            f"{name}: the converted copy {path} cannot be read "
            f"({type(exc).__name__}); delete it and choose {name} again"
        ) from None
    x, y = check_arrays(x, y, name, len(kind.class_names))
    return Dataset(name, x, y, kind.class_names)


def convert_keras_dataset(name: str, kind: KerasSet, path: Path, instead: str = "") -> None:
    """Load a Keras dataset through Keras and save its training split at ``path``;
    ``instead`` names the sources a refusal offers in its place (the registry's)."""
    import keras

    loader = getattr(keras.datasets, kind.module)
    try:
        (x, y), _ = loader.load_data()
    except Exception as exc:  # noqa: BLE001 - network, cache and format failures alike
        raise DataError(
            f"{name} is not in Keras's cache ({keras_cache_dir()}) and could not be "
            f"downloaded ({type(exc).__name__}). Copy the dataset's file into that folder "
            f"on a machine with network" + (f", or use {instead}." if instead else ".")
        ) from None
    x, y = check_arrays(np.asarray(x), np.asarray(y), name, len(kind.class_names))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    with open(partial, "wb") as f:  # a file object: np.savez would append ".npz" to a name
        np.savez(f, x=x, y=y)
    os.replace(partial, path)  # readers never see half a file


# The child that runs convert_keras_dataset (a list, so a test can put a stand-in here).
CONVERT_COMMAND = [sys.executable, "-m", "resnet_core.data.keras_convert"]


def _convert_in_child(name: str, path: Path) -> None:
    try:
        done = subprocess.run(
            [*CONVERT_COMMAND, name, str(path)],
            capture_output=True,
            text=True,
            timeout=1800,
            cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
    except subprocess.TimeoutExpired:
        raise DataError(
            f"{name}: loading it through Keras took over 30 minutes; copy the "
            f"dataset's file into {keras_cache_dir()} and try again"
        ) from None
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
        raise DataError(
            said[-1].removeprefix("error: ")
            if said
            else f"{name}: loading it through Keras failed (exit {done.returncode})"
        )
