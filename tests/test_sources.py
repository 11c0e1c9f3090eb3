"""The data-source registry: one entry per source, read by load(), the pages and the CLI."""

import json

import numpy as np
import pytest

from resnet_core.data import SOURCES, DataChoice, DataError, Dataset, DataSource, load
from resnet_core.data.sources import SourceOption
from tests.apptest import app


def test_every_source_is_described_whole():
    """Each setting's default lies within its limits and its key is unique (a remembered
    key, a command-line flag); Keras's sets name their classes."""
    keys = [s.key(o) for s in SOURCES.values() for o in s.options]
    assert len(keys) == len(set(keys))
    for name, s in SOURCES.items():
        assert s.name == name and s.short and s.label.startswith(s.short)
        for o in s.options:
            assert o.lo <= o.default <= o.hi and o.step >= 1, (name, o.name)
        assert s.keras is None or len(s.keras.class_names) >= 2
    assert next(iter(SOURCES)) == DataChoice().source  # the choosers' first is the default


def test_load_goes_through_the_registry_and_holds_its_limits():
    d = load(DataChoice(source="shapes", options={"classes": 3, "size": 16, "count": 50}))
    assert d.x.shape == (50, 16, 16, 3) and d.class_names == ("circle", "square", "triangle")
    big = DataChoice(source="shapes", options={"size": 128, "count": 50})
    assert load(big).x.shape[1] == 128
    with pytest.raises(
        DataError,
        match=r"Generated shapes: image side must be a whole "
        r"number from 8 to 128, got 300",
    ):
        load(DataChoice(source="shapes", options={"size": 300}))
    with pytest.raises(DataError, match=r"classes must be .* got 2.5"):
        load(DataChoice(source="shapes", options={"classes": 2.5}))
    with pytest.raises(
        DataError,
        match=r"Generated shapes has no setting 'colour'; its "
        r"settings: classes, size, count",
    ):
        load(DataChoice(source="shapes", options={"colour": 3}))
    for bad in ("nope", ["digits"]):
        with pytest.raises(DataError, match=r"unknown data source .* choose one of digits, "):
            load(DataChoice(source=bad))


def test_a_choice_keeps_its_own_copy_of_the_options():
    given = {"classes": 3}
    choice = DataChoice(source="shapes", options=given)
    given["classes"] = 7
    assert choice.options == {"classes": 3}
    assert len({choice, DataChoice(source="shapes", options={"classes": 3})}) == 1


def test_a_stored_runs_data_still_loads():
    """A run's data dict as stored before ``options`` (each source setting a field named
    ``<source>_<option>``, with a key from another version) makes the same choice, read
    as the chosen source's options; the new form goes through JSON unchanged."""
    old = {
        "source": "shapes",
        "subset": 0,
        "val_split": 0.2,
        "fit": "adapt",
        "augment": False,
        "seed": 3,
        "shapes_classes": 5,
        "shapes_size": 24,
        "shapes_count": 60,
        "upload_path": "",
        "a_later_field": 1,
    }
    choice = DataChoice.from_dict(json.loads(json.dumps(old)))
    assert choice.options == {"classes": 5, "size": 24, "count": 60}
    assert (choice.source, choice.seed, choice.subset) == ("shapes", 3, 0)
    assert load(choice).num_classes == 5
    assert DataChoice.from_dict(json.loads(json.dumps(choice.to_dict()))) == choice

    upload = DataChoice.from_dict({**old, "source": "upload", "upload_path": "/x/a.npz"})
    assert upload.options == {"path": "/x/a.npz"}
    digits = DataChoice.from_dict({**old, "source": "digits"})  # others' settings dropped
    assert digits.options == {} and load(digits).num_classes == 10


def _tiny(choice: DataChoice) -> Dataset:
    count = choice.options["count"]
    x = np.zeros((count, 6, 6, 1), np.uint8)
    x[1::2] = 255
    return Dataset("tiny", x, np.arange(count) % 2, ("dark", "light"))


# A stand-in source with one setting of its own (named as one of shapes', other limits).
TINY = DataSource(
    "tiny",
    "Tiny squares",
    "a test",
    _tiny,
    quick=True,
    options=(SourceOption("count", "Tiny images", 60, 20, 200, step=10),),
)


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    monkeypatch.setitem(SOURCES, "tiny", TINY)
    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    monkeypatch.setattr("ui.training_form.ensure_worker", lambda home=None: None)


def test_a_registered_source_reaches_load_the_cli_and_the_pages(tiny):
    """One entry in SOURCES, and no page or CLI edit: load() returns its data, the CLI
    offers it, the Train page lists it and draws its setting, the Race page offers it."""
    assert load(DataChoice(source="tiny", options={"count": 40})).x.shape == (40, 6, 6, 1)
    with pytest.raises(DataError, match="Tiny squares: tiny images must be .* 20 to 200"):
        load(DataChoice(source="tiny", options={"count": 1000}))

    from resnet_core.cli import parser

    sub = next(a for a in parser()._actions if a.dest == "command")
    dataset = next(a for a in sub.choices["train"]._actions if a.dest == "dataset")
    assert "tiny" in dataset.choices and "tiny = Tiny squares, a test" in dataset.help

    at = app("pages/train.py", preset="cifar_resnet20")
    chooser = next(s for s in at.selectbox if s.label == "Dataset")
    assert "Tiny squares (a test)" in chooser.options
    assert not [n for n in at.number_input if n.label == "Tiny images"]
    chooser.set_value("tiny").run()
    setting = next(n for n in at.number_input if n.label == "Tiny images")
    assert setting.value == 60
    setting.set_value(100).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("80 training and 20 validation images, 2 classes" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]
    assert any("(Tiny squares, as 6×6×1)" in m.value for m in at.markdown)

    race = app("pages/race.py")
    data = next(s for s in race.selectbox if s.label == "Data")
    assert "Tiny squares (a test)" in data.options
    data.set_value("tiny").run()  # its setting drawn, at its own default (not shapes')
    assert next(n for n in race.number_input if n.label == "Tiny images").value == 60
    assert not race.exception and not race.error, [e.value for e in race.error]
    assert any("48 training images (Tiny squares" in m.value for m in race.markdown)

    from resnet_core.cli import _data_choice

    args = parser().parse_args(["train", "resnet18", "--dataset", "tiny"])
    assert _data_choice(args).options == {"count": 60}  # this source's default
    args = parser().parse_args(["train", "resnet18", "--dataset", "tiny", "--tiny-count", "40"])
    assert _data_choice(args).options == {"count": 40}


def test_shapes_settings_are_drawn_from_the_registry_and_remembered(tmp_path, monkeypatch):
    """Settings remembered under their keys (``shapes_classes``, as before ``options``)
    come back; a remembered value outside the registry's limits gives way to its default."""
    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    monkeypatch.setattr("ui.training_form.ensure_worker", lambda home=None: None)
    (tmp_path / "train_form.json").write_text(
        json.dumps(
            {
                "data_source": "shapes",
                "shapes_classes": 6,
                "shapes_size": 999,
                "shapes_count": 100,
                "subset": 0,
            }
        )
    )
    at = app("pages/train.py", preset="cifar_resnet20")
    values = {n.label: n.value for n in at.number_input}
    assert (values["Classes"], values["Image side"], values["Images"]) == (6, 32, 100)
    assert any("80 training and 20 validation images, 6 classes" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]
    next(n for n in at.number_input if n.label == "Classes").set_value(3).run()
    assert json.loads((tmp_path / "train_form.json").read_text())["shapes_classes"] == 3
