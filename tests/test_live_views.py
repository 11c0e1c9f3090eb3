"""The live panels of Train, Race, Degradation and Runs: what they say during and after a
run (figures from a store filled by hand: no training here)."""

import os
import time

import pytest

from resnet_core import get_spec
from resnet_core.training import RunStore
from tests.apptest import app, plain
from ui import training_views

SETTINGS = {"epochs": 5, "batch_size": 32}


def _race(store, status="running", phase="training"):
    spec = get_spec("cifar_resnet20")
    ids = store.create_group(
        [
            (s.name, s.to_dict(), {"source": "digits"}, SETTINGS)
            for s in (spec, get_spec("cifar_plain20"))
        ]
    )
    for i in ids:
        store.update(
            i,
            status=status,
            phase=phase,
            worker_pid=os.getpid(),
            total_steps=50,
            heartbeat=time.time(),
        )
        store.add_metrics(
            i,
            [
                {
                    "kind": "batch",
                    "epoch": 0,
                    "step": 0,
                    "seen": 0,
                    "time": time.time(),
                    "loss": 2.3,
                    "accuracy": 0.1,
                },
                {
                    "kind": "batch",
                    "epoch": 0,
                    "step": 5,
                    "seen": 160,
                    "time": time.time(),
                    "loss": 2.0,
                    "accuracy": 0.25,
                },
            ],
        )
    return ids


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    return RunStore(tmp_path)


def test_epoch_text_never_goes_back_and_says_the_phase():
    from ui.training_views import epoch_text

    store = RunStore.__new__(RunStore)
    points = []
    store.metrics = lambda run_id, kind=None: points
    run = type(
        "R",
        (),
        {
            "id": "x",
            "settings": {"epochs": 5},
            "epochs_done": 0,
            "status": "running",
            "phase": "compiling",
            "active": True,
        },
    )()
    points.append({"epoch": 0, "seen": 0})  # the untrained network's point
    assert epoch_text(store, run) == "compiling…"
    run.status, run.active = "failed", False  # ended before its first step
    assert epoch_text(store, run) == "0 / 5"
    run.status, run.active, run.phase = "running", True, "training"
    points.append({"epoch": 0, "seen": 64})
    assert epoch_text(store, run) == "1 / 5"
    run.status, run.active = "stopped", False  # stopped within the first epoch
    assert epoch_text(store, run) == "1 / 5"
    run.status, run.active, run.epochs_done = "running", True, 1  # validated epoch 1
    assert epoch_text(store, run) == "1 / 5"  # (Stop now would show 1 / 5 too)
    points.append({"epoch": 1, "seen": 600})
    assert epoch_text(store, run) == "2 / 5"
    run.epochs_done, run.status = 5, "completed"
    assert epoch_text(store, run) == "5 / 5"


def test_progress_never_says_of_an_unknown_total(store):
    from ui.training_views import progress

    (i, _) = _race(store)
    store.update(i, total_steps=0, phase="compiling")
    _, text = progress(store, store.get(i))
    assert "?" not in text and "· step" not in text and text.startswith("compiling")
    store.update(i, total_steps=50, phase="training")
    assert "step 5 of 50" in progress(store, store.get(i))[1]


@pytest.mark.slow
def test_a_race_keeps_its_order_and_says_training_accuracy_until_validation(store, monkeypatch):
    ids = _race(store)
    # Runs created in the same instant: list() may give them in either order.
    for order in (1, -1):
        monkeypatch.setattr(RunStore, "list", lambda self, o=order, f=RunStore.list: f(self)[::o])
        at = app("pages/race.py")
        assert plain(at.metric[0].label) == "cifar_resnet20 · training"
    at = app("pages/race.py", talk="1")  # a talk: one status line, the residual first
    assert [plain(c.value) for c in at.caption][0].startswith(
        "**cifar_resnet20** and **cifar_plain20**: training"
    )
    at = app("pages/race.py")
    assert not at.exception
    labels = [plain(m.label) for m in at.metric]
    # The residual network first (the page's title), while it runs ...
    assert labels[:2] == ["cifar_resnet20 · training", "cifar_plain20 · training"]
    assert [m.value for m in at.metric][:3] == ["25.0%", "25.0%", "1 / 5"]
    for i in ids:
        store.update(i, status="stopped", phase="")
    at = app("pages/race.py")
    # ... and after Stop: the same order (same colours), the epoch reached kept.
    assert [plain(m.label) for m in at.metric][:2] == labels[:2]
    assert [m.value for m in at.metric][2] == "1 / 5"
    for i in ids:
        store.add_metrics(
            i,
            [
                {
                    "kind": "epoch",
                    "epoch": 0,
                    "step": 10,
                    "seen": 320,
                    "time": time.time(),
                    "val_accuracy": 0.5,
                }
            ],
        )
    at = app("pages/race.py")
    assert plain(at.metric[0].label) == "cifar_resnet20 · validation"
    from ui.training_views import headline_accuracy

    store.add_metrics(
        ids[0],
        [
            {
                "kind": "epoch",
                "epoch": 1,
                "step": 20,
                "seen": 640,
                "time": time.time(),
                "val_accuracy": 0.75,
            }
        ],
    )
    assert headline_accuracy(store, store.get(ids[0])) == (0.75, "validation")  # the last


def test_degradation_after_stop_says_stopped_and_keeps_errors_in_0_to_100(store):
    from ui import degradation

    names = ["cifar_plain20", "cifar_plain56", "cifar_resnet20", "cifar_resnet56"]
    ids = store.create_group(
        [(n, get_spec(n).to_dict(), {"source": "digits"}, SETTINGS) for n in names]
    )
    fig = degradation.figure(
        store, degradation.outcomes(store, store.group(store.get(ids[0]).group_id))
    )
    assert fig.layout.yaxis.range == (0, 1.02) and fig.layout.yaxis2.range == (0, 1.02)
    assert "appears after the first epoch" in fig.layout.annotations[0].text
    for i in ids:
        store.update(i, status="stopped")
    at = app("pages/degradation.py")
    assert not at.exception
    # Stopped before a step: the sentence says there is nothing to compare, not a result.
    assert any(
        "Stopped before the first training step: nothing to compare yet" in plain(x.value)
        for x in at.markdown
    )


def test_the_runs_table_shows_a_dash_for_figures_a_run_has_not_got(store):
    _race(store, status="stopped", phase="")
    at = app("pages/runs.py")
    table = at.dataframe[0].value
    assert set(table["val accuracy"]) == {"—"} and set(table["images/s"]) == {"—"}
    assert set(table["data"]) == {"Digits 8×8"}  # the registry's name, not "digits"


def test_the_curves_count_images_in_whole_numbers_with_room_for_the_first_point(store):
    from ui.training_views import curves

    (i, _) = _race(store)
    fig = curves(store, [store.get(i)])
    lo, hi = fig.layout.xaxis.range
    assert lo < 0 < 160 < hi and fig.layout.xaxis.tickformat == ",d"
    j = store.create(
        "cifar_resnet20", get_spec("cifar_resnet20").to_dict(), {"source": "digits"}, SETTINGS
    )
    store.add_metrics(
        j,
        [
            {
                "kind": "batch",
                "epoch": 0,
                "step": 0,
                "seen": 0,
                "time": time.time(),
                "loss": 2.3,
                "accuracy": 0.1,
            }
        ],
    )
    fig = curves(store, [store.get(j)])
    assert fig.layout.xaxis.dtick == 1  # only x=0 so far: ticks 0 and 1, never 0.5


def test_the_curves_name_runs_as_text_and_tell_same_named_runs_apart(store):
    from ui.training_views import curves

    ids = [store.create("<b>n</b>", {}, {"source": "digits"}, SETTINGS) for _ in range(2)]
    fig = curves(store, [store.get(i) for i in ids])
    lines = {t.name for t in fig.data if t.showlegend is False}
    assert lines == {
        f"&lt;b&gt;n&lt;/b&gt; ({i[-6:]}) · {kind}"
        for i in ids
        for kind in ("training", "validation")
    }
    # The legend: one entry per network, then the two line styles.
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert legend == [f"&lt;b&gt;n&lt;/b&gt; ({i[-6:]})" for i in ids] + [
        "training",
        "validation (each epoch)",
    ]


def test_the_fit_radio_shows_the_fit_used_and_keeps_the_choice_for_other_data(store, monkeypatch):
    monkeypatch.setattr("ui.training_form.ensure_worker", lambda home=None: None)
    at = app("pages/train.py", preset="seed_resnet50")  # 8×8 digits: too small for it
    assert not at.exception
    (radio,) = [r for r in at.radio if r.label.startswith("When the data")]
    assert radio.value == "resize" and radio.disabled
    assert "too small for seed_resnet50" in radio.help
    at = app("pages/train.py", preset="cifar_resnet20")  # adapting works: still chosen
    (radio,) = [r for r in at.radio if r.label.startswith("When the data")]
    assert radio.value == "adapt" and not radio.disabled


def test_a_diverged_run_says_so_in_its_own_colour_on_race_and_runs_pages(store):
    ids = _race(store, status="completed", phase="")
    error = (
        "diverged: the loss became NaN at step 7; lower the learning rate (it was 10: "
        "try 1 or less)"
    )
    store.update(ids[0], status="diverged", error=error)
    at = app("pages/race.py")  # the live panel, as the race ended
    assert [plain(w.value) for w in at.warning] == [f"cifar_resnet20: {error}"]
    assert not at.error
    at = app("pages/runs.py")  # the table, and the run opened below it
    assert [plain(w.value) for w in at.warning] == [error] and not at.error
    table = at.dataframe[0]
    row = list(table.value["status"]).index("diverged")
    assert (
        f"row{row}_col2 {{ color: {training_views.STATUS_COLOURS['diverged']}"
        in table.proto.arrow_data.styler.styles
    )
