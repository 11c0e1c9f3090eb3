"""Every benchmark runs in its quick mode, so none can rot unnoticed (issue 21).

The list is read from ``benchmarks/``: a new benchmark is checked without a line here,
and one without a ``--quick`` mode fails (argparse refuses the flag). Quick modes check
that each part runs; their figures mean nothing and are not asserted (speed figures go
into benchmarks/RESULTS.md from full runs). A script whose quick mode has checks of its
own figures runs once, in its own test file (CHECKED_ELSEWHERE), not twice."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = sorted(p.name for p in (ROOT / "benchmarks").glob("*.py"))
IN_A_BROWSER = {"bench_browser.py", "bench_graph.py"}  # start Chromium and a server
CHECKED_ELSEWHERE = {"gpu_check.py": "test_gpu_check.py"}  # quick mode run and checked there


def _marks(name):
    return [pytest.mark.slow] + ([pytest.mark.browser] if name in IN_A_BROWSER else [])


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=_marks(n)) for n in BENCHMARKS if n not in CHECKED_ELSEWHERE]
)
def test_each_benchmark_runs_in_its_quick_mode(name, tmp_path):
    env = dict(os.environ, RESNET_EXPLORER_HOME=str(tmp_path / "home"), TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / name), "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.strip()  # it printed its figures


def test_every_benchmark_is_checked_and_has_a_quick_mode():
    assert len(BENCHMARKS) >= 8
    for name in BENCHMARKS:
        assert "--quick" in (ROOT / "benchmarks" / name).read_text(), name
    for name, test_file in CHECKED_ELSEWHERE.items():
        text = (ROOT / "tests" / test_file).read_text()
        assert name in text and '"--quick"' in text, (name, test_file)
