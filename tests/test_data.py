"""Training data: embedded and generated sets, Keras's datasets offline, hostile uploads."""

import io
import os
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from resnet_core import get_spec
from resnet_core.data import SOURCES, DataChoice, DataError, digits, load, prepare, shapes
from resnet_core.data import datasets as ds_module
from resnet_core.data.sources import offline_names
from resnet_core.data.uploads import load_npz, load_zip

ROOT = Path(__file__).resolve().parent.parent


def test_digits_ship_offline():
    d = digits()
    assert d.x.shape == (1797, 8, 8, 1) and d.x.dtype == np.uint8 and d.num_classes == 10
    assert d.x.max() == 255


def test_shapes_are_deterministic_and_sized():
    a, b = shapes(5, 24, 50, seed=3), shapes(5, 24, 50, seed=3)
    np.testing.assert_array_equal(a.x, b.x)
    assert a.x.shape == (50, 24, 24, 3) and set(a.y) <= set(range(5))
    assert not np.array_equal(a.x, shapes(5, 24, 50, seed=4).x)
    with pytest.raises(DataError, match="2 to 8 classes"):
        shapes(1, 24, 50)


def test_prepare_adapts_or_resizes():
    spec = get_spec("cifar_resnet20")
    adapted = prepare(digits(), spec, DataChoice(subset=200, fit="adapt"))
    assert adapted.spec.input_shape == (8, 8, 1) and adapted.x_train.shape[1:] == (8, 8, 1)
    assert len(adapted.x_train) + len(adapted.x_val) == 200
    resized = prepare(digits(), spec, DataChoice(subset=100, fit="resize"))
    assert resized.x_train.shape[1:] == (32, 32, 3) and resized.spec.input_shape == (32, 32, 3)
    with pytest.raises(DataError, match="cannot take 8×8 images.*resize"):
        prepare(digits(), get_spec("seed_resnet50"), DataChoice(fit="adapt"))


def test_keras_dataset_without_cache_or_network_says_so(tmp_path, monkeypatch):
    import keras

    def offline():
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(
        DataError,
        match="not in Keras's cache .* could not be downloaded"
        ".* or use Digits 8×8 or Generated shapes",
    ):
        ds_module.convert_keras_dataset(
            "mnist", SOURCES["mnist"].keras, tmp_path / "mnist.npz", instead=offline_names()
        )
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_the_childs_refusal_reaches_the_caller(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    said = "mnist is not in Keras's cache and could not be downloaded (URLError)."
    monkeypatch.setattr(
        ds_module,
        "CONVERT_COMMAND",
        [
            sys.executable,
            "-c",
            f"import sys; print({'error: ' + said!r}, file=sys.stderr); sys.exit(2)",
        ],
    )
    with pytest.raises(DataError) as err:
        load(DataChoice(source="mnist"))
    assert str(err.value) == said


def test_keras_dataset_loading_code_on_a_small_cache_file(tmp_path, monkeypatch):
    """Keras's own MNIST reader on an mnist.npz the test makes; the server side then reads
    the converted arrays without importing Keras or TensorFlow."""
    from keras.src.datasets import mnist as keras_mnist

    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, 30),
        x_test=np.zeros((5, 28, 28), np.uint8),
        y_test=np.zeros(5, np.int64),
    )
    monkeypatch.setattr(keras_mnist, "get_file", lambda *a, **k: str(path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    ds_module.convert_keras_dataset(
        "mnist", SOURCES["mnist"].keras, ds_module.converted_path("mnist")
    )

    script = (
        "import sys\nfrom resnet_core.data import DataChoice, load\n"
        "d = load(DataChoice(source='mnist'))\n"
        "print(d.x.shape, d.num_classes, "
        "sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "KERAS_HOME": str(tmp_path)},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["(30,", "28,", "28,", "1)", "10", "[]"]


def test_a_damaged_converted_copy_says_how_to_recover(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    ds_module.converted_path("mnist").parent.mkdir(parents=True)
    ds_module.converted_path("mnist").write_bytes(b"half a file")
    with pytest.raises(DataError, match="cannot be read .* delete it"):
        load(DataChoice(source="mnist"))


def _npz(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_npz_upload_and_its_refusals():
    x = np.random.default_rng(0).random((20, 12, 12, 3)).astype(np.float32)
    d = load_npz(_npz(x=x, y=np.arange(20) % 4), "mine.npz")
    assert d.x.shape == (20, 12, 12, 3) and d.x.dtype == np.uint8 and d.num_classes == 4
    cases = [
        (_npz(x=x, y=np.arange(19)), "20 images but 19 labels"),
        (_npz(x=x, y=-np.ones(20, int)), "labels must be in"),
        (_npz(images=x, labels=np.arange(20)), "needs arrays named 'x'"),
        (_npz(x=np.array([{"a": 1}] * 20, dtype=object), y=np.arange(20)), "pickled"),
        (_npz(x=np.zeros((20, 5)), y=np.arange(20)), "images must be"),
        (b"not a zip at all", "not a readable .npz"),
    ]
    for data, words in cases:
        with pytest.raises(DataError, match=words):
            load_npz(data, "bad.npz")


def _zip(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _png(colour, size=(10, 10)):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def test_zip_of_class_folders_and_its_refusals():
    good = {
        f"data/{cls}/{i}.png": _png(c)
        for cls, c in (("cat", "red"), ("dog", "blue"))
        for i in range(3)
    }
    d = load_zip(_zip(good), "pets.zip")
    assert d.class_names == ("cat", "dog") and d.x.shape == (6, 10, 10, 3)
    assert list(d.y) == [0, 0, 0, 1, 1, 1]
    bomb = {"a/x.png": _png("red"), "b/y.png": b"\0" * 50_000_000}
    cases = [
        ({**good, "../../etc/evil.png": _png("red")}, "outside the archive"),
        ({**good, "..\\..\\evil.png": _png("red")}, "outside the archive"),  # Windows'
        ({**good, "/etc/cat/evil.png": _png("red")}, "outside the archive"),
        ({**good, "cat/notes.txt": b"hello"}, "is not an image"),
        ({**good, "dog/fake.png": b"not a png"}, "not a readable image"),
        ({"only/one.png": _png("red")}, "at least two class folders"),
        ({"loose.png": _png("red"), "a/b.png": _png("red")}, "not inside a class folder"),
        ({**good, "x/cat\u200b/1.png": _png("red")}, "differ only in characters"),
        (bomb, "decompression bomb"),
    ]
    for files, words in cases:
        with pytest.raises(DataError, match=words):
            load_zip(_zip(files), "bad.zip")
    with pytest.raises(DataError, match="not a zip"):
        load_zip(b"garbage", "bad.zip")


def test_a_zip_of_more_class_folders_than_allowed_is_refused(monkeypatch):
    from resnet_core.data import uploads

    monkeypatch.setattr(uploads, "MAX_CLASSES", 3)
    files = {f"{cls}/0.png": _png("red") for cls in "abcd"}
    with pytest.raises(DataError, match="4 class folders, more than the 3 allowed"):
        load_zip(_zip(files), "many.zip")
    load_zip(_zip({f"{cls}/{i}.png": _png("red") for cls in "abc" for i in range(2)}), "ok.zip")


# ------------------------------------------------ uploads larger inside than outside
def _npz_compressed(**arrays):
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def _peak_mib(fn):
    """Peak memory that numpy and Python allocated while ``fn`` ran (tracemalloc sees
    numpy's buffers), in MiB; ``fn``'s exception is returned, not raised."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        error = None
    except DataError as exc:
        error = exc
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak, error


def test_labels_up_to_2_to_the_40_are_refused_before_a_class_list_is_built():
    x = np.zeros((20, 8, 8), np.uint8)
    data = _npz(x=x, y=np.array([0] * 19 + [2**40]))
    assert len(data) < 5_000
    peak, error = _peak_mib(lambda: load_npz(data, "huge.npz"))
    assert "at most 1,000 classes" in str(error) and "1.09951e+12" in str(error)
    assert peak < 20


def test_float_labels_of_1e300_are_refused_not_wrapped():
    x = np.zeros((20, 8, 8), np.uint8)
    with pytest.raises(DataError, match="at most 1,000 classes"):
        load_npz(_npz(x=x, y=np.array([0.0] * 19 + [1e300])), "f.npz")


def test_an_npz_whose_images_are_too_many_values_is_refused_from_its_header(monkeypatch):
    from resnet_core.data import uploads

    # Highly compressible arrays are refused as bombs member by member; a plain one over
    # the budget of decoded values is refused from its header (not read).
    monkeypatch.setattr(uploads, "MAX_VALUES", 1_000_000)
    data = _npz(x=np.zeros((1000, 64, 64), np.uint8), y=np.arange(1000) % 2)
    peak, error = _peak_mib(lambda: load_npz(data, "big.npz"))
    assert "4,096,000 values (1000 × 64 × 64), more than the 1,000,000 allowed" in str(error)
    assert peak < 1  # the 4 MB array was never read
    bomb = _npz_compressed(x=np.zeros((200_000, 32, 32, 3), np.uint8), y=np.arange(2))
    with pytest.raises(DataError, match="decompression bomb"):
        load_npz(bomb, "bomb.npz")


def test_a_zip_of_highly_compressible_large_images_is_bounded_by_decoded_pixels():
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (1000, 1000), "black").save(png, "PNG", optimize=True)
    files = {f"{cls}/{i}.png": png.getvalue() for cls in ("a", "b") for i in range(40)}
    data = _zip(files)
    assert len(data) < 500_000  # 80 decoded megapixels inside
    peak, error = _peak_mib(lambda: load_zip(data, "bomb.zip"))
    assert "more than the 64,000,000 allowed" in str(error)
    assert peak < 50


def test_a_zip_whose_images_are_too_wide_for_training_is_refused_first():
    files = {f"{cls}/0.png": _png("red", (2000, 10)) for cls in ("a", "b")}
    with pytest.raises(DataError, match="at most 1024 on a side"):
        load_zip(_zip(files), "wide.zip")


def test_single_class_is_refused_for_npz_and_zip_alike():
    x = np.zeros((20, 8, 8), np.uint8)
    with pytest.raises(DataError, match="two classes"):
        load_npz(_npz(x=x, y=np.full(20, 3)), "one.npz")
    with pytest.raises(DataError, match="two class"):
        load_zip(_zip({f"only/{i}.png": _png("red") for i in range(3)}), "one.zip")


@pytest.mark.parametrize(
    "x, words",
    [
        (np.ones((20, 8, 8), np.complex64), "complex numbers"),
        (np.linspace(-1, 1, 20 * 64).reshape(20, 8, 8), "negative values .* \\(x \\+ 1\\) / 2"),
        (np.full((20, 8, 8), 300.0), "values up to 300"),
        (np.full((20, 8, 8), 70_000, np.int32), "values up to 70000"),
        (np.full((20, 8, 8), np.nan), "NaN"),
    ],
)
def test_images_that_are_not_0_to_255_or_0_to_1_are_refused_not_mangled(x, words):
    with pytest.raises(DataError, match=words):
        load_npz(_npz(x=x, y=np.arange(20) % 2), "odd.npz")


def test_images_in_0_to_1_and_booleans_are_scaled_to_0_to_255():
    y = np.arange(20) % 2
    d = load_npz(_npz(x=np.full((20, 4, 4), 0.5, np.float32), y=y), "f.npz")
    assert d.x.dtype == np.uint8 and int(d.x.max()) == 128
    d = load_npz(_npz(x=np.ones((20, 4, 4), bool), y=y), "b.npz")
    assert int(d.x.min()) == 255


def test_a_zips_class_folder_names_survive_staging(tmp_path):
    from resnet_core.data import DataChoice, load
    from resnet_core.data.uploads import stage_upload

    files = {
        f"pets/{cls}/{i}.png": _png(c)
        for cls, c in (("cat", "red"), ("dög 🐕", "blue"))
        for i in range(3)
    }
    path = stage_upload(_zip(files), "pets.zip", tmp_path / "uploads")
    assert path.parent == tmp_path / "uploads" and path.suffix == ".npz"
    d = load(DataChoice(source="upload", options={"path": str(path)}))
    assert d.class_names == ("cat", "dög 🐕") and list(d.y) == [0, 0, 0, 1, 1, 1]
    assert stage_upload(_zip(files), "pets.zip", tmp_path / "uploads") == path  # checked once


def test_staged_uploads_are_bounded_oldest_first(tmp_path, monkeypatch):
    import os

    from resnet_core.data import uploads

    monkeypatch.setattr(uploads, "MAX_STAGED_FILES", 3)
    folder = tmp_path / "uploads"
    paths = []
    for i in range(5):
        x = np.full((20, 4, 4), i, np.uint8)
        paths.append(uploads.stage_upload(_npz(x=x, y=np.arange(20) % 2), f"{i}.npz", folder))
        os.utime(paths[-1], (1000 + i, 1000 + i))  # staged in this order
    assert sorted(folder.glob("*.npz")) == sorted(paths[2:])
    assert not list(folder.glob("partial-*"))
    monkeypatch.setattr(uploads, "MAX_STAGED_BYTES", paths[4].stat().st_size + 1)
    assert uploads.prune_staged(folder, keep=paths[3]) == [paths[4], paths[2]]
    assert list(folder.glob("*.npz")) == [paths[3]]


def test_resizing_to_a_huge_input_is_refused_before_allocating():
    spec = get_spec("cifar_resnet20").replace(input_shape=(4096, 4096, 3))
    data = digits()  # loaded (and scikit-learn imported) outside the measured call
    peak, error = _peak_mib(lambda: prepare(data, spec, DataChoice(fit="resize")))
    assert "resizing 1,797 images to 4096×4096×3 makes 90,445,971,456 values" in str(error)
    assert peak < 50


def test_the_keras_child_takes_its_facts_from_the_registry():
    """The child looks the name up in the registry: a source that is not Keras's is refused
    in one line, before Keras is imported."""
    out = subprocess.run(
        [sys.executable, "-m", "resnet_core.data.keras_convert", "digits", "unused.npz"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr == "error: digits is not one of Keras's datasets\n"


def test_the_uploaders_limit_is_the_cores_limit():
    """Streamlit's uploader and the upload checks state one limit: a file the uploader
    takes is not refused afterwards for its size, nor the other way round."""
    import tomllib

    from resnet_core.data.uploads import MAX_UPLOAD_BYTES

    config = tomllib.loads(
        (Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text()
    )
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == MAX_UPLOAD_BYTES


# ------------------------------------------ 16-bit and rotated images (issue 18, item 7)
def _png_by_hand(pixels: np.ndarray, colour_type: int) -> bytes:
    """A 16-bit PNG written byte by byte (Pillow cannot write 16-bit colour):
    ``pixels`` (H, W, channels) of big-endian uint16; colour type 0 grey, 2 RGB."""
    import struct

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    h, w = pixels.shape[:2]
    rows = b"".join(b"\0" + pixels[r].astype(">u2").tobytes() for r in range(h))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_16_bit_images_are_scaled_to_0_255_not_clipped():
    levels = np.array([0, 257, 32896, 65535], np.uint16)  # 0, 1, 128, 255 at 8 bits
    grey = np.tile(levels, (4, 1))[..., None]
    colour = np.stack([grey[..., 0], grey[..., 0][:, ::-1], np.full((4, 4), 32896)], -1)
    files = {
        "grey/0.png": _png_by_hand(grey, 0),
        "grey/1.png": _png_by_hand(grey, 0),
        "colour/0.png": _png_by_hand(colour, 2),
        "colour/1.png": _png_by_hand(colour, 2),
    }
    d = load_zip(_zip(files), "deep.zip")
    g = d.x[list(d.y).index(d.class_names.index("grey"))]
    assert g[0, :, 0].tolist() == [0, 1, 128, 255] and (g[..., 0] == g[..., 2]).all()
    c = d.x[list(d.y).index(d.class_names.index("colour"))]
    assert c[0, :, 0].tolist() == [0, 1, 128, 255] and c[0, :, 1].tolist() == [255, 128, 1, 0]


def test_32_bit_images_beyond_0_255_are_refused_not_clipped():
    from PIL import Image

    def tiff(values):
        out = io.BytesIO()
        Image.fromarray(values).save(out, "TIFF")  # named .png: Pillow reads the content
        return out.getvalue()

    wide = np.array([[0, 70000], [5, 9]], np.int32)
    with pytest.raises(DataError, match=r"values 0…70000 .*32-bit integer"):
        load_zip(_zip({"a/0.png": tiff(wide), "b/0.png": _png("red")}), "wide.zip")
    narrow = np.array([[0.0, 255.0], [5.0, 9.0]], np.float32)
    d = load_zip(_zip({"a/0.png": tiff(narrow), "b/0.png": _png("red", (2, 2))}), "ok.zip")
    assert d.x[0, 0, :, 0].tolist() == [0, 255]


def test_exif_orientation_is_applied():
    from PIL import Image

    def photo(orientation):
        # Stored 4 wide, 2 high, left half black; EXIF 6: "turn 90° clockwise to view".
        im = Image.new("RGB", (4, 2), "white")
        im.paste((0, 0, 0), (0, 0, 2, 2))
        exif = Image.Exif()
        exif[0x0112] = orientation
        out = io.BytesIO()
        im.save(out, "PNG", exif=exif)
        return out.getvalue()

    d = load_zip(_zip({"turned/0.png": photo(6), "upright/0.png": photo(1)}), "photos.zip")
    turned = d.x[list(d.y).index(0)]
    assert turned.shape == (4, 2, 3)  # the first image sets the size: now 2 wide, 4 high
    assert turned[:2, :, 0].max() == 0 and turned[2:, :, 0].min() == 255  # black on top


def test_an_upload_that_meets_a_full_disk_leaves_no_partial_file(tmp_path, monkeypatch):
    import errno

    from resnet_core.data import uploads

    def full(f, **arrays):
        f.write(b"\0" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    upload = _npz(x=np.zeros((4, 8, 8), np.uint8), y=np.arange(4) % 2)
    monkeypatch.setattr(uploads.np, "savez", full)
    with pytest.raises(DataError, match="no space left on the disk holding"):
        uploads.stage_upload(upload, "a.npz", tmp_path / "uploads")
    assert not list((tmp_path / "uploads").iterdir())
