"""The engine on Keras's JAX backend (issue 21): a run and a race through the command
line, in a child process with ``KERAS_BACKEND=jax`` (the suite's own process is on
TensorFlow), trained by ``chunks.JaxChunks``: one jitted loop of Keras's stateless step."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def cli(tmp_path, *args):
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        RESNET_EXPLORER_HOME=str(tmp_path),
        JAX_PLATFORMS="cpu",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "resnet_core",
            *args,
            "--dataset",
            "digits",
            "--limit",
            "120",
            "--batch-size",
            "16",
            "--steps",
            "8",
            "--log-every",
            "2",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_run_and_a_race_train_on_jax(tmp_path):
    from resnet_core.training import RunStore

    run = cli(tmp_path, "train", "cifar_resnet20")
    assert run["status"] == "completed" and "JAX" in run["device"]
    assert run["history"][-1]["val_accuracy"] is not None and run["compile_seconds"] > 0
    residual, plain = cli(tmp_path, "race", "cifar_resnet20")
    assert [residual["status"], plain["status"]] == ["completed", "completed"]
    store = RunStore(tmp_path)
    a, b = (store.metrics(s["run_id"], "batch") for s in (residual, plain))
    assert [p["step"] for p in a] == [p["step"] for p in b] and a[-1]["step"] == 8
    assert a[1]["time"] == b[1]["time"]  # one compiled function: both curves start together
    assert a[1]["loss"] != b[1]["loss"]
