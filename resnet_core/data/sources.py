"""Every data source, in one table: its name, label, loader, settings and their limits.

The Train page's chooser and settings, the Race page's list, the command line's
``--dataset`` and :func:`resnet_core.data.load` all read :data:`SOURCES`; adding a source
is one entry here (plus a :class:`~resnet_core.data.DataChoice` field for each setting
of its own), and no page changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .datasets import SHAPE_NAMES, Dataset, DataError, KerasSet, digits, keras_dataset, shapes

if TYPE_CHECKING:
    from .prepare import DataChoice


@dataclass(frozen=True)
class SourceOption:
    """A whole-number setting of one source: a :class:`DataChoice` field, the control a
    page draws for it (the field name is its remembered key) and the values allowed."""

    field: str
    label: str
    default: int
    lo: int
    hi: int
    step: int = 1
    help: str | None = None


@dataclass(frozen=True)
class FileInput:
    """A source read from a file the person uploads; the staged copy's path goes into
    the :class:`DataChoice` field ``field``."""

    label: str
    types: tuple[str, ...]
    field: str = "upload_path"


@dataclass(frozen=True)
class DataSource:
    """One data source.

    ``short`` names it in a sentence ("… training images (MNIST, as 28×28×1)"), ``origin``
    says where it comes from in a chooser. ``keras`` is set for Keras's datasets: fetched
    once by Keras (in a child process), then offline from its cache. ``quick`` sources
    load offline in about a second: fit for a race in front of a room.
    """

    name: str
    short: str
    origin: str
    loader: Callable[[DataChoice], Dataset]
    options: tuple[SourceOption, ...] = ()
    file: FileInput | None = None
    keras: KerasSet | None = None
    quick: bool = False

    @property
    def label(self) -> str:
        return f"{self.short} ({self.origin})" if self.origin else self.short

    def settings(self, given: dict[str, int] | None = None) -> dict[str, int]:
        """This source's own settings: those ``given``, the rest at this source's defaults
        (a field two sources share has one default per source)."""
        given = given or {}
        return {o.field: given.get(o.field, o.default) for o in self.options}

    def check(self, choice: DataChoice) -> None:
        """Refuse settings outside this source's limits, naming the setting."""
        for o in self.options:
            value = getattr(choice, o.field)
            if type(value) is not int or not o.lo <= value <= o.hi:
                raise DataError(f"{self.short}: {o.label.lower()} must be a whole number "
                                f"from {o.lo:,} to {o.hi:,}, got {value!r}")


def _keras(name: str, short: str, module: str, class_names) -> DataSource:
    kind = KerasSet(module, tuple(class_names))
    return DataSource(name, short, "Keras", lambda _choice: keras_dataset(name, kind),
                      keras=kind)


def _shapes(c: DataChoice) -> Dataset:
    return shapes(c.shapes_classes, c.shapes_size, c.shapes_count, c.seed)


def _upload(c: DataChoice) -> Dataset:
    from .uploads import load_npz

    path = Path(c.upload_path)
    if not path.is_file():
        raise DataError(f"the uploaded data ({path.name}) is no longer stored; upload it "
                        "again")
    return load_npz(path.read_bytes(), path.name)


# In the choosers' order; the first is the default.
SOURCES: dict[str, DataSource] = {s.name: s for s in (
    DataSource("digits", "Digits 8×8", "embedded", lambda _choice: digits(), quick=True),
    DataSource("shapes", "Generated shapes", "", _shapes, quick=True, options=(
        SourceOption("shapes_classes", "Classes", 4, 2, len(SHAPE_NAMES)),
        SourceOption("shapes_size", "Image side", 32, 8, 128),
        SourceOption("shapes_count", "Images", 1000, 50, 20_000, step=50))),
    _keras("mnist", "MNIST", "mnist", (str(i) for i in range(10))),
    _keras("fashion_mnist", "Fashion-MNIST", "fashion_mnist",
           ("T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
            "bag", "boot")),
    _keras("cifar10", "CIFAR-10", "cifar10",
           ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
            "truck")),
    _keras("cifar100", "CIFAR-100", "cifar100", (f"class{i}" for i in range(100))),
    DataSource("upload", "Upload", ".npz or .zip", _upload, file=FileInput(
        "An .npz with arrays x (N, H, W[, C]) and y (N,), or a .zip with one folder of "
        "images per class", ("npz", "zip"))),
)}


DEFAULT_SOURCE = next(iter(SOURCES))


def option_default(field: str) -> int:
    """The default of the setting stored as ``field`` (DataChoice's default too)."""
    return next(o.default for s in SOURCES.values() for o in s.options if o.field == field)


def short_name(name: object) -> str:
    """How a stored run's source reads in a table: its short name, else the name as is."""
    source = SOURCES.get(name) if isinstance(name, str) else None
    return source.short if source else str(name)


def offline_names() -> str:
    """The sources that need no download, for a message that offers them instead."""
    return " or ".join(s.short for s in SOURCES.values() if s.quick)


def get_source(name: str) -> DataSource:
    """The source called ``name``; an unknown name is refused with the known ones."""
    try:
        return SOURCES[name]
    except (KeyError, TypeError):
        raise DataError(f"unknown data source {name!r}; choose one of "
                        f"{', '.join(SOURCES)}") from None
