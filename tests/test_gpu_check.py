"""benchmarks/gpu_check.py: its quick mode (the CPU path, one small configuration through
the app and a bare fit; tests/test_benchmarks.py leaves this script to this file, so it
runs once), and the one-line refusal of a Keras backend that cannot start."""

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("gpu_check_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_gpu_check_quick_mode(tmp_path):
    out = tmp_path / "figures.json"
    env = dict(os.environ, RESNET_EXPLORER_HOME=str(tmp_path / "home"), TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "only the CPU path ran" in proc.stdout and "all checks passed" in proc.stdout
    figures = json.loads(out.read_text())
    assert figures["gpu_found"] is False and figures["ok"] is True
    assert figures["devices"] and figures["backend"]
    [config] = figures["configurations"]
    assert config["model"] == "cifar_resnet8" and config["result"] == "ok"
    app, bare = config["app"], config["bare"]
    assert app["status"] == "completed"
    assert math.isfinite(app["loss_first_chunk"]) and math.isfinite(app["loss_last_chunk"])
    assert app["loss_last_chunk"] < app["loss_first_chunk"]
    assert all(math.isfinite(v) for v in bare["epoch_losses"])
    assert bare["epoch_losses"][-1] < bare["epoch_losses"][0]
    assert app["images_per_second_wall"] > 0 and app["images_per_second_engine"] > 0
    assert bare["images_per_second"] > 0 and config["ratio_app_bare"] > 0
    assert app["first_point_seconds"] > 0 and app["peak_gpu_bytes"] is None


def test_a_backend_keras_does_not_have_is_refused_in_one_line(tmp_path):
    out = tmp_path / "figures.json"
    env = dict(os.environ, KERAS_BACKEND="mxnet")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines() == [
        "gpu_check: Keras has no backend 'mxnet'; choose one with --backend or "
        "KERAS_BACKEND: tensorflow, jax, torch"
    ]
    assert json.loads(out.read_text())["ok"] is False


def test_a_backend_whose_package_is_missing_is_refused_before_any_child(
    tmp_path, monkeypatch, capsys
):
    """A GPU machine may have no TensorFlow (or no torch): one line, exit status 2, and
    no process started."""
    gpu_check = _load_script()
    real = importlib.util.find_spec
    monkeypatch.setattr(
        gpu_check.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "torch" else real(name, *a),
    )
    monkeypatch.setattr(gpu_check, "child", lambda *a, **k: pytest.fail("a child started"))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    out = tmp_path / "figures.json"
    monkeypatch.setattr(sys, "argv", ["gpu_check.py", "--backend", "torch", "--out", str(out)])
    assert gpu_check.main() == gpu_check.MISSING_BACKEND == 2
    [line] = capsys.readouterr().out.strip().splitlines()
    assert line.startswith(
        "gpu_check: the torch backend needs the Python package 'torch', which is not installed in "
    )
    assert "--backend or KERAS_BACKEND" in line
    assert json.loads(out.read_text()) == {"ok": False, "backend": "torch", "error": line}
    assert "KERAS_BACKEND" not in os.environ  # refused before choosing it for the children


def test_the_backend_is_the_flag_else_the_environment_else_keras_json(monkeypatch, tmp_path):
    gpu_check = _load_script()
    monkeypatch.setenv("KERAS_BACKEND", "jax")  # not the default: read, not assumed
    assert gpu_check.chosen_backend("torch") == "torch"
    assert gpu_check.chosen_backend(None) == "jax"
    monkeypatch.delenv("KERAS_BACKEND")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "jax"}))
    assert gpu_check.chosen_backend(None) == "jax"
    (tmp_path / "keras.json").write_text("{not json")  # damaged: Keras's default
    assert gpu_check.chosen_backend(None) == "tensorflow"
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "none"))
    assert gpu_check.chosen_backend(None) == "tensorflow"


def test_a_gpu_covers_the_three_networks_at_each_batch_and_the_cpu_path_jits_on_jax():
    gpu_check = _load_script()
    configs = gpu_check.configurations(True, "jax", batches=(128, 512))
    assert {c["model"] for c in configs} == {"cifar_resnet20", "cifar_resnet56", "resnet18"}
    assert {c["batch"] for c in configs} == {128, 512}
    assert len(configs) == 3 * 2 * 2 * 2  # networks × batches × mixed precision × XLA
    assert configs[0]["xla"] == "on"  # JAX's own mode first (off is op by op)
    assert gpu_check.configurations(True, "torch")[0]["xla"] == "off"  # torch's: eager
    [cpu] = gpu_check.configurations(False, "jax", quick=True)
    assert cpu["model"] == "cifar_resnet8" and cpu["xla"] == "on"
    [cpu] = gpu_check.configurations(False, "tensorflow")
    assert cpu["model"] == "cifar_resnet20" and cpu["xla"] == "off"
    assert gpu_check.model_spec("cifar_resnet8").name == "cifar_resnet8"
    assert gpu_check.model_spec("resnet18").name == "resnet18"
