"""The GPU check's CPU path: one small configuration through the app and a bare fit."""

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_gpu_check_cpu_path(tmp_path):
    out = tmp_path / "figures.json"
    env = dict(os.environ, RESNET_EXPLORER_HOME=str(tmp_path / "home"))
    cmd = [sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--out", str(out)]
    if shutil.which("nvidia-smi"):  # the CPU path, also on a machine with a GPU
        cmd.append("--cpu")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "only the CPU path ran" in proc.stdout
    figures = json.loads(out.read_text())
    assert figures["gpu_found"] is False and figures["ok"] is True
    assert figures["devices"] and figures["backend"]
    [config] = figures["configurations"]
    assert config["model"] == "cifar_resnet20" and config["result"] == "ok"
    app, bare = config["app"], config["bare"]
    assert app["status"] == "completed"
    assert math.isfinite(app["loss_first_chunk"]) and math.isfinite(app["loss_last_chunk"])
    assert app["loss_last_chunk"] < app["loss_first_chunk"]
    assert all(math.isfinite(v) for v in bare["epoch_losses"])
    assert bare["epoch_losses"][-1] < bare["epoch_losses"][0]
    assert app["images_per_second_wall"] > 0 and app["images_per_second_engine"] > 0
    assert bare["images_per_second"] > 0 and config["ratio_app_bare"] > 0
    assert app["first_point_seconds"] > 0 and app["peak_gpu_bytes"] is None
