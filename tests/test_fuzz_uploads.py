"""Fuzzing uploads: any .npz or .zip gives a dataset that is whole, or a DataError."""

import io
import zipfile

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from resnet_core.data import DataError
from resnet_core.data.datasets import MAX_CLASSES
from resnet_core.data.uploads import load_npz, load_zip

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DTYPES = st.sampled_from(
    [
        "uint8",
        "int8",
        "int64",
        "float16",
        "float32",
        "float64",
        "bool",
        "complex64",
        "<U3",
        "uint64",
    ]
)


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _whole_or_explained(load):
    try:
        d = load()
    except DataError as exc:
        assert 0 < len(str(exc)) < 400
        return None
    assert d.x.dtype == np.uint8 and d.x.ndim == 4 and d.x.shape[-1] in (1, 3)
    assert d.y.dtype == np.int64 and len(d.y) == len(d.x)
    assert 2 <= d.num_classes <= MAX_CLASSES and 0 <= d.y.min() and d.y.max() < d.num_classes
    return d


@FUZZ
@given(
    hnp.arrays(DTYPES, hnp.array_shapes(min_dims=1, max_dims=5, max_side=6)),
    hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, max_side=40)),
)
def test_any_arrays_as_x_and_y(x, y):
    _whole_or_explained(lambda: load_npz(_npz(x=x, y=y), "fuzz.npz"))


@FUZZ
@given(
    st.integers(2, 30),
    st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats()),
    st.sampled_from(["int64", "float64", "uint64"]),
)
def test_labels_of_any_size(n, top, dtype):
    x = np.zeros((n, 4, 4), np.uint8)
    y = np.zeros(n, dtype)
    try:
        y[-1] = top
    except (OverflowError, ValueError):
        return
    _whole_or_explained(lambda: load_npz(_npz(x=x, y=y), "labels.npz"))


def _good_zip() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for cls, colour in (("cat", "red"), ("dog", "blue")):
            for i in range(2):
                png = io.BytesIO()
                Image.new("RGB", (6, 6), colour).save(png, "PNG")
                zf.writestr(f"{cls}/{i}.png", png.getvalue())
    return buf.getvalue()


GOOD_ZIP = _good_zip()
GOOD_NPZ = _npz(x=np.zeros((4, 4, 4), np.uint8), y=np.array([0, 1, 0, 1]))


@FUZZ
@given(
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, 10_000),
)
@example(flips=[(1223, 0)], cut=0)  # found by this test: a member whose name is empty
def test_damaged_zips_and_npzs(flips, cut):
    for good, load in ((GOOD_ZIP, load_zip), (GOOD_NPZ, load_npz)):
        data = bytearray(good)
        for at, byte in flips:
            data[at % len(data)] = byte
        damaged, short = bytes(data), bytes(data[: cut % len(data)])
        _whole_or_explained(lambda load=load, damaged=damaged: load(damaged, "damaged"))
        _whole_or_explained(lambda load=load, short=short: load(short, "cut"))
