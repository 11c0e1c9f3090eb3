"""Helpers to drive the explorer in Debian's Chromium (tests and benchmarks share them)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
INITIAL_WAIT_MS = 210  # Streamlit debounces some widgets by about 200 ms


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError(
            "Debian's chromium is needed for the browser tests: "
            "apt-get install chromium (`make test` installs it)"
        )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app.py`` (through ``ui.serve``, as ``make app`` starts it) on a free
    loopback port, for the length of a test run."""

    def __init__(self, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(ROOT / ".e2e-server.log", "w")  # noqa: SIM115 - closed in stop()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ui.serve",  # streamlit run app.py, the server's head bound raised first
                "--server.port",
                str(self.port),
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
        )

    def wait_healthy(self, timeout: float = 60) -> float:
        """Seconds from start until the health endpoint answers."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("streamlit did not answer in time")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait as Streamlit's own e2e suite does: past the widgets' debounce, then connected,
    the script finished, and no loading skeleton left (every element drawn)."""
    page.wait_for_timeout(INITIAL_WAIT_MS)
    page.wait_for_selector(CONNECTED, state="attached", timeout=timeout)
    page.wait_for_selector(IDLE, state="attached", timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stSkeleton']\")", timeout=timeout
    )


def edit_stage_cell(page, row: int, column_offset: int, value: str) -> None:
    """Type ``value`` into the stage editor's cell (row, column) with the keyboard.

    The grid is a canvas: click the first data row's first column, then move.
    """
    grid = page.locator("[data-testid='stDataFrame']").nth(1)
    grid.scroll_into_view_if_needed()
    box = grid.get_by_test_id("data-grid-canvas").bounding_box()
    page.mouse.click(box["x"] + 80, box["y"] + 35 + 17)
    page.wait_for_timeout(200)
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    for _ in range(column_offset):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(200)
    page.keyboard.press("Enter")  # opens the cell's editor
    editor = page.locator("#portal input, #portal textarea").first
    editor.wait_for(timeout=5000)
    editor.fill(value)
    page.keyboard.press("Enter")


def current(page):
    """The elements of the page's latest run: while the app reruns, Streamlit keeps the
    last run's elements on screen, faded (``data-stale``), until the new ones replace
    them, so a live panel may show its Stop button twice for a moment."""
    return page.locator("[data-testid='stElementContainer'][data-stale='false']")
