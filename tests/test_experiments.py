"""Experiments on trained runs (issue 20): lesion study, loss landscape, block responses.

Fast tests cover the pure parts (filter normalisation, deletion sampling, which blocks
can go, the sentences, the cached JSON, the child-process job, the page drawing kept
results without TensorFlow); the slow ones train a small residual/plain pair on the
digits and check the direction of the effects where it is robust.
"""

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from resnet_core import ArchitectureSpec, analyze, child, get_spec
from resnet_core.experiments import cached, compute, describe, key_for, landscape, lesion, responses
from resnet_core.experiments.blocks import block_shapes, deletable_blocks
from resnet_core.experiments.cache import load_result, save_result
from resnet_core.experiments.runs import ExperimentError, finished_pairs, pair_of
from resnet_core.presets import plain_twin
from resnet_core.training import RunStore
from tests.apptest import app, plain

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ pure parts
def test_filter_normalisation_gives_each_filter_its_weights_norm_and_keeps_its_direction():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 3, 4, 5)).astype("float32") * np.arange(1, 6)
    d = rng.standard_normal(w.shape).astype("float32")
    n = landscape.filter_normalise(d, w)
    for f in range(5):  # the last axis is the filter (Keras's output channel)
        assert np.linalg.norm(n[..., f]) == pytest.approx(np.linalg.norm(w[..., f]), rel=1e-5)
        cos = np.sum(n[..., f] * d[..., f]) / (
            np.linalg.norm(n[..., f]) * np.linalg.norm(d[..., f])
        )
        assert cos == pytest.approx(1.0, abs=1e-6)
    dense = landscape.filter_normalise(
        np.ones((4, 2), "float32"), np.array([[3, 0]] * 4, "float32")
    )
    assert np.linalg.norm(dense[:, 0]) == pytest.approx(6.0) and np.allclose(dense[:, 1], 0)


def test_random_deletions_are_distinct_sets_of_k_in_network_order():
    blocks = [f"b{i}" for i in range(7)]
    rng = np.random.default_rng(1)
    sets = lesion.random_subsets(blocks, 3, 5, rng)
    assert len(sets) == 5 and len(set(sets)) == 5
    assert all(len(s) == 3 and list(s) == sorted(s, key=blocks.index) for s in sets)
    assert lesion.random_subsets(blocks, 7, 5, rng) == [tuple(blocks)]  # only one set
    assert len(lesion.random_subsets(blocks, 1, 50, rng)) == 7  # every one when few
    again = lesion.random_subsets(blocks, 3, 5, np.random.default_rng(1))
    assert again == sets  # a seed gives the same study
    assert lesion.deletions(7, 5) == 1 + 7 + sum(min(5, math.comb(7, k)) for k in range(2, 8))
    with pytest.raises(ValueError):
        lesion.random_subsets(blocks, 8, 5, rng)


def test_blocks_whose_shapes_agree_are_deletable_in_the_network_and_its_twin():
    spec = get_spec("cifar_resnet20")
    shapes = block_shapes(spec)
    assert len(shapes) == 9
    # The first block of stages 2 and 3 halves the size and doubles the channels.
    assert deletable_blocks(spec) == [
        b.name for b in shapes if b.name not in ("stage2_block1", "stage3_block1")
    ]
    assert deletable_blocks(plain_twin(spec)) == deletable_blocks(spec)


def _lesion_result(residual, baseline, singles, chance=0.1):
    return {
        "network": "resnet" if residual else "plain",
        "residual": residual,
        "baseline": baseline,
        "chance": chance,
        "samples": 2,
        "images": 100,
        "single": [{"block": f"b{i}", "accuracy": a} for i, a in enumerate(singles)],
        "random": [{"k": 1, "mean": float(np.mean(singles)), "accuracies": singles}]
        if singles
        else [],
    }


def test_lesion_sentence_and_explanation_say_the_numbers():
    res = _lesion_result(True, 0.9, [0.85, 0.5, 0.9])
    pla = _lesion_result(False, 0.88, [0.1, 0.12, 0.08])
    s = lesion.sentence([res, pla])
    assert "the residual network keeps 75.0 % on average (from 90.0 %; 2 of 3 within " in s
    assert "the plain network falls to 10.0 % on average (from 88.0 %; 0 of 3" in s
    assert s.endswith("chance is 10.0 %.")
    e = lesion.explanation([res, pla])
    assert "loses 15.0 points" in e and "the plain one 78.0" in e
    # The other way round, the words do not claim the paper's result.
    assert "no less than the plain one's" in lesion.explanation([pla | {"residual": True}, res])
    assert "nothing to delete" in lesion.sentence([_lesion_result(True, 0.9, [])])


def _landscape(loss, residual=True):
    n = len(loss)
    c = n // 2
    return {
        "network": "n",
        "residual": residual,
        "grid": n,
        "images": 8,
        "chance_loss": 1.5,
        "classes": 4,
        "alphas": np.linspace(-1, 1, n).tolist(),
        "loss": loss,
        "centre_loss": loss[c][c],
        "slice_alpha": [row[c] for row in loss],
        "slice_beta": loss[c],
    }


def test_landscape_summaries_read_the_grid():
    a = np.linspace(-1, 1, 5)
    bowl = (a[:, None] ** 2 + a[None, :] ** 2).tolist()
    r = _landscape(bowl)
    assert landscape.centre_is_lowest(r) and landscape.local_minima(r) == 1
    assert landscape.ring_loss(r) == pytest.approx(
        np.mean([0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5])
    )
    bumpy = [row[:] for row in bowl]
    bumpy[0][0] = -1.0  # a lower corner: a second minimum, and the centre not lowest
    bumpy[2][0] = -2.0
    r2 = _landscape(bumpy)
    assert landscape.local_minima(r2) == 3 and not landscape.centre_is_lowest(r2)
    bumpy[2][4] = None  # an overflowed loss (JSON null) is the highest
    assert landscape.ring_loss(_landscape(bumpy)) < math.inf
    s = landscape.sentence([r, _landscape(bumpy, residual=False)])
    assert "the residual network's loss rises from 0 at the trained weights to 0.38 half" in s
    assert "(below a uniform guess's on 84 % of the grid)" in s  # 21 of 25 below 1.5
    plateau = np.minimum(np.array(bowl), 1.6) + 0.01 * np.random.default_rng(0).random((5, 5))
    assert landscape.local_minima(_landscape(plateau.tolist())) == 1  # ripples above 1.5
    assert "loss below ln 4 = 1.50" in landscape.explanation([r, _landscape(bumpy, False)])
    with pytest.raises(ExperimentError, match="odd number from 3 to 51"):
        landscape.check_grid(20)


def test_response_pieces():
    spec = get_spec("cifar_resnet20")
    pairs = responses.response_layers(spec)
    assert len(pairs) == 18 and pairs[0] == ("stage1_block1_conv1", "stage1_block1_bn1")
    maps = responses.strongest_maps(
        np.stack([np.full((4, 4), v) for v in (1, 5, 3)], -1) + np.eye(4)[..., None], count=2
    )
    assert [m["channel"] for m in maps] == [1, 2]
    assert min(map(min, maps[0]["map"])) == 0 and max(map(max, maps[0]["map"])) == 1
    big = responses.strongest_maps(np.random.default_rng(0).random((100, 100, 2)), 1)
    assert len(big[0]["map"]) <= responses.MAP_SIDE
    x = np.ones((2, 3, 3, 1))
    assert responses.ratio(0.5 * x, x) == pytest.approx(0.5)
    assert responses.ratio(x, 0 * x) is None


# ------------------------------------------------------------------ runs, cache, JSON
def _stored_pair(home: Path) -> tuple[RunStore, list[str]]:
    """A finished race of cifar_resnet20 and its twin with stand-in checkpoints."""
    store = RunStore(home)
    spec = get_spec("cifar_resnet20")
    ids = store.create_group(
        [
            (s.name, s.to_dict(), {"source": "digits"}, {"epochs": 1})
            for s in (spec, plain_twin(spec))
        ]
    )
    for i in ids:
        store.update(i, status="completed")
        (store.run_dir(i) / "checkpoint.keras").write_bytes(b"stand-in")
    return store, ids


def _fake_results(store, ids):
    res = _lesion_result(True, 0.95, [0.9, 0.93, 0.6]) | {"run_id": ids[0]}
    pla = _lesion_result(False, 0.93, [0.1, 0.2, 0.15]) | {"run_id": ids[1]}
    key = key_for("lesion", {})
    for i, r in zip(ids, (res, pla)):
        save_result(store, i, key, r)
    return [res, pla]


def test_results_are_kept_per_run_and_forgotten_when_the_checkpoint_changes(tmp_path):
    store, ids = _stored_pair(tmp_path)
    assert pair_of(store, store.get(ids[1]))[0].id == ids[0]  # residual first
    assert [[r.id for r in p] for p in finished_pairs(store)] == [ids]
    assert cached(store, "lesion", ids, {}) is None
    results = _fake_results(store, ids)
    got = cached(store, "lesion", ids, {})
    assert [g["baseline"] for g in got] == [0.95, 0.93]
    assert cached(store, "lesion", ids, {"samples": 9}) is None  # other settings
    out = compute(store, "lesion", ids[::-1])  # kept: no Keras, residual first
    assert set(out) == {"experiment", "title", "runs", "sentence", "explanation", "citation"}
    assert out["runs"] == got and "Veit" in out["citation"]
    json.dumps(out)
    time.sleep(0.01)
    (store.run_dir(ids[0]) / "checkpoint.keras").write_bytes(b"trained on")
    assert load_result(store, ids[0], key_for("lesion", {})) is None
    assert describe("lesion", results)["sentence"] == lesion.sentence(results)


def test_runs_that_cannot_be_looked_inside_are_refused_with_what_to_do(tmp_path):
    store, ids = _stored_pair(tmp_path)
    (store.run_dir(ids[1]) / "checkpoint.keras").unlink()
    with pytest.raises(ExperimentError, match="has no checkpoint"):
        compute(store, "lesion", ids)
    store.update(ids[0], status="running")
    with pytest.raises(ExperimentError, match="still running"):
        compute(store, "lesion", [ids[0]])
    with pytest.raises(ExperimentError, match="no run 'nope'"):
        compute(store, "lesion", ["nope"])
    with pytest.raises(ExperimentError, match="no experiment"):
        compute(store, "dissect", ids)
    with pytest.raises(ExperimentError, match="not 3"):
        compute(store, "lesion", ["a", "b", "c"])
    assert finished_pairs(store) == []


def test_cli_refuses_an_unknown_run_in_one_line(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "resnet_core", "landscape", "20990101-000000-abcdef", "--grid", "5"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**__import__("os").environ, "RESNET_EXPLORER_HOME": str(tmp_path)},
    )
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().startswith("error: no run '20990101-000000-abcdef'")
    assert len(out.stderr.strip().splitlines()) == 1


def test_cli_prints_kept_results_as_json_and_text(tmp_path):
    store, ids = _stored_pair(tmp_path)
    results = _fake_results(store, ids)
    env = {**__import__("os").environ, "RESNET_EXPLORER_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "resnet_core", "lesion", ids[1], "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["runs"][0]["baseline"] == results[0]["baseline"]  # its twin came too
    assert got["sentence"] == lesion.sentence(results)
    text = subprocess.run(
        [sys.executable, "-m", "resnet_core", "lesion", ids[0]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=env,
    )
    assert "delete one block:" in text.stdout and "Veit, Wilber & Belongie" in text.stdout


# ------------------------------------------------------------------ the child process
def test_a_job_reports_its_output_and_its_failure(tmp_path):
    job = child.Job(tmp_path / "ok")
    assert job.state().status == "none"
    job.start(["presets"])
    for _ in range(600):
        if not job.running():
            break
        time.sleep(0.1)
    state = job.state()
    assert state.status == "done" and "cifar_resnet20" in state.output
    bad = child.Job(tmp_path / "bad")
    bad.start(["lesion", "nope"])
    for _ in range(600):
        if not bad.running():
            break
        time.sleep(0.1)
    assert bad.state().status == "failed" and "no run 'nope'" in bad.state().error


def test_a_job_stops_with_its_process_group_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(child, "cli_command", lambda args: ["sleep", "60"])
    job = child.Job(tmp_path / "slow")
    job.start(["anything"])
    assert job.state().status == "running"
    job.start(["anything"])  # a second start while it runs starts nothing
    pid = job.pid
    job.stop()
    for _ in range(100):
        if not job.running():
            break
        time.sleep(0.05)
    assert not child.pid_alive(pid) and job.state().status == "stopped"


def test_progress_reporter_writes_a_readable_fraction(tmp_path, monkeypatch):
    monkeypatch.delenv(child.PROGRESS_ENV, raising=False)
    assert child.progress_reporter() is None
    report = child.progress_reporter(tmp_path / "p.json")
    report(1.7, "row 3")
    got = json.loads((tmp_path / "p.json").read_text())
    assert got["fraction"] == 1.0 and got["text"] == "row 3"


# ------------------------------------------------------------------ the page
@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("talk", ["0", "1"])
def test_page_without_runs_offers_to_train_a_small_pair(home, talk):
    at = app("pages/inside.py", talk=talk)
    assert not at.error
    assert any(b.label == "Train a small pair" for b in at.button)


def test_page_draws_kept_results_with_their_sentence_and_citation(home):
    store, ids = _stored_pair(home)
    results = _fake_results(store, ids)
    at = app("pages/inside.py")
    assert not at.error
    md = plain(" ".join(m.value for m in at.markdown))
    assert lesion.sentence(results) in md and "Veit, Wilber and Belongie (2016)" in md
    assert len(at.get("plotly_chart")) == 2
    assert "Veit, Wilber & Belongie (2016)" in plain(" ".join(c.value for c in at.caption))
    at.segmented_control[0].set_value("landscape").run()
    assert not at.error and any(b.label == "Run the loss landscape" for b in at.button)


def test_runs_and_race_pages_open_the_page_in_one_click(home):
    store, ids = _stored_pair(home)
    at = app("pages/runs.py")
    button = next(b for b in at.button if b.label == "Look inside these two networks")
    button.click().run()
    assert not at.exception
    assert at.session_state["inside_runs"] == ids
    at = app("pages/race.py")
    button = next(b for b in at.button if b.label == "Look inside these two networks")
    button.click().run()
    assert at.session_state["inside_runs"] == ids


# ------------------------------------------------------------------ slow: a trained pair
@pytest.fixture(scope="module")
def trained_pair(tmp_path_factory):
    """cifar_resnet20 and its plain twin, trained together on the digits for 150 steps."""
    from resnet_core.data import DataChoice
    from resnet_core.training import TrainSettings
    from resnet_core.training.engine import execute_group
    from resnet_core.training.submit import race_plans, submit_race

    store = RunStore(tmp_path_factory.mktemp("pair"))
    spec = get_spec("cifar_resnet20")
    plans = race_plans([spec, plain_twin(spec)], DataChoice(source="digits"))
    ids = submit_race(store, plans, TrainSettings(steps=150, batch_size=32, log_every=50).to_dict())
    execute_group(store, ids)
    assert [store.get(i).status for i in ids] == ["completed", "completed"]
    return store, ids


@pytest.mark.slow
def test_lesion_hurts_the_plain_network_more(trained_pair):
    store, ids = trained_pair
    seen = []
    out = compute(
        store, "lesion", ids, {"samples": 2, "images": 400}, progress=lambda f, t: seen.append(f)
    )
    res, pla = out["runs"]
    assert res["residual"] and not pla["residual"]
    assert lesion.mean_drop(res) < lesion.mean_drop(pla)
    assert len(res["single"]) == 7 and [p["k"] for p in res["random"]] == list(range(1, 8))
    # With nothing deleted, the walk along the spec is the trained model itself.
    assert res["baseline"] == pytest.approx(store.get(ids[0]).summary["val_accuracy"], abs=1e-6)
    assert seen and seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    assert cached(store, "lesion", ids, {"samples": 2, "images": 400}) == out["runs"]


@pytest.mark.slow
def test_landscape_centre_is_lowest_on_each_slice(trained_pair):
    store, ids = trained_pair
    out = compute(store, "landscape", ids, {"grid": 7, "images": 256})
    for r in out["runs"]:
        assert landscape.centre_is_lowest(r), r["slice_alpha"]
        assert len(r["loss"]) == 7 and all(len(row) == 7 for row in r["loss"])


@pytest.mark.slow
def test_responses_cover_every_block_and_layer(trained_pair):
    store, ids = trained_pair
    out = compute(store, "responses", ids, {"image": 3, "images": 64})
    res, pla = out["runs"]
    assert [s["stage"] for s in res["stages"]] == ["stem", "stage1", "stage2", "stage3"]
    assert len(res["blocks"]) == 9 and all(b["branch_ratio"] > 0 for b in res["blocks"])
    assert all(b["branch_ratio"] is None for b in pla["blocks"])
    assert len(res["layers"]) == len(pla["layers"]) == 18
    assert all(l["std"] > 0 for l in res["layers"] + pla["layers"])
    json.dumps(out)


def test_responses_sentence_compares_how_much_blocks_change_their_input():
    def result(residual, changes, branches):
        return {
            "network": "r" if residual else "p",
            "residual": residual,
            "blocks": [
                {"block": f"b{i}", "change_ratio": c, "branch_ratio": b}
                for i, (c, b) in enumerate(zip(changes, branches))
            ],
            "layers": [{"std": 0.5}, {"std": 1.5}],
        }

    res = result(True, [0.4, None, 0.6], [0.7, 0.3, 0.5])
    pla = result(False, [1.1, None, 1.3], [None] * 3)
    s = responses.sentence([res, pla])
    assert s.startswith(
        "On average a residual block changes its input by 50 % of its norm "
        "and a plain block changes its input by 120 % of its norm"
    )
    e = responses.explanation([res, pla])
    assert "a plain one by 120 %" in e and "its branches add 50 %" in e
    assert "mean response std is 1" in e


# ------------------------------------------------------------- page: estimates, bounds
def _stored_single(home: Path, name: str = "cifar_resnet20", subset: int = 600) -> RunStore:
    """One finished run (no plain twin) on ``subset`` digits, with a stand-in checkpoint."""
    store = RunStore(home)
    spec = get_spec("cifar_resnet20").to_dict()
    data = {"source": "digits", "subset": subset, "val_split": 0.2}
    run_id = store.create(name, spec, data, {"epochs": 1})
    store.update(run_id, status="completed")
    (store.run_dir(run_id) / "checkpoint.keras").write_bytes(b"stand-in")
    return store


def test_estimates_count_only_the_images_a_run_holds(tmp_path):
    """A lesion of 1,000 asked images on a run of 600 digits measures its 120 validation
    images: the estimate says so, and the landscape takes at most its 480 training ones."""
    from resnet_core.experiments import START_SECONDS, estimate_seconds

    store = _stored_single(tmp_path)
    (run,) = store.list()
    spec = run.network()
    asked = estimate_seconds("lesion", [run], {"samples": 5, "images": 1000})
    assert asked == pytest.approx(START_SECONDS + lesion.estimate_seconds(spec, 5, 120))
    big = estimate_seconds("landscape", [run], {"grid": 21, "images": 2048})
    assert big == estimate_seconds("landscape", [run], {"grid": 21, "images": 480})
    # Against this machine's measurement (RESULTS.md: 21×21 × 512 of cifar_resnet20 at
    # 8×8, 47.7 s a network at load 18): the same order, not 5× it as before.
    spec8 = ArchitectureSpec.from_dict({**spec.to_dict(), "input_shape": [8, 8, 1]})
    grid = landscape.estimate_seconds(21, 512, analyze(spec8).totals.macs)
    assert 25 < grid < 100


def test_page_bounds_the_image_by_the_runs_validation_images_and_offers_a_pair(home):
    """One run of 600 digits (120 held out): image 0 to 119; no pair yet, so the page
    offers to train one beside the single run's experiments."""
    _stored_single(home)
    at = app("pages/inside.py")
    assert not at.error and not at.exception
    assert any(b.label == "Train a small pair" for b in at.button)
    at.segmented_control[0].set_value("responses").run()
    image = next(n for n in at.number_input if n.label.startswith("Image"))
    assert (image.min, image.max) == (0, 119)
    assert "these runs hold 120" in image.help


def test_figures_show_a_hostile_network_name_as_text():
    """Plotly reads tags in legends and titles: a run named ``<b>r20</b> & co`` shows
    those characters, not bold text (issue 18)."""
    from ui import experiments as figures

    name = "<b>r20</b> & co"
    res = _lesion_result(True, 0.9, [0.85, 0.5]) | {"network": name}
    pla = _lesion_result(False, 0.88, [0.1, 0.2]) | {"network": name}
    a = np.linspace(-1, 1, 3)
    bowl = (a[:, None] ** 2 + a[None, :] ** 2).tolist()
    lands = [_landscape(bowl) | {"network": name}, _landscape(bowl, False) | {"network": name}]
    figs = [figures.lesion_single([res, pla]), figures.lesion_random([res, pla])]
    figs += [figures.landscape_slices(lands), figures.landscape_contours(lands)]
    for fig in figs:
        texts = [t.name for t in fig.data if t.name] + [
            a.text for a in fig.layout.annotations if a.text
        ]
        named = [t for t in texts if "r20" in t]
        assert named, fig.layout.title
        for t in named:
            assert "<b>" not in t and "&lt;b&gt;r20&lt;/b&gt; &amp; co" in t, t


def test_block_names_on_axes_are_short_enough_for_a_talk():
    """Seven ``stageN_blockM`` names stood on end under a 290 px talk chart and left it
    a few pixels of plot: the axes say ``N.M`` (a category axis: 1.10 is not 1.1)."""
    from ui import experiments as figures

    res = _lesion_result(True, 0.9, [0.8, 0.7]) | {
        "single": [
            {"block": "stage1_block1", "accuracy": 0.8},
            {"block": "stage1_block10", "accuracy": 0.7},
        ]
    }
    fig = figures.lesion_single([res])
    assert list(fig.data[0].x) == ["1.1", "1.10"] and fig.layout.xaxis.type == "category"
