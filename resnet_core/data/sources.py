"""Every data source, in one table: its name, label, loader, settings and their limits.

The Train page's chooser and settings, the Race page's list, the command line's
``--dataset`` and :func:`resnet_core.data.load` all read :data:`SOURCES`; adding a source
is one entry here, and no page changes. The loaders themselves are leaves
(:mod:`.datasets`, :mod:`.uploads`) that know nothing of this table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .choice import DEFAULT_SOURCE, DataChoice  # noqa: F401 - DEFAULT_SOURCE: read with SOURCES
from .datasets import SHAPE_NAMES, DataError, Dataset, KerasSet, digits, keras_dataset, shapes
from .uploads import load_npz


@dataclass(frozen=True)
class SourceOption:
    """A whole-number setting of one source: its name in :attr:`DataChoice.options`, the
    control a page draws for it and the values allowed."""

    name: str
    label: str
    default: int
    lo: int
    hi: int
    step: int = 1
    help: str | None = None


@dataclass(frozen=True)
class FileInput:
    """A source read from a file the person uploads; the staged copy's path is the
    :attr:`DataChoice.options` entry ``option``."""

    label: str
    types: tuple[str, ...]
    option: str = "path"


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

    def key(self, option: SourceOption) -> str:
        """``option``'s name outside this source: ``shapes_classes``, the key a page
        remembers it by and the command line's flag (``--shapes-classes``)."""
        return f"{self.name}_{option.name}"

    def settings(self, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """This source's own settings: those ``given``, the rest at this source's
        defaults; a name this source does not have is refused."""
        given = dict(given or {})
        names = [o.name for o in self.options] + ([self.file.option] if self.file else [])
        unknown = [k for k in given if k not in names]
        if unknown:
            raise DataError(
                f"{self.short} has no setting {unknown[0]!r}; its settings: "
                f"{', '.join(names) or 'none'}"
            )
        return {**{o.name: o.default for o in self.options}, **given}

    def check(self, options: Mapping[str, Any]) -> None:
        """Refuse settings outside this source's limits, naming the setting."""
        for o in self.options:
            value = options[o.name]
            if type(value) is not int or not o.lo <= value <= o.hi:
                raise DataError(
                    f"{self.short}: {o.label.lower()} must be a whole number "
                    f"from {o.lo:,} to {o.hi:,}, got {value!r}"
                )

    def load(self, choice: DataChoice) -> Dataset:
        """The images of ``choice`` (of this source), its settings checked first."""
        options = self.settings(choice.options)
        self.check(options)
        return self.loader(replace(choice, options=options))


def _keras(name: str, short: str, module: str, class_names) -> DataSource:
    kind = KerasSet(module, tuple(class_names))
    return DataSource(name, short, "Keras", lambda _choice: keras_dataset(name, kind), keras=kind)


def _shapes(c: DataChoice) -> Dataset:
    o = c.options
    return shapes(o["classes"], o["size"], o["count"], c.seed)


def _upload(c: DataChoice) -> Dataset:
    path = Path(c.options.get("path") or "")
    if not path.name or not path.is_file():
        raise DataError(f"the uploaded data ({path.name}) is no longer stored; upload it again")
    return load_npz(path.read_bytes(), path.name)


# In the choosers' order; the first is the default (choice.DEFAULT_SOURCE names it: a test
# holds the two equal).
SOURCES: dict[str, DataSource] = {
    s.name: s
    for s in (
        DataSource("digits", "Digits 8×8", "embedded", lambda _choice: digits(), quick=True),
        DataSource(
            "shapes",
            "Generated shapes",
            "",
            _shapes,
            quick=True,
            options=(
                SourceOption("classes", "Classes", 4, 2, len(SHAPE_NAMES)),
                SourceOption("size", "Image side", 32, 8, 128),
                SourceOption("count", "Images", 1000, 50, 20_000, step=50),
            ),
        ),
        _keras("mnist", "MNIST", "mnist", (str(i) for i in range(10))),
        _keras(
            "fashion_mnist",
            "Fashion-MNIST",
            "fashion_mnist",
            (
                "T-shirt",
                "trouser",
                "pullover",
                "dress",
                "coat",
                "sandal",
                "shirt",
                "sneaker",
                "bag",
                "boot",
            ),
        ),
        _keras(
            "cifar10",
            "CIFAR-10",
            "cifar10",
            (
                "airplane",
                "automobile",
                "bird",
                "cat",
                "deer",
                "dog",
                "frog",
                "horse",
                "ship",
                "truck",
            ),
        ),
        _keras("cifar100", "CIFAR-100", "cifar100", (f"class{i}" for i in range(100))),
        DataSource(
            "upload",
            "Upload",
            ".npz or .zip",
            _upload,
            file=FileInput(
                "An .npz with arrays x (N, H, W[, C]) and y (N,), or a .zip with one folder of "
                "images per class",
                ("npz", "zip"),
            ),
        ),
    )
}


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
        raise DataError(
            f"unknown data source {name!r}; choose one of {', '.join(SOURCES)}"
        ) from None
