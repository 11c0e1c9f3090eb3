"""Training over several worker processes: TF_CONFIG, and MultiWorkerMirroredStrategy on
loopback through the command line (the path a cluster runs)."""

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resnet_core.cli import NATIVE_LOG_LINE
from resnet_core.training import RunStore
from resnet_core.training.distributed import (
    Cluster,
    ClusterError,
    cluster_from_env,
    loopback_configs,
)

ROOT = Path(__file__).resolve().parent.parent
SHORT = [
    "cifar_resnet20",
    "--dataset",
    "digits",
    "--limit",
    "400",
    "--epochs",
    "1",
    "--batch-size",
    "32",
    "--log-every",
    "1",
]


def config(cluster, task_type="worker", index=0):
    return {
        "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})
    }


def test_tf_config_names_this_process_and_the_chief():
    two = {"worker": ["h1:1", "h2:2"]}
    assert cluster_from_env({}) is None
    assert cluster_from_env(config({"worker": ["h1:1"]})) is None  # one task: no cluster
    first, second = (cluster_from_env(config(two, index=i)) for i in (0, 1))
    assert first == Cluster(2, "worker", 0) and first.chief and not second.chief
    with_chief = {"chief": ["c:1"], "worker": ["h1:1", "h2:2"]}
    chief = cluster_from_env(config(with_chief, "chief", 0))
    worker0 = cluster_from_env(config(with_chief, "worker", 0))
    assert chief.size == 3 and chief.chief and not worker0.chief


@pytest.mark.parametrize(
    "text, words",
    [
        ("not json", "not JSON"),
        ("[1]", 'needs "cluster"'),
        (json.dumps({"cluster": {"worker": "h:1"}, "task": {"type": "worker"}}), "list of"),
        (
            json.dumps({"cluster": {"worker": ["h:1", "h:2"]}, "task": {"type": "chief"}}),
            "task type 'chief'",
        ),
        (
            json.dumps(
                {"cluster": {"worker": ["h:1", "h:2"]}, "task": {"type": "worker", "index": True}}
            ),
            "task index True",
        ),
        (
            json.dumps({"cluster": {"worker": ["h:1"], "ps": ["p:1"]}, "task": {"type": "worker"}}),
            "'ps'",
        ),
    ],
)
def test_a_bad_tf_config_says_what_is_wrong(text, words):
    with pytest.raises(ClusterError, match=words):
        cluster_from_env({"TF_CONFIG": text})


def test_loopback_configs_give_each_worker_its_place_on_distinct_ports():
    configs = loopback_configs(3)
    hosts = json.loads(configs[0])["cluster"]["worker"]
    assert len(set(hosts)) == 3 and all(h.startswith("127.0.0.1:") for h in hosts)
    places = [cluster_from_env({"TF_CONFIG": c}) for c in configs]
    assert [(p.size, p.task_index, p.chief) for p in places] == [
        (3, 0, True),
        (3, 1, False),
        (3, 2, False),
    ]


def train(home, *args, timeout=600):
    env = {**os.environ, "RESNET_EXPLORER_HOME": str(home)}
    env.pop("TF_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "resnet_core", "train", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.mark.slow
def test_two_loopback_workers_train_like_one_worker_of_the_same_global_batch(tmp_path):
    outs = {n: train(tmp_path, *SHORT, "--workers", str(n)) for n in (2, 1)}
    for n, out in outs.items():
        assert out.returncode == 0, (n, out.stderr[-3000:])
        assert "Traceback" not in out.stderr
        assert not [
            ln for ln in out.stderr.splitlines(keepends=True) if NATIVE_LOG_LINE.match(ln.encode())
        ], out.stderr  # no TF noise
    two, one = (json.loads(outs[n].stdout.strip().splitlines()[-1]) for n in (2, 1))
    assert two["status"] == one["status"] == "completed"
    assert "2 workers" in two["device"] and "MultiWorkerMirroredStrategy" in two["device"]
    store = RunStore(tmp_path)
    assert sorted(r.id for r in store.list()) == sorted([two["run_id"], one["run_id"]])
    run2, run1 = store.get(two["run_id"]), store.get(one["run_id"])
    assert run2.settings["workers"] == 2 and run1.settings["workers"] == 1
    assert run2.total_steps == run1.total_steps == 400 * 8 // 10 // 32
    points2, points1 = (store.metrics(r.id, "batch") for r in (run2, run1))
    assert points2[-1]["step"] == points1[-1]["step"] == run1.total_steps
    losses = [p["loss"] for p in points2]
    assert all(math.isfinite(v) for v in losses)
    assert sum(losses[-3:]) / 3 < losses[0]  # falling from the untrained network's
    assert points2[0]["loss"] == pytest.approx(points1[0]["loss"], rel=1e-4)  # same start
    [epoch] = store.metrics(run2.id, "epoch")
    assert epoch["val_accuracy"] is not None  # the chief validates
    chief_dir = store.run_dir(run2.id)
    assert (chief_dir / "checkpoint.keras").exists() and (chief_dir / "predictions.npz").exists()
    assert not list(chief_dir.glob("partial-*"))


@pytest.mark.slow
def test_stop_reaches_every_worker_after_the_same_step(tmp_path):
    env = {**os.environ, "RESNET_EXPLORER_HOME": str(tmp_path)}
    env.pop("TF_CONFIG", None)
    launcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "resnet_core",
            "train",
            *SHORT[:-4],
            "--epochs",
            "40",
            "--workers",
            "2",
            "--json",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    store = RunStore(tmp_path)
    try:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline:
            runs = store.list()
            if runs and runs[0].phase == "training" and store.metrics(runs[0].id, "batch"):
                break
            assert launcher.poll() is None, launcher.communicate()
            time.sleep(0.3)
        run_id = store.list()[0].id
        store.request_stop(run_id)  # what the app's Stop button does
        out, err = launcher.communicate(timeout=300)
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode == 0, err[-3000:]
    run = store.get(run_id)
    assert (
        run.status == "stopped" and json.loads(out.strip().splitlines()[-1])["status"] == "stopped"
    )
    assert 0 < store.metrics(run_id, "batch")[-1]["step"] < run.total_steps
    assert (store.run_dir(run_id) / "checkpoint.keras").exists()


def test_the_launcher_returns_the_chief_status_and_names_a_failed_worker(capsys):
    from resnet_core.training.distributed import launch

    assert launch(["presets"], 2, note=lambda text: None) == 0
    assert capsys.readouterr().err == ""
    assert launch(["no_such_command"], 2, note=lambda text: None) == 2
    err = capsys.readouterr().err
    assert "error: worker 1 exited with status 2" in err and "invalid choice" in err
    log = Path(err.split("(its log: ")[1].split(")")[0])
    assert log.is_file()  # kept for the person to read; removed here
    shutil.rmtree(log.parent)


@pytest.mark.slow
def test_ctrl_c_stops_every_local_worker_with_a_checkpoint(tmp_path):
    import signal

    env = {**os.environ, "RESNET_EXPLORER_HOME": str(tmp_path)}
    env.pop("TF_CONFIG", None)
    launcher = subprocess.Popen(  # its own process group, as a terminal's foreground job
        [
            sys.executable,
            "-m",
            "resnet_core",
            "train",
            *SHORT[:-4],
            "--epochs",
            "40",
            "--workers",
            "2",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    store = RunStore(tmp_path)
    try:
        deadline = time.monotonic() + 400
        while not (store.list() and store.metrics(store.list()[0].id, "batch")):
            assert time.monotonic() < deadline and launcher.poll() is None
            time.sleep(0.3)
        os.killpg(launcher.pid, signal.SIGINT)  # Ctrl-C reaches the launcher and workers
        out, err = launcher.communicate(timeout=300)
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
    assert launcher.returncode == 0, err[-3000:]
    assert "stopping after the current step" in err and "Traceback" not in err
    run = store.list()[0]
    assert run.status == "stopped" and "stopped on 2 workers" in out
    assert (store.run_dir(run.id) / "checkpoint.keras").exists()
