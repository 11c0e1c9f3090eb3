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
from resnet_core.training.submit import submit_run
from resnet_core.training import RunStore, SettingsError, TrainSettings, check_feasible
from resnet_core.training.engine import execute, load_checkpoint

ROOT = Path(__file__).resolve().parent.parent
TINY = {"source": "digits", "subset": 300, "fit": "adapt"}


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "home")


def wait_for(predicate, timeout=120, every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


def test_one_epoch_on_a_few_hundred_digits(store):
    run_id = submit_run(store, get_spec("cifar_resnet20"), TINY,
                     {"epochs": 1, "batch_size": 32, "log_every": 2})
    summary = execute(store, run_id)
    assert summary["status"] == "completed", store.get(run_id).error
    assert [h["epoch"] for h in summary["history"]] == [0]
    h = summary["history"][0]
    assert 0 <= h["accuracy"] <= 1 and h["val_loss"] > 0 and h["images_per_second"] > 0
    batches = store.metrics(run_id, "batch")
    assert len(batches) >= 3  # points every 2 batches, not only per epoch
    assert [b["step"] for b in batches] == sorted(b["step"] for b in batches)
    run_dir = store.run_dir(run_id)
    model = load_checkpoint(run_dir / "checkpoint.keras")  # safe mode
    assert model.count_params() > 0
    pred = np.load(run_dir / "predictions.npz")
    assert len(pred["y_true"]) == 60 and len(pred["sample_images"]) > 0
    assert any((run_dir / "logs").rglob("*tfevents*"))  # TensorBoard
    assert store.get(run_id).summary["class_names"][:2] == ["0", "1"]


def test_stop_request_stops_fast_and_keeps_what_was_learned(store):
    run_id = submit_run(store, get_spec("cifar_resnet20"), {**TINY, "subset": 600},
                     {"epochs": 50, "batch_size": 16, "log_every": 1})
    thread = threading.Thread(target=execute, args=(store, run_id))
    thread.start()
    wait_for(lambda: len(store.metrics(run_id, "batch")) >= 3)
    t = time.monotonic()
    store.request_stop(run_id)
    thread.join(60)
    assert not thread.is_alive()
    assert time.monotonic() - t < 10
    run = store.get(run_id)
    assert run.status == "stopped" and run.epochs_done < 50
    assert (store.run_dir(run_id) / "checkpoint.keras").exists()

    store.requeue(run_id, epochs=run.epochs_done + 1)  # resume from the checkpoint
    summary = execute(store, run_id)
    assert summary["status"] == "completed"
    assert summary["history"][-1]["epoch"] == run.epochs_done


def test_refusals_before_starting(store):
    spec = get_spec("cifar_resnet20")
    with pytest.raises(SettingsError, match="larger than the 240 training images"):
        submit_run(store, spec, TINY, {"batch_size": 512})
    with pytest.raises(SettingsError, match="GiB is free"):
        check_feasible(get_spec("resnet152"), TrainSettings(batch_size=64), 1000,
                       memory_limit=1 << 30)
    with pytest.raises(SettingsError, match="learning rate"):
        TrainSettings(learning_rate=-1).check()
    assert store.list() == []


def test_queue_hands_each_run_to_one_claimant(store):
    ids = [store.create(f"r{i}", {}, {}, {}) for i in range(6)]
    claimed, lock = [], threading.Lock()

    def claim():
        while (run := store.claim_next(os.getpid())) is not None:
            with lock:
                claimed.append(run.id)

    threads = [threading.Thread(target=claim) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(claimed) == sorted(ids)


def test_killed_worker_leaves_a_failed_run_with_metrics_and_checkpoint(store):
    run_id = submit_run(store, get_spec("cifar_resnet20"), {**TINY, "subset": 400},
                     {"epochs": 30, "batch_size": 32})
    worker = subprocess.Popen(
        [sys.executable, "-m", "resnet_core.training.worker", "--home", str(store.home),
         "--idle-exit", "5"], cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: store.get(run_id).epochs_done >= 1
                 and (store.run_dir(run_id) / "checkpoint.keras").exists(), timeout=180)
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
        [sys.executable, "-m", "resnet_core", "train", "cifar_resnet20", "--dataset",
         "digits", "--epochs", "1", "--batch-size", "32", "--limit", "200",
         "--cpu-devices", "2", "--json"], capture_output=True, text=True, env=env,
        timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["status"] == "completed"
    assert "2 devices" in summary["device"] and "MirroredStrategy" in summary["device"]
    assert set(summary["history"][0]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert summary["images_per_second"] > 0 and summary["run_id"]

    listed = subprocess.run([sys.executable, "-m", "resnet_core", "runs", "--json"],
                            capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    runs = json.loads(listed.stdout)
    assert [r["run_id"] for r in runs] == [summary["run_id"]]
    assert runs[0]["status"] == "completed" and runs[0]["dataset"] == "digits"
