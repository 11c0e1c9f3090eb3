"""The command line run in a child process: how the server computes with Keras without
importing TensorFlow itself.

:func:`run_cli` runs ``python -m resnet_core ARGS`` to its end and returns its standard
output (the Gradient-flow page). :class:`Job` runs one in the background with its files
in a folder (pid, output, errors, progress), so any page, in any session, can follow it,
read its progress and stop it; the child reports progress through :func:`progress_reporter`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRESS_ENV = "RESNET_EXPLORER_PROGRESS"  # the file a child writes its progress to
Progress = Callable[[float, str], None]


class ChildError(RuntimeError):
    """A child process that failed or ran too long; the message says which, in words."""


def cli_command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "resnet_core", *args]


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(extra or {})}


def last_line(text: str, default: str = "no message") -> str:
    """The last non-empty line of ``text`` (a command's one-line error)."""
    return (text.strip().splitlines() or [default])[-1]


def run_cli(args: list[str], timeout: float, what: str = "the measurement") -> str:
    """Run the command line with ``args`` and return its standard output; raises
    :class:`ChildError` when it fails (with its last line on stderr) or passes ``timeout``
    seconds."""
    try:
        out = subprocess.run(
            cli_command(args), cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=_env()
        )
    except subprocess.TimeoutExpired:
        raise ChildError(f"{what} took longer than {timeout:.0f} s") from None
    if out.returncode:
        raise ChildError(f"{what} failed: {last_line(out.stderr)}")
    return out.stdout


# ------------------------------------------------------------------ progress (child side)
def progress_reporter(path: str | Path | None = None) -> Progress | None:
    """A ``progress(fraction, text)`` that writes to ``path`` (default: the file named by
    ``$RESNET_EXPLORER_PROGRESS``, set by :class:`Job`), or None when there is none."""
    path = path or os.environ.get(PROGRESS_ENV)
    if not path:
        return None
    target = Path(path)

    def report(fraction: float, text: str) -> None:
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        try:
            partial.write_text(
                json.dumps(
                    {
                        "fraction": max(0.0, min(1.0, float(fraction))),
                        "text": text,
                        "time": time.time(),
                    }
                ),
                encoding="utf-8",
            )
            os.replace(partial, target)  # a reader never sees half of it
        except OSError:
            pass  # progress is a courtesy: the work goes on without it

    return report


# ---------------------------------------------------------------------- jobs (parent side)
@dataclass(frozen=True)
class JobState:
    """What a job is doing: ``status`` is "none" (never started here), "running",
    "done", "failed" or "stopped"."""

    status: str
    fraction: float = 0.0
    text: str = ""
    error: str = ""
    output: str = ""


def pid_alive(pid: int | None) -> bool:
    """Whether process ``pid`` still runs (a zombie, ended but not yet reaped, does not)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (ended, not yet reaped) is not running
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


class Job:
    """A command-line child in the background, its files in ``folder``: ``pid``,
    ``stdout``, ``stderr``, ``progress.json``, and ``exit`` once it has ended."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def _read(self, name: str) -> str:
        try:
            return (self.folder / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    @property
    def pid(self) -> int | None:
        text = self._read("pid").strip()
        return int(text) if text.isdigit() else None

    def running(self) -> bool:
        pid = self.pid
        return pid is not None and not (self.folder / "exit").exists() and pid_alive(pid)

    def start(self, args: list[str]) -> None:
        """Start ``python -m resnet_core ARGS`` (unless this job runs already). A small
        shell wrapper records its exit status, so any process can read how it ended."""
        if self.running():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in ("pid", "stdout", "stderr", "progress.json", "exit", "stopped"):
            (self.folder / name).unlink(missing_ok=True)
        command = " ".join(_quote(a) for a in cli_command(args))
        # ``exec`` would lose the exit status: the shell waits and writes it.
        script = f"{command} >stdout 2>stderr; echo $? >exit"
        proc = subprocess.Popen(
            ["/bin/sh", "-c", script],
            cwd=self.folder,
            env=_env(
                {PROGRESS_ENV: str(self.folder / "progress.json"), "PYTHONPATH": _pythonpath()}
            ),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        (self.folder / "pid").write_text(str(proc.pid), encoding="utf-8")

    def stop(self) -> None:
        """End the child and its shell (their process group); the state says stopped."""
        pid = self.pid
        if pid is None or not self.running():
            return
        (self.folder / "stopped").touch()
        try:
            os.killpg(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass

    def state(self) -> JobState:
        if self.pid is None:
            return JobState("none")
        progress = {}
        try:
            progress = json.loads(self._read("progress.json") or "{}")
        except ValueError:
            pass
        fraction, text = float(progress.get("fraction", 0.0)), str(progress.get("text", ""))
        if (self.folder / "stopped").exists():
            return JobState("stopped", fraction, text)
        code = self._read("exit").strip()
        if not code:
            if self.running():
                return JobState("running", fraction, text)
            return JobState(
                "failed", fraction, text, "the computation's process ended unexpectedly (killed?)"
            )
        if code != "0":
            return JobState("failed", fraction, text, last_line(self._read("stderr")))
        return JobState("done", 1.0, text, output=self._read("stdout"))


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def _pythonpath() -> str:
    """This checkout first, so the child runs the same code as the server."""
    rest = os.environ.get("PYTHONPATH", "")
    return f"{ROOT}{os.pathsep}{rest}" if rest else str(ROOT)


__all__ = [
    "ChildError",
    "Job",
    "JobState",
    "PROGRESS_ENV",
    "Progress",
    "cli_command",
    "last_line",
    "progress_reporter",
    "run_cli",
]
