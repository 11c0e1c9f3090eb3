"""User uploads: ``.npz`` with ``x`` and ``y`` arrays, or a ``.zip`` of one folder per class.

Uploads are hostile until checked: no pickles, no paths outside the archive, no
decompression bombs, images that really are images, labels in range. Every budget
(decoded values, decoded pixels, label range, class count) is checked from headers
before the arrays or images it limits are allocated. A checked upload is staged as a
plain ``.npz`` (with its class names) for the worker; the staging folder is bounded.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np

from ..faults import disk_full
from .datasets import MAX_CLASSES, MAX_VALUES, DataError, Dataset, check_arrays

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_FILES = 50_000
MAX_RATIO = 200  # a member that expands more than this is treated as a bomb
# Decoded size: values of an .npz's images (datasets.MAX_VALUES) and pixels of a zip's
# images once decoded and brought to one size (×3 bytes, RGB).
MAX_PIXELS = 64_000_000
MAX_IMAGE_SIDE = 1024
MAX_CLASS_NAME = 60
# Staged uploads (decoded arrays, for the worker): the oldest go beyond these.
MAX_STAGED_BYTES = 1024 * 1024 * 1024
MAX_STAGED_FILES = 20
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}
_LABEL_DTYPES = "iufb"  # integers, integral floats, booleans
# What a damaged archive raises: bad structure or CRC, bad deflate data, a cut-off file,
# unsupported zip features, encrypted members (RuntimeError), bad offsets (ValueError).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)


def load_npz(data: bytes, name: str = "upload.npz") -> Dataset:
    """``x`` (N, H, W[, C]), ``y`` (N,) and, optionally, ``class_names`` (K,) from an
    ``.npz``; pickled arrays are refused, sizes are read from the headers first."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise DataError(f"{name}: {len(data):,} bytes is over the {MAX_UPLOAD_BYTES:,} limit")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:  # an .npz is a zip: check it first
            _check_members(zf, name)
            headers = {
                PurePosixPath(i.filename).stem: _npy_header(zf, i, name)
                for i in zf.infolist()
                if i.filename.endswith(".npy")
            }
            if not {"x", "y"} <= set(headers):
                raise DataError(
                    f"{name}: needs arrays named 'x' (images) and 'y' (labels); "
                    f"found {', '.join(map(_short, sorted(headers)[:5])) or 'none'}"
                    f"{' and others' if len(headers) > 5 else ''}"
                )
            _check_budget(headers, name)
        arrays = np.load(io.BytesIO(data), allow_pickle=False)
        y = arrays["y"]
        if y.dtype.kind not in _LABEL_DTYPES:
            raise DataError(f"{name}: labels must be integers 0…K-1, got dtype {y.dtype}")
        # The label range before anything is sized by it (a class list, the model's head).
        num_classes = _num_classes(y, name)
        names = _class_names(arrays, num_classes, name) if "class_names" in headers else None
        x = arrays["x"]
    except DataError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DataError(
                f"{name}: holds pickled (object) arrays, which can run code "
                "when loaded; save plain numeric arrays with np.savez"
            ) from None
        raise DataError(f"{name}: not a readable .npz file ({str(exc)[:100]})") from None
    except (*_ZIP_ERRORS, KeyError) as exc:
        raise DataError(f"{name}: not a readable .npz file ({str(exc)[:100]})") from None
    x, y = check_arrays(x, y, name, num_classes)
    return Dataset(
        PurePosixPath(name).stem, x, y, names or tuple(str(i) for i in range(num_classes))
    )


def _npy_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str):
    """An array's shape and dtype, from its header (nothing else is read)."""
    with zf.open(info) as f:
        try:
            version = np.lib.format.read_magic(f)
            read = {
                (1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0,
            }.get(version)
            if read is None:
                raise DataError(
                    f"{name}: {_short(info.filename)} is a .npy of version {version}, "
                    "which is not read here; save it with np.savez"
                )
            shape, _, dtype = read(f)
        except ValueError as exc:
            raise DataError(
                f"{name}: {_short(info.filename)} is not a readable array ({str(exc)[:100]})"
            ) from None
    if dtype.hasobject:
        raise DataError(
            f"{name}: holds pickled (object) arrays, which can run code when "
            "loaded; save plain numeric arrays with np.savez"
        )
    return tuple(shape), dtype


def _check_budget(headers: dict, name: str) -> None:
    (x_shape, x_dtype), (y_shape, _) = headers["x"], headers["y"]
    values = math.prod(x_shape)
    if values > MAX_VALUES:
        raise DataError(
            f"{name}: x holds {values:,} values ({' × '.join(map(str, x_shape))}), "
            f"more than the {MAX_VALUES:,} allowed; upload a subset or smaller "
            "images"
        )
    if x_dtype.kind == "c":
        raise DataError(
            f"{name}: the images are complex numbers; save real values (for "
            "example np.abs(x)) scaled to 0…255 or 0…1"
        )
    if x_dtype.kind not in "iufb":
        raise DataError(f"{name}: images must be numbers, got dtype {x_dtype}")
    if (
        len(y_shape) > 2
        or math.prod(y_shape) > max(values, 1)
        or (len(y_shape) == 2 and y_shape[1] > MAX_CLASSES)
    ):
        raise DataError(
            f"{name}: y must be one label per image (N,) or one-hot (N, K) "
            f"with K ≤ {MAX_CLASSES:,}; got shape {y_shape}"
        )
    if "class_names" in headers and (
        headers["class_names"][1].kind != "U" or math.prod(headers["class_names"][0]) > MAX_CLASSES
    ):
        raise DataError(f"{name}: class_names must be at most {MAX_CLASSES:,} strings")


def _num_classes(y: np.ndarray, name: str) -> int:
    """K for labels 0…K-1 (one-hot: its width), refused beyond :data:`MAX_CLASSES`."""
    if y.ndim == 2 and y.shape[1] > 1:
        return y.shape[1]
    if y.size == 0:
        raise DataError(f"{name}: y holds no labels")
    top = y.max().item()
    if y.dtype.kind == "f" and not math.isfinite(top):
        raise DataError(f"{name}: labels contain NaN or infinite values")
    if not 0 <= top < MAX_CLASSES:
        raise DataError(
            f"{name}: labels must be in 0…K-1 with at most {MAX_CLASSES:,} "
            f"classes; found labels up to {top:.6g}"
        )
    return int(top) + 1


def _class_names(arrays, num_classes: int, name: str) -> tuple[str, ...]:
    names = arrays["class_names"].reshape(-1)
    if len(names) != num_classes:
        raise DataError(f"{name}: {len(names)} class names for {num_classes} classes")
    out = tuple(_clean_name(str(n)) for n in names)
    if len(set(out)) != len(out) or not all(out):
        raise DataError(f"{name}: class names must be different and non-empty")
    return out


def _short(text: str) -> str:
    """A member's name for a message: quoted, at most 60 characters (names in a zip can
    be 65,535 long)."""
    return repr(text[:60]) + ("…" if len(text) > 60 else "")


def _clean_name(text: str) -> str:
    """A class name for tables and captions: printable, valid Unicode, bounded."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates → "?"
    text = "".join(ch for ch in text if ch.isprintable()).strip()
    return text[:MAX_CLASS_NAME]


def _check_members(zf: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_FILES:
        raise DataError(f"{name}: {len(infos):,} files is over the {MAX_FILES:,} limit")
    total = 0
    for info in infos:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or info.filename.startswith("/"):
            raise DataError(f"{name}: the entry {_short(info.filename)} points outside the archive")
        total += info.file_size
        if (
            info.compress_size
            and info.file_size / info.compress_size > MAX_RATIO
            and info.file_size > 1_000_000
        ):
            raise DataError(
                f"{name}: {_short(info.filename)} expands {info.file_size:,} bytes from "
                f"{info.compress_size:,}: refused as a decompression bomb"
            )
    if total > MAX_UNPACKED_BYTES:
        raise DataError(
            f"{name}: unpacks to {total:,} bytes, over the {MAX_UNPACKED_BYTES:,} limit"
        )
    return infos


def _class_files(zf: zipfile.ZipFile, name: str) -> list[tuple[str, zipfile.ZipInfo]]:
    """``(class folder, member)`` for every image; the folder is the image's parent."""
    files, raw_names = [], {}
    for info in _check_members(zf, name):
        if not info.filename:  # a damaged entry: ZipInfo.is_dir() would fail on it
            raise DataError(
                f"{name}: an entry of the zip has no name; the zip is damaged, make it again"
            )
        if info.is_dir():
            continue
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if parts[0] in ("__MACOSX",) or parts[-1].startswith("."):
            continue
        if len(parts) < 2:
            raise DataError(
                f"{name}: {_short(info.filename)} is not inside a class folder; "
                "put each class's images in a folder named after it"
            )
        if PurePosixPath(info.filename).suffix.lower() not in IMAGE_SUFFIXES:
            raise DataError(
                f"{name}: {_short(info.filename)} is not an image (png, jpg, bmp, gif, webp)"
            )
        folder = _clean_name(parts[-2])
        if not folder:
            raise DataError(
                f"{name}: the folder of {_short(info.filename)} has no printable "
                "name; name each class's folder after the class"
            )
        if raw_names.setdefault(folder, parts[-2]) != parts[-2]:
            raise DataError(
                f"{name}: the class folders {_short(raw_names[folder])} and "
                f"{_short(parts[-2])} differ only in characters that cannot be shown "
                "(or beyond 60 characters); rename one"
            )
        files.append((folder, info))
    return files


def load_zip(data: bytes, name: str = "upload.zip", size: int | None = None) -> Dataset:
    """A zip of ``class_name/image.png`` files (one folder per class, at any depth);
    the classes keep their folders' names. Images take the first one's size (or
    ``size``); decoded pixels are counted from each header before it is decoded."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_UPLOAD_BYTES:
        raise DataError(f"{name}: {len(data):,} bytes is over the {MAX_UPLOAD_BYTES:,} limit")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS:
        raise DataError(f"{name}: not a zip file, or a damaged one") from None
    with zf:
        files = _class_files(zf, name)
        classes = sorted({c for c, _ in files})
        if len(classes) < 2:
            raise DataError(f"{name}: needs at least two class folders, found {len(classes)}")
        if len(classes) > MAX_CLASSES:
            raise DataError(
                f"{name}: {len(classes):,} class folders, more than the {MAX_CLASSES:,} allowed"
            )
        index = {c: i for i, c in enumerate(classes)}
        images, labels = None, []
        target = (size, size) if size else None
        for i, (cls, info) in enumerate(files):
            try:
                with zf.open(info) as f, Image.open(io.BytesIO(f.read())) as im:
                    # The header alone gives the size: bounded before decoding.
                    if im.width * im.height > MAX_PIXELS or max(im.size) > 4 * MAX_IMAGE_SIDE:
                        raise DataError(
                            f"{name}: {_short(info.filename)} is {im.width}×{im.height} "
                            "pixels, too large an image"
                        )
                    im = _upright_rgb(im, name, info.filename)
                    if images is None:
                        target = target or im.size
                        _check_decoded_size(target, len(files), name)
                        images = np.empty((len(files), target[1], target[0], 3), np.uint8)
                    if im.size != target:
                        im = im.resize(target)
                    images[i] = np.asarray(im, np.uint8)
            except (UnidentifiedImageError, Image.DecompressionBombError, *_ZIP_ERRORS) as exc:
                if isinstance(exc, DataError):
                    raise
                raise DataError(
                    f"{name}: {_short(info.filename)} is not a readable image"
                ) from None
            labels.append(index[cls])
    x, y = check_arrays(images, np.asarray(labels), name, len(classes))
    return Dataset(PurePosixPath(name).stem, x, y, tuple(classes))


def _upright_rgb(im, name: str, member: str):
    """The image as 8-bit RGB, turned as its EXIF orientation says (a portrait photo
    taken sideways stands up). 16-bit grey is scaled to 0…255 (65535 → 255), as Pillow
    already does for 16-bit colour; 32-bit integer or float images are taken only when
    their values are 0…255, else refused: never clipped."""
    from PIL import Image, ImageOps

    im = ImageOps.exif_transpose(im)
    if im.mode.startswith("I;16"):
        grey = np.asarray(im, np.uint32)
        return Image.fromarray(((grey * 255 + 32767) // 65535).astype(np.uint8)).convert("RGB")
    if im.mode in ("I", "F"):
        values = np.asarray(im)
        lo, hi = (values.min().item(), values.max().item()) if values.size else (0, 0)
        if not (0 <= lo and hi <= 255):  # NaN fails this too
            raise DataError(
                f"{name}: {_short(member)} holds values {lo:g}…{hi:g} (a 32-bit "
                f"{'float' if im.mode == 'F' else 'integer'} image); save it as "
                "an 8- or 16-bit PNG or a JPEG"
            )
        return Image.fromarray(np.rint(values).astype(np.uint8)).convert("RGB")
    return im.convert("RGB")


def _check_decoded_size(target: tuple[int, int], count: int, name: str) -> None:
    w, h = target
    if max(w, h) > MAX_IMAGE_SIDE:
        raise DataError(
            f"{name}: the images are {w}×{h} pixels; at most {MAX_IMAGE_SIDE} on "
            "a side are used for training; resize them first"
        )
    if w * h * count > MAX_PIXELS:
        raise DataError(
            f"{name}: {count:,} images of {w}×{h} make {w * h * count:,} pixels "
            f"once decoded, more than the {MAX_PIXELS:,} allowed; upload fewer "
            "or smaller images"
        )


# ------------------------------------------------------------------------ staging
def stage_upload(data: bytes, filename: str, folder: Path) -> Path:
    """Check an upload and keep its arrays (and class names) as ``folder/<digest>.npz``
    for the worker; return the path. The same bytes are checked once. The folder keeps
    at most :data:`MAX_STAGED_FILES` files and :data:`MAX_STAGED_BYTES`: the oldest
    (least recently staged) go first; a run whose upload was removed says so."""
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.npz"
    if path.exists():
        os.utime(path)  # recently used: kept longest
        return path
    ds = load_npz(data, filename) if filename.lower().endswith(".npz") else load_zip(data, filename)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"partial-{os.getpid()}-{path.name}"
    try:
        with open(partial, "wb") as f:
            np.savez(f, x=ds.x, y=ds.y, class_names=np.array(ds.class_names, dtype=str))
    except OSError as exc:  # a full disk: no half-written file is left to fill it
        partial.unlink(missing_ok=True)
        if disk_full(exc, folder):
            raise DataError(
                f"{filename}: cannot be kept for training: no space left on the "
                f"disk holding {folder}; free space there and upload it "
                "again"
            ) from None
        raise
    os.replace(partial, path)  # the worker never reads a half-written file
    prune_staged(folder, keep=path)
    return path


def prune_staged(folder: Path, keep: Path | None = None) -> list[Path]:
    """Remove the oldest staged uploads beyond the budgets; return what was removed."""
    entries = []
    for p in folder.glob("*.npz"):
        try:
            entries.append((p.stat().st_mtime, p.stat().st_size, p))
        except OSError:  # removed meanwhile
            continue
    entries.sort(key=lambda e: (e[2] == keep, e[0]), reverse=True)  # keep, then newest
    removed, kept, total = [], 0, 0
    for _, size, p in entries:
        if p != keep and (kept >= MAX_STAGED_FILES or total + size > MAX_STAGED_BYTES):
            p.unlink(missing_ok=True)
            removed.append(p)
        else:
            kept, total = kept + 1, total + size
    return removed
