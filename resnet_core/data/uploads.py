"""User uploads: ``.npz`` with ``x`` and ``y`` arrays, or a ``.zip`` of one folder per class.

Uploads are hostile until checked: no pickles, no paths outside the archive, no
decompression bombs, images that really are images, labels in range.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

import numpy as np

from .datasets import Dataset, DataError, check_arrays

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_FILES = 50_000
MAX_RATIO = 200  # a member that expands more than this is treated as a bomb
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}


def load_npz(data: bytes, name: str = "upload.npz") -> Dataset:
    """``x`` (N, H, W[, C]) and ``y`` (N,) from an ``.npz``; pickled arrays are refused."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise DataError(f"{name}: {len(data):,} bytes is over the {MAX_UPLOAD_BYTES:,} limit")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:  # an .npz is a zip: check it first
            _check_members(zf, name)
        arrays = np.load(io.BytesIO(data), allow_pickle=False)
        keys = set(arrays.files)
        if not {"x", "y"} <= keys:
            raise DataError(f"{name}: needs arrays named 'x' (images) and 'y' (labels); "
                            f"found {', '.join(sorted(keys)) or 'none'}")
        x, y = arrays["x"], arrays["y"]
    except DataError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DataError(f"{name}: holds pickled (object) arrays, which can run code "
                            "when loaded; save plain numeric arrays with np.savez") from None
        raise DataError(f"{name}: not a readable .npz file ({exc})") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(f"{name}: not a readable .npz file ({exc})") from None
    x, y = check_arrays(x, y, name)
    classes = int(y.max()) + 1
    return Dataset(PurePosixPath(name).stem, x, y, tuple(str(i) for i in range(classes)))


def _check_members(zf: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_FILES:
        raise DataError(f"{name}: {len(infos):,} files is over the {MAX_FILES:,} limit")
    total = 0
    for info in infos:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or info.filename.startswith("/"):
            raise DataError(f"{name}: the entry {info.filename!r} points outside the archive")
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO \
                and info.file_size > 1_000_000:
            raise DataError(f"{name}: {info.filename!r} expands {info.file_size:,} bytes from "
                            f"{info.compress_size:,}: refused as a decompression bomb")
    if total > MAX_UNPACKED_BYTES:
        raise DataError(f"{name}: unpacks to {total:,} bytes, over the "
                        f"{MAX_UNPACKED_BYTES:,} limit")
    return infos


def load_zip(data: bytes, name: str = "upload.zip", size: int | None = None) -> Dataset:
    """A zip of ``class_name/image.png`` files (one folder per class, at any depth 1)."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_UPLOAD_BYTES:
        raise DataError(f"{name}: {len(data):,} bytes is over the {MAX_UPLOAD_BYTES:,} limit")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DataError(f"{name}: not a zip file") from None
    with zf:
        infos = [i for i in _check_members(zf, name) if not i.is_dir()]
        files = []
        for info in infos:
            parts = PurePosixPath(info.filename).parts
            if parts[0] in ("__MACOSX",) or parts[-1].startswith("."):
                continue
            if len(parts) < 2:
                raise DataError(f"{name}: {info.filename!r} is not inside a class folder; "
                                "put each class's images in a folder named after it")
            files.append((parts[-2], info))
        classes = sorted({c for c, _ in files})
        if len(classes) < 2:
            raise DataError(f"{name}: needs at least two class folders, found "
                            f"{len(classes)}")
        images, labels = [], []
        target = None
        for cls, info in files:
            if PurePosixPath(info.filename).suffix.lower() not in IMAGE_SUFFIXES:
                raise DataError(f"{name}: {info.filename!r} is not an image (png, jpg, bmp, "
                                "gif, webp)")
            raw = zf.read(info)
            try:
                with Image.open(io.BytesIO(raw)) as im:
                    if im.width * im.height > 4096 * 4096:
                        raise DataError(f"{name}: {info.filename!r} is too large an image")
                    im = im.convert("RGB")
                    if target is None:
                        target = (size, size) if size else im.size
                    if im.size != target:
                        im = im.resize(target)
                    images.append(np.asarray(im, np.uint8))
            except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
                raise DataError(f"{name}: {info.filename!r} is not a readable image") from None
            labels.append(classes.index(cls))
    x, y = check_arrays(np.stack(images), np.asarray(labels), name, len(classes))
    return Dataset(PurePosixPath(name).stem, x, y, tuple(classes))
