"""The package installs (pyproject.toml's [project]) and ``resnet-explorer`` starts the app."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from resnet_core import analyze, get_spec, launch

ROOT = Path(__file__).resolve().parents[1]


def test_the_command_runs_streamlit_on_the_checkouts_app(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(launch.subprocess, "call", lambda cmd, cwd: calls.append((cmd, cwd)) or 0)
    monkeypatch.chdir(tmp_path)  # not the checkout: it is found beside the package
    assert launch.main(["--port", "8611"]) == 0
    ((command, cwd),) = calls
    # ui.serve is `streamlit run app.py` with the web server's head bound raised first.
    assert cwd == ROOT and command[:3] == [sys.executable, "-m", "ui.serve"]
    assert command[3:] == ["--server.address", "127.0.0.1", "--server.port", "8611"]


def test_without_a_checkout_the_command_says_where_it_runs(monkeypatch, tmp_path, capsys):
    """Installed without its checkout (and run elsewhere), it names what to do."""
    monkeypatch.setattr(launch, "__file__", str(tmp_path / "site" / "resnet_core" / "launch.py"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(launch.subprocess, "call", lambda *a, **k: pytest.fail("started"))
    assert launch.main([]) == 2
    err = capsys.readouterr().err
    assert "runs the app of a checkout" in err and "pip install -e ." in err


@pytest.mark.slow
def test_the_package_installs_and_imports_from_its_install_folder(tmp_path):
    """pip (offline, no dependencies: they are this environment's) installs a copy of the
    project into a scratch folder; resnet_core then imports from there, traces a preset,
    and the installed ``resnet-explorer`` explains that it needs a checkout."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "requirements.txt"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "resnet_core", src / "resnet_core", ignore=shutil.ignore_patterns("__pycache__")
    )
    target = tmp_path / "installed"
    pip = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--target",
            str(target),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert pip.returncode == 0, pip.stderr[-3000:]

    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    script = (
        "import resnet_core\nfrom resnet_core import analyze, get_spec\n"
        "print(resnet_core.__file__)\n"
        "print(analyze(get_spec('cifar_resnet20')).totals.total_params)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=away,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    where, params = out.stdout.split()
    here = analyze(get_spec("cifar_resnet20")).totals.total_params  # this checkout's
    assert Path(where).is_relative_to(target) and int(params) == here

    command = subprocess.run(
        [str(target / "bin" / "resnet-explorer")],
        capture_output=True,
        text=True,
        cwd=away,
        env=env,
        timeout=300,
    )
    assert command.returncode == 2 and "runs the app of a checkout" in command.stderr
