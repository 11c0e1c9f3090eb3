"""Training runs through the one path: tiny data, live metrics, stop, kill, resume, devices."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from resnet_core import get_spec
from resnet_core.data import DataChoice
from resnet_core.presets import plain_twin
from resnet_core.training import (
    RunStore,
    SettingsError,
    TrainSettings,
    check_feasible,
    checkpoints,
    chunks,
    predictions,
    training_model,
)
from resnet_core.training.checkpoints import load_checkpoint
from resnet_core.training.engine import execute, execute_group
from resnet_core.training.submit import plan_run, race_plans, submit_race, submit_run

pytestmark = pytest.mark.slow  # every test here trains a network

ROOT = Path(__file__).resolve().parent.parent
TINY = {"source": "digits", "subset": 300, "fit": "adapt"}


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "home")


def queue(store, name, data, settings):
    return submit_run(store, plan_run(get_spec(name), DataChoice.from_dict(data)), settings)


def wait_for(predicate, timeout=120, every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


def test_one_epoch_on_a_few_hundred_digits(store):
    run_id = queue(store, "cifar_resnet20", TINY, {"epochs": 1, "batch_size": 32, "log_every": 2})
    summary = execute(store, run_id)
    assert summary["status"] == "completed", store.get(run_id).error
    assert [h["epoch"] for h in summary["history"]] == [0]
    h = summary["history"][0]
    assert 0 <= h["accuracy"] <= 1 and h["val_loss"] > 0 and h["images_per_second"] > 0
    batches = store.metrics(run_id, "batch")
    assert len(batches) >= 3  # points every 2 batches, not only per epoch
    assert [b["step"] for b in batches] == sorted(b["step"] for b in batches)
    assert batches[0]["step"] == 0 and batches[-1]["step"] == 240 // 32  # whole batches
    # Each point is its chunk's own mean, not a running mean: weighted by their chunks'
    # images the points make the epoch's mean (a running mean's last point is that mean).
    images = np.diff([b["seen"] for b in batches])
    losses = np.array([b["loss"] for b in batches[1:]])
    assert np.dot(images, losses) / images.sum() == pytest.approx(h["loss"], rel=1e-4)
    assert losses[-1] != pytest.approx(h["loss"], rel=1e-4)
    assert all(b["time"] >= a["time"] for a, b in zip(batches, batches[1:]))  # for replay
    run_dir = store.run_dir(run_id)
    model = load_checkpoint(run_dir / "checkpoint.keras")  # safe mode
    assert model.count_params() > 0
    pred = predictions.load(run_dir)
    assert len(pred.y_true) == 60 and len(pred.sample_images) > 0
    assert any((run_dir / "logs").rglob("*tfevents*"))  # TensorBoard
    assert store.get(run_id).summary["class_names"][:2] == ["0", "1"]


def test_stop_is_honoured_mid_epoch_and_keeps_what_was_learned(store, monkeypatch):
    # Slow steps (50 ms more each), so one epoch of 1,400 images at batch 4 lasts well
    # over 15 s: a run stopped within it was stopped within a chunk of steps, not at the
    # epoch's end.
    run_chunk = chunks.CompiledChunks.run

    def slow_chunk(self, xs, y, *args):
        time.sleep(0.05 * len(y))
        return run_chunk(self, xs, y, *args)

    monkeypatch.setattr(chunks.CompiledChunks, "run", slow_chunk)
    run_id = queue(
        store,
        "cifar_resnet20",
        {**TINY, "subset": 0},
        {"epochs": 1, "batch_size": 4, "log_every": 1},
    )
    thread = threading.Thread(target=execute, args=(store, run_id))
    thread.start()
    wait_for(lambda: store.get(run_id).phase == "training")
    store.request_stop(run_id)
    assert store.get(run_id).status == "stopping"
    thread.join(120)
    assert not thread.is_alive()
    run = store.get(run_id)
    assert run.status == "stopped" and run.epochs_done == 0
    last = store.metrics(run_id, "batch")[-1]["step"]
    assert 0 < last < run.total_steps
    assert (store.run_dir(run_id) / "checkpoint.keras").exists()
    assert not list(store.run_dir(run_id).glob("partial-*"))  # written, then renamed

    monkeypatch.setattr(chunks.CompiledChunks, "run", run_chunk)
    store.requeue(run_id, epochs=2, batch_size=32)  # resume from the checkpoint
    summary = execute(store, run_id)
    assert summary["status"] == "completed", store.get(run_id).error
    assert [h["epoch"] for h in summary["history"]] == [0, 1]


def test_training_by_steps_with_a_checkpoint_every_n_steps(store, monkeypatch):
    saved_at = []  # the step of the last live point when each checkpoint is written
    save = checkpoints.save_checkpoint

    def spy(model, run_dir):
        saved_at.append(store.metrics(run_id, "batch")[-1]["step"])
        save(model, run_dir)

    monkeypatch.setattr(checkpoints, "save_checkpoint", spy)
    run_id = queue(
        store,
        "cifar_resnet20",
        TINY,
        {"steps": 10, "checkpoint_every": 1, "batch_size": 32, "log_every": 1},
    )
    summary = execute(store, run_id)
    assert summary["status"] == "completed", store.get(run_id).error
    run = store.get(run_id)
    assert run.total_steps == 10 and run.epochs_done == 2  # 7 steps an epoch: 7 + 3
    assert run.settings["epochs"] == 2  # shown as the epochs the steps span
    assert store.metrics(run_id, "batch")[-1]["step"] == 10
    # every step, once at an epoch's end (7, 10), and the run's end (10)
    assert saved_at == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10]


def test_a_race_trains_both_networks_on_the_same_batches(store):
    plans = race_plans(
        [get_spec("cifar_resnet20"), plain_twin(get_spec("cifar_resnet20"))], DataChoice(subset=300)
    )
    ids = submit_race(store, plans, {"epochs": 2, "batch_size": 32, "log_every": 2})
    runs = [store.get(i) for i in ids]
    assert runs[0].group_id and runs[0].group_id == runs[1].group_id
    assert [r.id for r in store.claim_next(os.getpid())] == ids  # claimed together
    summaries = execute_group(store, ids)
    assert [s["status"] for s in summaries] == ["completed", "completed"]
    assert [s["name"] for s in summaries] == ["cifar_resnet20", "cifar_plain20"]
    a, b = (store.metrics(i, "batch") for i in ids)
    assert [p["seen"] for p in a] == [p["seen"] for p in b]  # lockstep, same chunks
    assert a[0]["loss"] != b[0]["loss"]  # two different networks
    # Interleaved in time: the plain network's points do not all come after the ResNet's.
    assert b[len(b) // 2]["time"] < a[-1]["time"]


def test_a_race_side_that_fails_keeps_the_other(store, monkeypatch):
    build = training_model.build_training_model

    def fail_plain(spec, *args):
        if spec.name == "cifar_plain20":
            raise RuntimeError("boom on the plain side")
        return build(spec, *args)

    monkeypatch.setattr(training_model, "build_training_model", fail_plain)
    plans = race_plans(
        [get_spec("cifar_resnet20"), plain_twin(get_spec("cifar_resnet20"))], DataChoice(subset=200)
    )
    ids = submit_race(store, plans, {"epochs": 1, "batch_size": 32})
    summaries = execute_group(store, ids)
    assert [s["status"] for s in summaries] == ["completed", "failed"]
    assert "boom on the plain side" in store.get(ids[1]).error


def test_the_other_fit_is_taken_when_the_chosen_one_cannot_work():
    plan = plan_run(get_spec("seed_resnet50"), DataChoice(fit="adapt"))
    assert plan.choice.fit == "resize" and plan.spec.input_shape == (64, 64, 3)
    assert "8×8 images are too small for seed_resnet50" in plan.note
    assert plan_run(get_spec("cifar_resnet20"), DataChoice(fit="adapt")).note == ""


def test_refusals_before_starting(store):
    with pytest.raises(SettingsError, match="larger than the 240 training images"):
        queue(store, "cifar_resnet20", TINY, {"batch_size": 512})
    with pytest.raises(SettingsError, match="GiB is free"):
        check_feasible(
            get_spec("resnet152"), TrainSettings(batch_size=64), 1000, memory_limit=1 << 30
        )
    with pytest.raises(SettingsError, match="learning rate"):
        TrainSettings(learning_rate=-1).check()
    assert store.list() == []


def test_queue_hands_each_run_to_one_claimant(store):
    ids = [store.create(f"r{i}", {}, {}, {}) for i in range(6)]
    claimed, lock = [], threading.Lock()

    def claim():
        while runs := store.claim_next(os.getpid()):
            with lock:
                claimed.extend(r.id for r in runs)

    threads = [threading.Thread(target=claim) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(claimed) == sorted(ids)


def test_the_command_line_claims_its_runs_whole_or_not_at_all(store):
    race = store.create_group([("a", {}, {}, {}), ("b", {}, {}, {})])
    assert store.claim(race, 111)  # the command line's race, before the app's worker
    assert store.claim_next(222) == [] and not store.claim(race, 333)
    assert {store.get(i).worker_pid for i in race} == {111}
    taken = store.create_group([("c", {}, {}, {}), ("d", {}, {}, {})])
    assert [r.id for r in store.claim_next(222)] == taken  # the worker was first
    assert not store.claim(taken, 111) and not store.claim(taken[0], 111)
    assert store.claim(store.create("e", {}, {}, {}), 111)
    free = store.create("f", {}, {}, {})  # queued, beside one the worker holds: none taken
    assert not store.claim([free, taken[0]], 111) and store.get(free).status == "queued"


def test_killed_worker_leaves_a_failed_run_with_metrics_and_checkpoint(store):
    run_id = queue(
        store, "cifar_resnet20", {**TINY, "subset": 400}, {"epochs": 30, "batch_size": 32}
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "resnet_core.training.worker",
            "--home",
            str(store.home),
            "--idle-exit",
            "5",
        ],
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: (
                store.get(run_id).epochs_done >= 1
                and (store.run_dir(run_id) / "checkpoint.keras").exists()
            ),
            timeout=180,
        )
        assert store.get(run_id).worker_pid == worker.pid
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert store.reap() == [run_id]
    run = store.get(run_id)
    assert run.status == "failed" and "stopped unexpectedly" in run.error
    assert len(store.metrics(run_id, "epoch")) >= 1
    assert (store.run_dir(run_id) / "checkpoint.keras").exists()


def test_cli_train_json_on_two_logical_cpu_devices(tmp_path):
    """The multi-device path (MirroredStrategy) on the CPU split into two devices."""
    env = {**os.environ, "RESNET_EXPLORER_HOME": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "resnet_core",
            "train",
            "cifar_resnet20",
            "--dataset",
            "digits",
            "--epochs",
            "1",
            "--batch-size",
            "32",
            "--limit",
            "200",
            "--cpu-devices",
            "2",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["status"] == "completed"
    assert "2 devices" in summary["device"] and "MirroredStrategy" in summary["device"]
    assert set(summary["history"][0]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert summary["images_per_second"] > 0 and summary["run_id"]

    listed = subprocess.run(
        [sys.executable, "-m", "resnet_core", "runs", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )
    runs = json.loads(listed.stdout)
    assert [r["run_id"] for r in runs] == [summary["run_id"]]
    assert runs[0]["status"] == "completed" and runs[0]["dataset"] == "digits"


def test_an_idle_worker_exits_and_says_why_in_its_log(tmp_path):
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        code = subprocess.run(
            [
                sys.executable,
                "-m",
                "resnet_core.training.worker",
                "--home",
                str(tmp_path),
                "--idle-exit",
                "0.5",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
            cwd=str(Path(__file__).resolve().parents[1]),
        ).returncode
    assert code == 0
    assert "exits: no run queued for" in log.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["imagenet", "imagenet_frozen"])
def test_a_run_starts_from_keras_applications_weights_with_a_new_classifier(
    store, monkeypatch, mode
):
    import keras

    from resnet_core import pretrained

    # A random ResNet50 stands in for ImageNet's (no download); the run must start from it.
    source = keras.applications.ResNet50(weights=None)
    monkeypatch.setattr(pretrained, "imagenet_model", lambda class_name: source)
    # The child that fills Keras's cache before queueing finds it filled.
    monkeypatch.setattr(pretrained, "FETCH_COMMAND", [sys.executable, "-c", "pass"])
    monkeypatch.setattr(pretrained, "_fetched", set())
    expected = source.get_layer("conv4_block2_2_conv").get_weights()[0]
    at_start = []
    build = training_model.build_training_model

    def spy(*args, **kwargs):
        model = build(*args, **kwargs)
        at_start.append(model.get_layer("stage3_block2_conv2").get_weights()[0])
        return model

    monkeypatch.setattr(training_model, "build_training_model", spy)
    data = {
        "source": "shapes",
        "subset": 10,
        "fit": "resize",
        "shapes_classes": 3,
        "shapes_count": 50,
        "shapes_size": 16,
    }
    run_id = queue(store, "resnet50", data, {"steps": 2, "batch_size": 4, "initial_weights": mode})
    assert store.get(run_id).settings["initial_weights"] == mode  # recorded
    summary = execute(store, run_id)
    assert summary["status"] == "completed", store.get(run_id).error
    np.testing.assert_array_equal(at_start[0], expected)
    trained = load_checkpoint(store.run_dir(run_id) / "checkpoint.keras")
    assert trained.get_layer("head_predictions").get_weights()[0].shape == (2048, 3)
    body = trained.get_layer("stage3_block2_conv2").get_weights()[0]
    # Every layer trained, or only the classifier (BatchNorm's statistics kept too).
    assert np.array_equal(body, expected) == (mode == "imagenet_frozen")
    moving_mean = source.get_layer("conv4_block2_2_bn").get_weights()[2]
    kept = np.array_equal(trained.get_layer("stage3_block2_bn2").get_weights()[2], moving_mean)
    assert kept == (mode == "imagenet_frozen")
