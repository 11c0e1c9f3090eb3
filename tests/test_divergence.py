"""A run whose loss becomes NaN or infinite: it ends there as "diverged", says to lower the
learning rate, keeps its points and its last good checkpoint, and its partners go on.

A tiny network (one conv layer, one VGG block) on 200 digits keeps these fast; the NaN is
real (an image of one batch made NaN, so its step's loss and gradients are NaN)."""

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

from resnet_core import get_spec
from resnet_core.cli import _print_summary
from resnet_core.data import DataChoice
from resnet_core.training import RunStore, checkpoints, engine
from resnet_core.training.submit import plan_run, race_plans, submit_race, submit_run

DATA = DataChoice(source="digits", subset=200, fit="adapt")
SETTINGS = {
    "optimizer": "sgd",
    "learning_rate": 0.01,
    "epochs": 2,
    "batch_size": 16,
    "log_every": 1,
    "checkpoint_every": 2,
}
POISONED_STEP = 5  # 160 training images, 10 steps an epoch: within the first epoch


def tiny(name="tiny"):
    base = get_spec("cifar_resnet20")
    return dataclasses.replace(
        base,
        name=name,
        input_shape=(8, 8, 1),
        stem=(dataclasses.replace(base.stem[0], filters=4), base.stem[2]),
        stages=(
            dataclasses.replace(
                base.stages[0], kind="vgg", shortcut="projection", num_blocks=1, filters=4
            ),
        ),
    )


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "home")


@pytest.fixture
def poison(monkeypatch):
    """Make one image of the batch of ``POISONED_STEP`` (epoch 0) NaN, for the runs
    whose network is named in the returned set (all when it is left empty)."""
    names: set = set()
    prepare = engine._prepare

    def poisoned(t, *args, **kwargs):
        prepare(t, *args, **kwargs)
        if names and t.spec.name not in names:
            return
        bs = t.settings.batch_size
        order = np.random.default_rng([t.settings.seed, 0]).permutation(len(t.x_train))
        t.x_train[order[(POISONED_STEP - 1) * bs]] = np.nan

    monkeypatch.setattr(engine, "_prepare", poisoned)
    return names


def test_a_nan_loss_ends_the_run_there_as_diverged_keeping_points_and_checkpoint(
    store, poison, monkeypatch
):
    saved = []
    save = checkpoints.save_checkpoint

    def spy(model, run_dir):
        weights = model.get_weights()
        saved.append(all(np.isfinite(w).all() for w in weights))
        save(model, run_dir)

    monkeypatch.setattr(checkpoints, "save_checkpoint", spy)
    run_id = submit_run(store, plan_run(tiny(), DATA), SETTINGS)
    summary = engine.execute(store, run_id)
    run = store.get(run_id)
    assert summary["status"] == run.status == "diverged"
    assert (
        run.error
        == summary["error"]
        == (
            f"diverged: the loss became NaN at step {POISONED_STEP}; lower the learning rate "
            "(it was 0.01: try 0.001 or less)"
        )
    )
    assert not run.active and run.phase == "" and run.epochs_done == 0
    points = store.metrics(run_id, "batch")
    assert [p["step"] for p in points] == list(range(POISONED_STEP))  # up to it, kept
    assert all(p["loss"] is not None for p in points)
    # Checkpoints every 2 steps (2, 4), none of NaN weights, none after the divergence.
    assert saved == [True, True]
    model = checkpoints.load_checkpoint(store.run_dir(run_id) / checkpoints.CHECKPOINT)
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert not (store.run_dir(run_id) / "predictions.npz").exists()
    _print_summary(summary, as_json=False)  # formats no None


def test_in_a_race_the_partner_of_a_diverged_network_trains_on(store, poison):
    poison.add("tiny_a")
    plans = race_plans([tiny("tiny_a"), tiny("tiny_b")], DATA)
    ids = submit_race(store, plans, SETTINGS)
    summaries = engine.execute_group(store, ids)
    assert [s["status"] for s in summaries] == ["diverged", "completed"]
    assert store.get(ids[1]).epochs_done == 2 and not store.get(ids[1]).error


def test_a_race_with_one_diverged_network_exits_non_zero():
    """It exited 0 unless both diverged: a script could not tell a race went wrong."""
    from resnet_core.cli import exit_status

    assert exit_status([{"status": "diverged"}, {"status": "completed"}]) == 1
    assert exit_status([{"status": "completed"}, {"status": "failed"}]) == 1
    assert exit_status([{"status": "completed"}, {"status": "stopped"}]) == 0
    assert exit_status([{"status": "diverged"}]) == 1


def test_the_command_line_prints_missing_figures_as_dashes(capsys):
    summary = {
        "run_id": "r",
        "name": "n",
        "status": "diverged",
        "device": "CPU",
        "error": "diverged: the loss became NaN at step 3; lower the learning rate",
        "history": [
            {
                "epoch": 0,
                "loss": None,
                "accuracy": 0.1,
                "val_loss": None,
                "val_accuracy": None,
                "images_per_second": None,
            }
        ],
    }
    _print_summary(summary, as_json=False)
    out, err = capsys.readouterr()
    assert "epoch 1: loss — acc 0.1000" in out and "diverged on CPU" in out
    assert err == "diverged: the loss became NaN at step 3; lower the learning rate\n"


@pytest.mark.slow
def test_train_with_a_far_too_high_learning_rate_exits_non_zero_with_one_line(tmp_path):
    import os

    env = {**os.environ, "RESNET_EXPLORER_HOME": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "resnet_core",
            "train",
            "cifar_resnet20",
            "--optimizer",
            "sgd",
            "--lr",
            "10",
            "--limit",
            "1000",
            "--batch-size",
            "32",
            "--steps",
            "300",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert out.returncode == 1, out.stderr[-2000:]
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("diverged: the loss became NaN at step ")
    assert "lower the learning rate" in last
    assert "Traceback" not in out.stderr and "unexpected" not in out.stderr
    assert ": diverged on " in out.stdout
    (run,) = RunStore(tmp_path).list()
    assert run.status == "diverged" and run.error == last
