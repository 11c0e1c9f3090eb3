"""From a data choice to training arrays that fit a spec (resize the data or adapt the model)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..analysis import analyze
from ..limits import fmt_shape
from ..spec import ArchitectureSpec
from .choice import DataChoice
from .datasets import DataError, Dataset
from .sources import get_source


@dataclass
class PreparedData:
    spec: ArchitectureSpec
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    class_names: tuple[str, ...]


def load(choice: DataChoice) -> Dataset:
    """The images of ``choice``'s source, its settings checked against its limits."""
    return get_source(choice.source).load(choice)


def resize_images(x: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """uint8 images to ``shape`` (H, W, C): bilinear resize, grey ⇄ RGB."""
    from PIL import Image

    h, w, c = shape
    if x.shape[1:3] != (h, w):
        out = np.empty((len(x), h, w, x.shape[3]), np.uint8)
        for i, img in enumerate(x):
            im = Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img)
            out[i] = np.asarray(im.resize((w, h), Image.BILINEAR)).reshape(h, w, -1)
        x = out
    if x.shape[3] != c:
        if x.shape[3] == 1:
            x = np.repeat(x, c, axis=3)
        elif c == 1:
            x = x.mean(axis=3, keepdims=True).round().astype(np.uint8)
        else:
            raise DataError(f"cannot turn {x.shape[3]}-channel images into {c} channels")
    return x


# Resizing to a large input multiplies the data (digits to 224×224×3: ×784); bounded
# before it is allocated: 500 MB of uint8 (the worker holds it as float32 too).
MAX_RESIZED_VALUES = 500_000_000


def _check_resized_size(count: int, shape: tuple[int, int, int]) -> None:
    values = count * shape[0] * shape[1] * shape[2]
    if values > MAX_RESIZED_VALUES:
        raise DataError(
            f"resizing {count:,} images to {fmt_shape(shape)} makes "
            f"{values:,} values, more than the {MAX_RESIZED_VALUES:,} allowed; "
            "use fewer images or adapt the network's input to the data"
        )


def prepare(ds: Dataset, spec: ArchitectureSpec, choice: DataChoice) -> PreparedData:
    """Subset, split, and fit data and model to each other; the spec's classes follow."""
    if not 0 < choice.val_split < 0.9:
        raise DataError(f"the validation split must be between 0 and 0.9, got {choice.val_split}")
    if not isinstance(choice.seed, int) or not 0 <= choice.seed < 2**32:
        raise DataError(f"the seed must be an integer from 0 to {2**32 - 1}, got {choice.seed!r}")
    rng = np.random.default_rng(choice.seed)
    order = rng.permutation(len(ds.x))
    if choice.subset:
        if choice.subset < 10:
            raise DataError(f"a subset needs at least 10 images, got {choice.subset}")
        order = order[: choice.subset]
    x, y = ds.x[order], ds.y[order]
    head = replace(spec.head, classes=max(ds.num_classes, int(y.max()) + 1))
    if choice.fit == "adapt":
        spec = spec.replace(input_shape=ds.image_shape, head=head)
    elif choice.fit == "resize":
        spec = spec.replace(head=head)
        _check_resized_size(len(x), spec.input_shape)
        x = resize_images(x, spec.input_shape)
    else:
        raise DataError(f"fit must be 'adapt' or 'resize', got {choice.fit!r}")
    a = analyze(spec)
    if not a.ok:
        hint = (
            "choose 'resize the data to the model's input'"
            if choice.fit == "adapt"
            else "choose a larger input or 'adapt the model to the data'"
        )
        raise DataError(
            f"this network cannot take {fmt_shape(ds.image_shape[:2])} images: {a.error}; {hint}"
        )
    n_val = max(1, int(round(len(x) * choice.val_split)))
    if len(x) - n_val < 1:
        raise DataError("no training images are left after the validation split")
    return PreparedData(spec, x[n_val:], y[n_val:], x[:n_val], y[:n_val], ds.class_names)
