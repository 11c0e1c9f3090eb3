"""The training worker: one process, one run (or one race) at a time, the queue in the
run store.

Started by :func:`ensure_worker` (detached, so it outlives page reruns, browser reloads
and an app restart). A file lock keeps it alone; it exits after a while without work.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ..faults import StoreBusy
from .store import RunStore, default_home

# Idle, the worker holds TensorFlow's memory and threads: it goes after three minutes
# (a page that loads starts a fresh one, warm by the time Train is pressed).
IDLE_EXIT_SECONDS = float(os.environ.get("RESNET_EXPLORER_WORKER_IDLE", "180"))
POLL_SECONDS = (0.3, 1.0)  # the queue's polling: just after a run, and once idle a while
LOCK_WAIT_SECONDS = 15.0
WORKER_PID = "worker.pid"  # in the home: the pid of the worker that serves it


def worker_alive(home: Path) -> bool:
    """Whether a worker process serves ``home`` (its pid file names a live worker)."""
    try:
        pid = int((home / WORKER_PID).read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return False
    return b"resnet_core.training.worker" in cmdline


def stop_worker(home: Path) -> bool:
    """End the worker serving ``home`` (SIGTERM; a run it was training is reaped as
    failed: stop runs through the store first to keep them). Only a live worker's pid is
    signalled, as a stale pid file may name another process by now. Returns whether one
    was signalled. For scripts that start a worker of their own (the benchmarks)."""
    if not worker_alive(home):
        return False
    try:
        os.kill(int((home / WORKER_PID).read_text()), signal.SIGTERM)
    except (OSError, ValueError):
        return False
    return True


def ensure_worker(home: str | Path | None = None) -> None:
    """Start a worker for ``home`` unless one is running.

    Cheap when one runs; a page calls it on load, so TensorFlow is already imported
    (warm) when Train is pressed.
    """
    home = Path(home) if home else default_home()
    home.mkdir(parents=True, exist_ok=True)
    if worker_alive(home):
        return
    log = open(home / "worker.log", "a")  # noqa: SIM115 - handed to the child
    subprocess.Popen(
        [sys.executable, "-m", "resnet_core.training.worker", "--home", str(home)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        cwd=str(Path(__file__).resolve().parents[2]),
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    log.close()


def _acquire(lock_file, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)


def serve(home: Path, idle_exit: float = IDLE_EXIT_SECONDS) -> int:
    with open(home / "worker.lock", "w") as lock:
        if not _acquire(lock, LOCK_WAIT_SECONDS):
            return 0  # another worker serves the queue
        (home / WORKER_PID).write_text(str(os.getpid()))
        store = RunStore(home).patient()  # a store held a while delays, never fails
        store.reap()  # we hold the lock: any run marked running lost its worker
        from .engine import execute_group
        from .strategy import warm_up

        warm_up()

        idle_since = time.monotonic()
        while True:
            try:
                runs = store.claim_next(os.getpid()) if _still_ours(home) else None
            except StoreBusy:  # held by another process all this while: poll again
                runs = []
            except (OSError, sqlite3.Error):  # the folder went between check and claim
                if _still_ours(home):
                    raise
                runs = None
            if runs is None:
                _say(
                    f"exits: {home / WORKER_PID} no longer names this worker (the home "
                    "folder was deleted or moved)"
                )
                return 0
            if not runs:
                idle = time.monotonic() - idle_since
                if idle > idle_exit:
                    _say(
                        f"exits: no run queued for {idle:.0f} s (idle limit {idle_exit:g} s,"
                        " RESNET_EXPLORER_WORKER_IDLE)"
                    )
                    return 0
                # Each poll is a write transaction on runs.db: fewer once idle a while.
                time.sleep(POLL_SECONDS[idle > 10])
                continue
            _say("trains " + ", ".join(f"{r.id} ({r.name})" for r in runs))
            execute_group(store, [r.id for r in runs])
            _say("done; waiting for the next run")
            idle_since = time.monotonic()


def _still_ours(home: Path) -> bool:
    """Whether ``home``'s pid file still names this process. Without it (the folder was
    deleted) each poll would rebuild an empty store there, for nobody."""
    try:
        return int((home / WORKER_PID).read_text()) == os.getpid()
    except (OSError, ValueError):
        return False


def _say(text: str) -> None:
    """A line in worker.log (the worker's stdout), with the time and the pid."""
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} worker {os.getpid()}: {text}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="ResNet Explorer training worker")
    ap.add_argument("--home", default=None)
    ap.add_argument("--idle-exit", type=float, default=IDLE_EXIT_SECONDS)
    args = ap.parse_args(argv)
    return serve(Path(args.home) if args.home else default_home(), args.idle_exit)


if __name__ == "__main__":
    code = main()
    # Not sys.exit: after training, TensorFlow's thread pools can hold the interpreter's
    # shutdown (joining threads, running finalizers) with the process still alive and
    # busy. The store is committed and the log flushed: nothing is left to tidy.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
