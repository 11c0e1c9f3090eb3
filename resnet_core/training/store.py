"""The run store: every training run, its settings, status and metrics, in SQLite (WAL).

Pages, the worker and the command line share it; each opens its own connection. A run
whose worker died is found by :meth:`RunStore.reap` and marked failed, its metrics and
checkpoint kept.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACTIVE = ("queued", "running", "stopping")  # the others: completed, stopped, failed

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    spec TEXT NOT NULL,
    data TEXT NOT NULL,
    settings TEXT NOT NULL,
    device TEXT DEFAULT '',
    worker_pid INTEGER,
    heartbeat REAL,
    stop_requested INTEGER DEFAULT 0,
    epochs_done INTEGER DEFAULT 0,
    total_steps INTEGER DEFAULT 0,
    error TEXT DEFAULT '',
    summary TEXT DEFAULT '{}',
    group_id TEXT DEFAULT '',
    phase TEXT DEFAULT ''
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    step INTEGER NOT NULL,
    seen INTEGER NOT NULL,
    time REAL NOT NULL,
    loss REAL, accuracy REAL, val_loss REAL, val_accuracy REAL,
    images_per_second REAL, lr REAL
);
CREATE INDEX IF NOT EXISTS metrics_run ON metrics(run_id, kind, step);
"""

# Columns added after the first release, with their SQL types: older stores gain them.
ADDED_COLUMNS = {"group_id": "TEXT DEFAULT ''", "phase": "TEXT DEFAULT ''"}

METRIC_FIELDS = ("kind", "epoch", "step", "seen", "time", "loss", "accuracy", "val_loss",
                 "val_accuracy", "images_per_second", "lr")


def default_home() -> Path:
    """``$RESNET_EXPLORER_HOME``, else ``~/.resnet-explorer``."""
    env = os.environ.get("RESNET_EXPLORER_HOME")
    return Path(env) if env else Path.home() / ".resnet-explorer"


@dataclass
class Run:
    id: str
    created: float
    updated: float
    name: str
    status: str
    spec: dict
    data: dict
    settings: dict
    device: str
    worker_pid: int | None
    heartbeat: float | None
    stop_requested: bool
    epochs_done: int
    total_steps: int
    error: str
    summary: dict
    group_id: str = ""  # runs trained together (a race, an experiment) share one
    phase: str = ""  # what a running run does now: loading data, building, compiling,
    #                  training, validating, saving (a page says it: nothing looks frozen)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped by its parent) is dead for us
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


class RunStore:
    """The SQLite store under ``home`` (runs.db) and the runs' folders (runs/<id>/)."""

    def __init__(self, home: str | Path | None = None):
        self.home = Path(home) if home else default_home()
        self.home.mkdir(parents=True, exist_ok=True)
        self.path = self.home / "runs.db"
        with self._connect() as db:
            db.executescript(SCHEMA)
            have = {r["name"] for r in db.execute("PRAGMA table_info(runs)")}
            for column, decl in ADDED_COLUMNS.items():
                if column not in have:
                    db.execute(f"ALTER TABLE runs ADD COLUMN {column} {decl}")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
        db.row_factory = sqlite3.Row
        return db

    def run_dir(self, run_id: str) -> Path:
        if not run_id.replace("-", "").isalnum():  # ids come back from pages and URLs
            raise ValueError(f"not a run id: {run_id!r}")
        return self.home / "runs" / run_id

    # -- runs ---------------------------------------------------------------------
    def create(self, name: str, spec: dict, data: dict, settings: dict) -> str:
        """Queue a run (runs that train together: :meth:`create_group`)."""
        run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)
        now = time.time()
        self.run_dir(run_id).mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(
                "INSERT INTO runs (id, created, updated, name, status, spec, data, settings) "
                "VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)",
                (run_id, now, now, name, json.dumps(spec), json.dumps(data),
                 json.dumps(settings)))
        return run_id

    def create_group(self, runs: list[tuple[str, dict, dict, dict]]) -> list[str]:
        """Queue runs ``(name, spec, data, settings)`` that train together, in one
        transaction: a worker never claims part of a group."""
        group_id = "g" + time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)
        now = time.time()
        ids = [time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3) for _ in runs]
        for run_id in ids:
            self.run_dir(run_id).mkdir(parents=True, exist_ok=True)
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO runs (id, created, updated, name, status, spec, data, settings, "
                "group_id) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)",
                [(run_id, now, now, name, json.dumps(spec), json.dumps(data),
                  json.dumps(settings), group_id)
                 for run_id, (name, spec, data, settings) in zip(ids, runs)])
            db.execute("COMMIT")
        finally:
            db.close()
        return ids

    def group(self, group_id: str) -> list[Run]:
        """The runs of a group, in the order they were created."""
        if not group_id:
            return []
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs WHERE group_id = ? ORDER BY created, rowid",
                              (group_id,)).fetchall()
        return [_run(r) for r in rows]

    def get(self, run_id: str) -> Run | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    def list(self) -> list[Run]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs ORDER BY created DESC").fetchall()
        return [_run(r) for r in rows]

    def update(self, run_id: str, **fields: Any) -> None:
        for key in ("summary", "settings", "data"):
            if key in fields and not isinstance(fields[key], str):
                fields[key] = json.dumps(fields[key])
        fields["updated"] = time.time()
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._connect() as db:
            db.execute(f"UPDATE runs SET {cols} WHERE id = ?", (*fields.values(), run_id))

    def claim_next(self, pid: int) -> list[Run]:
        """Atomically take the oldest queued run, with the queued runs of its group, for
        the worker ``pid``; an empty list when nothing waits."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT id, group_id, settings FROM runs WHERE status = "
                             "'queued' ORDER BY created, rowid LIMIT 1").fetchone()
            if row is None:
                db.execute("COMMIT")
                return []
            ids = [row["id"]]
            if row["group_id"] and not _resumed(row):  # a resumed run trains alone
                ids = [r["id"] for r in db.execute(
                    "SELECT id, settings FROM runs WHERE status = 'queued' AND group_id = ? "
                    "ORDER BY created, rowid", (row["group_id"],)) if not _resumed(r)]
            now = time.time()
            db.executemany("UPDATE runs SET status = 'running', worker_pid = ?, heartbeat = ?, "
                           "updated = ?, error = '', phase = 'loading data' WHERE id = ?",
                           [(pid, now, now, i) for i in ids])
            db.execute("COMMIT")
        finally:
            db.close()
        return [self.get(i) for i in ids]

    def claim(self, run_id: str, pid: int) -> bool:
        """Atomically take the queued run ``run_id`` for the process ``pid`` (the command
        line trains its own run); False when a worker took it first."""
        with self._connect() as db:
            now = time.time()
            taken = db.execute("UPDATE runs SET status = 'running', worker_pid = ?, "
                               "heartbeat = ?, updated = ?, error = '', phase = 'loading "
                               "data' WHERE id = ? AND status = 'queued'",
                               (pid, now, now, run_id)).rowcount
        return taken == 1

    def request_stop(self, run_id: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE runs SET stop_requested = 1, updated = ?, status = CASE "
                       "WHEN status = 'queued' THEN 'stopped' WHEN status = 'running' "
                       "THEN 'stopping' ELSE status END WHERE id = ?", (time.time(), run_id))

    def stops_requested(self, run_ids: list[str]) -> set[str]:
        """Which of ``run_ids`` were asked to stop (one query: read between steps)."""
        if not run_ids:
            return set()
        marks = ", ".join("?" * len(run_ids))
        with self._connect() as db:
            rows = db.execute(f"SELECT id FROM runs WHERE stop_requested = 1 AND id IN "
                              f"({marks})", tuple(run_ids)).fetchall()
        return {r[0] for r in rows}

    def requeue(self, run_id: str, **settings_changes: Any) -> None:
        """Queue a stopped or failed run again, to resume from its checkpoint."""
        run = self.get(run_id)
        if run is None or run.active:
            raise ValueError("only a finished run can be resumed")
        settings = {**run.settings, **settings_changes, "resume": True}
        # A resumed run is claimed alone, not with the rest of its race.
        self.update(run_id, status="queued", stop_requested=0, error="", settings=settings,
                    phase="")

    def delete(self, run_id: str) -> None:
        run = self.get(run_id)
        if run and (run.active or run.phase == "saving"):
            raise ValueError("stop the run, and let its checkpoint be written, before "
                             "deleting it")
        with self._connect() as db:
            db.execute("DELETE FROM metrics WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)

    def reap(self) -> list[str]:
        """Mark failed the runs whose worker is gone; return their ids. A finished run
        left "saving" by a dead worker is done saving (its last good checkpoint stays)."""
        dead = []
        for run in self.list():
            if run.status in ("running", "stopping") and not _pid_alive(run.worker_pid):
                dead.append(run.id)
                self.update(run.id, status="failed", phase="",
                            error="the worker process stopped unexpectedly (killed or "
                                  "crashed); the metrics and the last checkpoint are kept, "
                                  "and the run can be resumed")
            elif run.phase == "saving" and not run.active and not _pid_alive(run.worker_pid):
                self.update(run.id, phase="")
        return dead

    def drop_points_after(self, run_id: str, step: int) -> None:
        """Forget the points after ``step`` (a resume restarts from its checkpoint's
        epoch; the steps after it are trained, and drawn, again)."""
        with self._connect() as db:
            db.execute("DELETE FROM metrics WHERE run_id = ? AND step > ?", (run_id, step))

    def queue_position(self, run_id: str) -> int:
        """0 when running; n when n runs are ahead of it in the queue."""
        with self._connect() as db:
            row = db.execute("SELECT created, status FROM runs WHERE id = ?",
                             (run_id,)).fetchone()
            if row is None or row["status"] != "queued":
                return 0
            ahead = db.execute("SELECT COUNT(*) FROM runs WHERE (status = 'queued' AND "
                               "created < ?) OR status IN ('running', 'stopping')",
                               (row["created"],)).fetchone()[0]
        return int(ahead)

    # -- metrics ------------------------------------------------------------------
    def add_metrics(self, run_id: str, rows: list[dict]) -> None:
        if not rows:
            return
        with self._connect() as db:
            db.executemany(
                f"INSERT INTO metrics (run_id, {', '.join(METRIC_FIELDS)}) VALUES "
                f"(?, {', '.join('?' * len(METRIC_FIELDS))})",
                [(run_id, *(r.get(f) for f in METRIC_FIELDS)) for r in rows])
            db.execute("UPDATE runs SET heartbeat = ?, updated = ? WHERE id = ?",
                       (time.time(), time.time(), run_id))

    def metrics(self, run_id: str, kind: str | None = None) -> list[dict]:
        query = f"SELECT {', '.join(METRIC_FIELDS)} FROM metrics WHERE run_id = ?"
        args: tuple = (run_id,)
        if kind:
            query += " AND kind = ?"
            args += (kind,)
        with self._connect() as db:
            return [dict(r) for r in db.execute(query + " ORDER BY rowid", args)]


def _resumed(row: sqlite3.Row) -> bool:
    return bool(json.loads(row["settings"] or "{}").get("resume"))


def _run(row: sqlite3.Row) -> Run:
    d = dict(row)
    for key in ("spec", "data", "settings", "summary"):
        d[key] = json.loads(d[key] or "{}")
    d["stop_requested"] = bool(d["stop_requested"])
    return Run(**d)
