"""The run store: every training run, its settings, status and metrics, in SQLite (WAL).

Pages, the worker and the command line share it; each opens its own connection. A run
whose worker died is found by :meth:`RunStore.reap` and marked failed, its metrics and
checkpoint kept.

``runs.db`` is an index: each run's folder holds its record (``run.json``: spec, data,
settings, status) and its points (``metrics.jsonl``, appended before the database is
written). A missing, emptied or damaged ``runs.db`` is moved aside and rebuilt from the
folders, with a one-line notice (:attr:`RunStore.notice`, and the log), losing nothing.
"""

from __future__ import annotations

import copy
import errno
import fcntl
import functools
import json
import logging
import os
import secrets
import shutil
import sqlite3
import threading
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..child import pid_alive
from ..faults import LOW_SPACE, HomeUnusable, StoreBusy, disk_full, free_bytes, named
from ..spec import ArchitectureSpec
from .checkpoints import CHECKPOINT  # the store tells a resumable run by it

# The others: completed, stopped, failed, diverged (the loss became NaN or infinite).
ACTIVE = ("queued", "running", "stopping")


def _column(sql: str, *, json: bool = False, added: bool = False, **default: Any):
    """A :class:`Run` field and its column in ``runs``: its SQL type; ``json``: a dict
    stored as JSON text; ``added``: added after the first release (older stores gain
    it)."""
    return field(metadata={"sql": sql, "json": json, "added": added}, **default)


@dataclass
class Run:
    """One run: a row of ``runs`` and its folder's ``run.json``. These fields declare
    the table (:data:`SCHEMA`, :data:`RUN_COLUMNS`); there is no other list of them.
    :data:`METRIC_COLUMNS` is the metrics table's one declaration."""

    id: str = _column("TEXT PRIMARY KEY")
    created: float = _column("REAL NOT NULL")
    updated: float = _column("REAL NOT NULL")
    name: str = _column("TEXT NOT NULL")
    status: str = _column("TEXT NOT NULL")
    spec: dict = _column("TEXT NOT NULL", json=True)
    data: dict = _column("TEXT NOT NULL", json=True)
    settings: dict = _column("TEXT NOT NULL", json=True)
    device: str = _column("TEXT DEFAULT ''")
    worker_pid: int | None = _column("INTEGER")
    heartbeat: float | None = _column("REAL")
    stop_requested: bool = _column("INTEGER DEFAULT 0")
    epochs_done: int = _column("INTEGER DEFAULT 0")
    total_steps: int = _column("INTEGER DEFAULT 0")
    error: str = _column("TEXT DEFAULT ''")
    summary: dict = _column("TEXT DEFAULT '{}'", json=True)
    # Runs trained together (a race, an experiment) share one.
    group_id: str = _column("TEXT DEFAULT ''", added=True, default="")
    # What a running run does now: loading data, building, compiling, training,
    # validating, saving (a page says it: nothing looks frozen).
    phase: str = _column("TEXT DEFAULT ''", added=True, default="")
    # Its estimated seconds from start to end, set when queued (a group's member: its own
    # share): the expected start of the runs queued behind it (training.queue).
    estimate: float = _column("REAL DEFAULT 0", added=True, default=0.0)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def network(self) -> ArchitectureSpec:
        """The run's network. Its spec is stored as written, in the format of its day:
        read through the spec's reader, a run stored in an older format opens too."""
        return ArchitectureSpec.from_dict(self.spec)


RUN_COLUMNS = tuple(f.name for f in fields(Run))
JSON_COLUMNS = tuple(f.name for f in fields(Run) if f.metadata["json"])
# Columns added after the first release, with their SQL types: older stores gain them.
ADDED_COLUMNS = {f.name: f.metadata["sql"] for f in fields(Run) if f.metadata["added"]}

# One point of a run's curves: a row of ``metrics`` (after its ``run_id``) and a line of
# its folder's metrics.jsonl. This declares the table (:data:`SCHEMA`,
# :data:`METRIC_FIELDS`); there is no other list of them. A column added later would need
# an ALTER for older stores, as ADDED_COLUMNS does for runs.
METRIC_COLUMNS = {
    "kind": "TEXT NOT NULL",
    "epoch": "INTEGER NOT NULL",
    "step": "INTEGER NOT NULL",
    "seen": "INTEGER NOT NULL",
    "time": "REAL NOT NULL",
    "loss": "REAL",
    "accuracy": "REAL",
    "val_loss": "REAL",
    "val_accuracy": "REAL",
    "images_per_second": "REAL",
    "lr": "REAL",
}
METRIC_FIELDS = tuple(METRIC_COLUMNS)


def _table(name: str, columns: dict[str, str]) -> str:
    body = ",\n    ".join(f"{column} {decl}" for column, decl in columns.items())
    return f"CREATE TABLE IF NOT EXISTS {name} (\n    {body}\n);\n"


SCHEMA = (
    _table("runs", {f.name: f.metadata["sql"] for f in fields(Run)})
    + _table(
        "metrics",
        {"run_id": "TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE", **METRIC_COLUMNS},
    )
    + "CREATE INDEX IF NOT EXISTS metrics_run ON metrics(run_id, kind, step);\n"
)
# A queued run's row: create() and create_group() write it alike.
QUEUE_RUN = (
    "INSERT INTO runs (id, created, updated, name, status, spec, data, settings, group_id, "
    "estimate) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)"
)


def _queued_row(run_id, now, name, spec, data, settings, group_id, estimate) -> tuple:
    """The values of :data:`QUEUE_RUN` for one run (``estimate``: its seconds)."""
    dumped = (json.dumps(spec), json.dumps(data), json.dumps(settings))
    return (run_id, now, now, name, *dumped, group_id, float(estimate))


RECORD = "run.json"
POINTS = "metrics.jsonl"
REBUILT = "runs-rebuilt.txt"  # the last rebuild's notice
# How long a page or a command waits for a store another process holds before it says
# so (StoreBusy); a training process waits longer rather than fail a run.
BUSY_SECONDS = 3.0
TRAINING_BUSY_SECONDS = 60.0
_log = logging.getLogger(__name__)


def default_home() -> Path:
    """``$RESNET_EXPLORER_HOME``, else ``~/.resnet-explorer``."""
    env = os.environ.get("RESNET_EXPLORER_HOME")
    return Path(env) if env else Path.home() / ".resnet-explorer"


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    """A damaged or vanished database (not a busy one, not a refused row)."""
    text = str(exc).lower()
    return any(w in text for w in ("not a database", "malformed", "no such table"))


def _recovers(method):
    """Run ``method``; when the database turns out damaged, rebuild it and run it again
    (the methods so marked are safe to repeat). A busy store or a full disk is raised
    as :class:`StoreBusy` or :class:`DiskFull`, which say what to do."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.DatabaseError as exc:
                if not _damaged(exc):
                    raise
                self._recover(f"was damaged ({exc})")
                return method(self, *args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            fault = named(exc, self.home)
            if fault is None or fault is exc:
                raise
            raise fault from exc

    return wrapper


class RunStore:
    """The SQLite store under ``home`` (runs.db) and the runs' folders (runs/<id>/)."""

    def __init__(self, home: str | Path | None = None, busy_seconds: float = BUSY_SECONDS):
        self.home = Path(home) if home else default_home()
        self.busy_seconds = busy_seconds
        self.path = self.home / "runs.db"
        self.notice: str | None = None  # set when runs.db had to be rebuilt
        self._open_store()

    @_recovers
    def _open_store(self) -> None:
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            if not os.access(self.home, os.W_OK | os.X_OK):  # readable, not writable
                raise PermissionError(errno.EACCES, "not writable", str(self.home))
        except OSError as exc:
            if disk_full(exc, self.home):
                raise
            raise HomeUnusable(self.home, exc) from exc
        self._migrate()  # a damaged file: rebuilt by _recovers, and this runs again
        self._backfill_folders()

    def patient(self, seconds: float = TRAINING_BUSY_SECONDS) -> RunStore:
        """This store, waiting up to ``seconds`` for a store another process holds (a
        training run waits rather than fail)."""
        other = copy.copy(self)
        other.busy_seconds = max(seconds, self.busy_seconds)
        return other

    def _migrate(self) -> None:
        with closing(self._connect()) as db:
            db.executescript(SCHEMA)
            have = {r["name"] for r in db.execute("PRAGMA table_info(runs)")}
            for column, decl in ADDED_COLUMNS.items():
                if column not in have:
                    db.execute(f"ALTER TABLE runs ADD COLUMN {column} {decl}")

    def _open(self, path: Path | None = None) -> sqlite3.Connection:
        db = sqlite3.connect(path or self.path, timeout=self.busy_seconds, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout={int(self.busy_seconds * 1000)}")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.row_factory = sqlite3.Row
        return db

    def _connect(self) -> sqlite3.Connection:
        """A connection to runs.db; a missing or emptied one is rebuilt first (deleted
        while a worker trains, say: the worker goes on, its points kept)."""
        if not self.path.exists():
            self._recover("was missing")
        db = self._open()
        if (
            db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'"
            ).fetchone()
            is None
        ):
            db.close()
            self._recover("was empty")
            db = self._open()
        return db

    # -- rebuilding from the run folders ------------------------------------------
    @contextmanager
    def _lock(self):
        """One process at a time writes records or rebuilds (pages, worker, CLI)."""
        with open(self.home / "runs.lock", "a") as f:
            deadline = time.monotonic() + self.busy_seconds
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreBusy(self.home) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _sound(self) -> bool:
        if not self.path.exists():
            return False
        try:
            db = sqlite3.connect(self.path, timeout=self.busy_seconds)
            try:
                ok = db.execute("PRAGMA quick_check(1)").fetchone()[0] == "ok"
                return (
                    ok
                    and db.execute(
                        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'"
                    ).fetchone()
                    is not None
                )
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:  # busy or locked is not damaged: leave it
            return not _damaged(exc)

    def _recover(self, why: str) -> None:
        """Move a damaged runs.db aside and rebuild it from the run folders."""
        with self._lock():
            if self._sound():  # another process rebuilt it meanwhile
                return
            stamp = time.strftime("%Y%m%d-%H%M%S")
            moved = None
            for suffix in ("", "-wal", "-shm"):  # a stale WAL must not meet the new file
                old = self.home / f"runs.db{suffix}"
                if old.exists() and old.stat().st_size == 0:
                    old.unlink()  # nothing to keep
                elif old.exists():
                    target = self.home / f"runs.db.damaged-{stamp}{suffix}"
                    os.replace(old, target)
                    moved = moved or (target if suffix == "" else None)
            runs, points = self._rebuild()
        if moved is None and runs == 0:
            return  # a new home: nothing was lost, nothing to say
        aside = f"; the damaged file is kept as {moved.name}" if moved else ""
        self.notice = (
            f"The run index (runs.db) {why.split(' (')[0]}; it was rebuilt from "
            f"the run folders: {runs} run{'s' * (runs != 1)}, {points:,} points"
            f"{aside}."
        )
        detail = why.partition(" (")[2][:-1]  # what SQLite said, for the log only
        _log.warning("%s%s", self.notice, f" (SQLite: {detail})" if detail else "")
        try:  # for pages opened later (the worker may be the one that rebuilt it)
            (self.home / REBUILT).write_text(self.notice, encoding="utf-8")
        except OSError:
            pass

    def recent_notice(self, within: float = 600.0) -> str | None:
        """The notice of a rebuild by this or another process in the last ``within``
        seconds, else None."""
        if self.notice:
            return self.notice
        try:
            path = self.home / REBUILT
            if time.time() - path.stat().st_mtime < within:
                return path.read_text(encoding="utf-8")[:500]
        except OSError:
            pass
        return None

    def _rebuild(self) -> tuple[int, int]:
        """Write a new runs.db from the folders' records (into a temporary file, renamed
        into place: no process sees it half-built). Returns (runs, points)."""
        partial = self.home / f"runs.db.rebuild-{os.getpid()}"
        partial.unlink(missing_ok=True)
        db = sqlite3.connect(partial, isolation_level=None)
        runs = points = 0
        try:
            db.executescript(SCHEMA)
            db.execute("BEGIN")
            for folder in sorted((self.home / "runs").glob("*/")):
                record = _read_json(folder / RECORD)
                if not isinstance(record, dict) or record.get("id") != folder.name:
                    continue  # a folder from before records, or a damaged record
                cols = [c for c in record if c in RUN_COLUMNS]
                db.execute(
                    f"INSERT OR REPLACE INTO runs ({', '.join(cols)}) VALUES "
                    f"({', '.join('?' * len(cols))})",
                    [_column_value(c, record[c]) for c in cols],
                )
                rows = _read_points(folder / POINTS)
                db.executemany(
                    f"INSERT INTO metrics (run_id, {', '.join(METRIC_FIELDS)}) VALUES "
                    f"(?, {', '.join('?' * len(METRIC_FIELDS))})",
                    [(folder.name, *(r.get(f) for f in METRIC_FIELDS)) for r in rows],
                )
                runs, points = runs + 1, points + len(rows)
            db.execute("COMMIT")
        finally:
            db.close()
        os.replace(partial, self.path)
        return runs, points

    def _save_record(self, db: sqlite3.Connection, run_ids) -> None:
        """Write the runs' rows to their folders' run.json (never re-creating a deleted
        run's folder)."""
        for run_id in run_ids:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
            folder = self.run_dir(run_id)
            if row is None or not folder.is_dir():
                continue
            _write_json(folder / RECORD, dict(row))

    def _backfill_folders(self) -> None:
        """Give runs stored before records existed their run.json and metrics.jsonl, so
        every run can be rebuilt (once per home)."""
        marker = self.home / ".records-v1"
        if marker.exists():
            return
        with closing(self._connect()) as db, self._lock():  # connect first: it may take the lock
            for row in db.execute("SELECT id FROM runs").fetchall():
                folder = self.run_dir(row["id"])
                if folder.is_dir() and not (folder / RECORD).exists():
                    self._save_record(db, [row["id"]])
                    rows = [
                        dict(r)
                        for r in db.execute(
                            f"SELECT {', '.join(METRIC_FIELDS)} FROM metrics WHERE run_id = ? "
                            "ORDER BY rowid",
                            (row["id"],),
                        )
                    ]
                    _append_points(folder / POINTS, rows)
        marker.touch()

    def run_dir(self, run_id: str) -> Path:
        if not run_id.replace("-", "").isalnum():  # ids come back from pages and URLs
            raise ValueError(f"not a run id: {run_id!r}")
        return self.home / "runs" / run_id

    # -- runs ---------------------------------------------------------------------
    @_recovers
    def create(
        self, name: str, spec: dict, data: dict, settings: dict, estimate: float = 0.0
    ) -> str:
        """Queue a run (runs that train together: :meth:`create_group`); ``estimate``:
        its estimated seconds."""
        run_id = new_id()
        now = time.time()
        self.run_dir(run_id).mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            db.execute(
                QUEUE_RUN, _queued_row(run_id, now, name, spec, data, settings, "", estimate)
            )
            self._save_record(db, [run_id])
        return run_id

    @_recovers
    def create_group(
        self, runs: list[tuple[str, dict, dict, dict]], estimates: list[float] | None = None
    ) -> list[str]:
        """Queue runs ``(name, spec, data, settings)`` that train together, in one
        transaction: a worker never claims part of a group. ``estimates``: each run's
        estimated seconds."""
        group_id = new_id("g")
        now = time.time()
        ids = [new_id() for _ in runs]
        for run_id in ids:
            self.run_dir(run_id).mkdir(parents=True, exist_ok=True)
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                QUEUE_RUN,
                [
                    _queued_row(run_id, now, *run, group_id, seconds)
                    for run_id, run, seconds in zip(ids, runs, estimates or [0.0] * len(runs))
                ],
            )
            db.execute("COMMIT")
            self._save_record(db, ids)
        finally:
            db.close()
        return ids

    @_recovers
    def group(self, group_id: str) -> list[Run]:
        """The runs of a group, in the order they were created."""
        if not group_id:
            return []
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT * FROM runs WHERE group_id = ? ORDER BY created, rowid", (group_id,)
            ).fetchall()
        return [_run(r) for r in rows]

    @_recovers
    def get(self, run_id: str) -> Run | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    @_recovers
    def list(self) -> list[Run]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT * FROM runs ORDER BY created DESC").fetchall()
        return [_run(r) for r in rows]

    @_recovers
    def update(self, run_id: str, **fields: Any) -> None:
        unknown = sorted(set(fields) - set(RUN_COLUMNS))
        if unknown:  # the names go into SQL: only the declared columns
            raise ValueError(f"runs have no column {unknown[0]!r}")
        for key in JSON_COLUMNS:
            if key in fields and not isinstance(fields[key], str):
                fields[key] = json.dumps(fields[key])
        fields["updated"] = time.time()
        cols = ", ".join(f"{k} = ?" for k in fields)
        with closing(self._connect()) as db:
            db.execute(f"UPDATE runs SET {cols} WHERE id = ?", (*fields.values(), run_id))
            self._save_record(db, [run_id])

    @_recovers
    def claim_next(self, pid: int) -> list[Run]:
        """Atomically take the oldest queued run, with the queued runs of its group, for
        the worker ``pid``; an empty list when nothing waits."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT id, group_id, settings FROM runs WHERE status = "
                "'queued' ORDER BY created, rowid LIMIT 1"
            ).fetchone()
            if row is None:
                db.execute("COMMIT")
                return []
            ids = [row["id"]]
            if row["group_id"] and not _resumed(row):  # a resumed run trains alone
                ids = [
                    r["id"]
                    for r in db.execute(
                        "SELECT id, settings FROM runs WHERE status = 'queued' AND group_id = ? "
                        "ORDER BY created, rowid",
                        (row["group_id"],),
                    )
                    if not _resumed(r)
                ]
            self._mark_claimed(db, ids, pid)
        finally:
            db.close()
        return [self.get(i) for i in ids]

    def _mark_claimed(self, db: sqlite3.Connection, ids: list[str], pid: int) -> None:
        """Inside ``claim_next``'s or ``claim``'s transaction: the runs are ``pid``'s."""
        now = time.time()
        db.executemany(
            "UPDATE runs SET status = 'running', worker_pid = ?, heartbeat = ?, "
            "updated = ?, error = '', phase = 'loading data' WHERE id = ?",
            [(pid, now, now, i) for i in ids],
        )
        db.execute("COMMIT")
        self._save_record(db, ids)

    @_recovers
    def claim(self, run_ids: str | list[str], pid: int) -> bool:
        """Atomically take the queued run ``run_ids`` (or all of a list: a race) for the
        process ``pid`` (the command line trains its own runs); False, taking none, when
        a worker took any first."""
        ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        marks = ", ".join("?" * len(ids))
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            queued = db.execute(
                f"SELECT COUNT(*) FROM runs WHERE status = 'queued' AND id IN ({marks})", ids
            ).fetchone()[0]
            if queued != len(ids):
                db.execute("ROLLBACK")
                return False
            self._mark_claimed(db, ids, pid)
        return True

    @_recovers
    def request_stop(self, run_id: str) -> None:
        with closing(self._connect()) as db:
            db.execute(
                "UPDATE runs SET stop_requested = 1, updated = ?, status = CASE "
                "WHEN status = 'queued' THEN 'stopped' WHEN status = 'running' "
                "THEN 'stopping' ELSE status END WHERE id = ?",
                (time.time(), run_id),
            )
            self._save_record(db, [run_id])

    @_recovers
    def stops_requested(self, run_ids: list[str]) -> set[str]:
        """Which of ``run_ids`` were asked to stop (one query: read between steps)."""
        if not run_ids:
            return set()
        marks = ", ".join("?" * len(run_ids))
        with closing(self._connect()) as db:
            rows = db.execute(
                f"SELECT id FROM runs WHERE stop_requested = 1 AND id IN ({marks})", tuple(run_ids)
            ).fetchall()
        return {r[0] for r in rows}

    def requeue(self, run_id: str, **settings_changes: Any) -> None:
        """Queue a stopped or failed run again, to resume from its checkpoint."""
        run = self.get(run_id)
        if run is None or run.active:
            raise ValueError("only a finished run can be resumed")
        settings = {**run.settings, **settings_changes, "resume": True}
        # A resumed run is claimed alone, not with the rest of its race.
        self.update(
            run_id, status="queued", stop_requested=0, error="", settings=settings, phase=""
        )

    @_recovers
    def delete(self, run_id: str) -> None:
        run = self.get(run_id)
        if run and (run.active or run.phase == "saving"):
            raise ValueError("stop the run, and let its checkpoint be written, before deleting it")
        with closing(self._connect()) as db:
            db.execute("DELETE FROM metrics WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)

    def reap(self) -> list[str]:
        """Mark failed the runs whose worker is gone; return their ids. A finished run
        left "saving" by a dead worker is done saving (its last good checkpoint stays)."""
        dead = []
        for run in self.list():
            if run.status in ("running", "stopping") and not pid_alive(run.worker_pid):
                dead.append(run.id)
                # Checkpoints are renamed into place: one that exists is whole.
                kept = (
                    "the metrics and the last checkpoint are kept, and the run can be resumed"
                    if (self.run_dir(run.id) / CHECKPOINT).exists()
                    else "the metrics are kept; no checkpoint had been written yet "
                    "(one is written at each epoch's end), so start it again"
                )
                free = free_bytes(self.home)
                why = (
                    f", perhaps because the disk holding {self.home} is full "
                    f"({free / 1e6:.1f} MB free)"
                    if free is not None and free < LOW_SPACE
                    else ""
                )
                self.update(
                    run.id,
                    status="failed",
                    phase="",
                    error="the worker process stopped unexpectedly (killed or "
                    f"crashed){why}; {kept}",
                )
            elif run.phase == "saving" and not run.active and not pid_alive(run.worker_pid):
                self.update(run.id, phase="")
        return dead

    @_recovers
    def drop_points_after(self, run_id: str, step: int) -> None:
        """Forget the points after ``step`` (a resume restarts from its checkpoint's
        epoch; the steps after it are trained, and drawn, again)."""
        points = self.run_dir(run_id) / POINTS
        if points.exists():
            _write_points(points, [r for r in _read_points(points) if r.get("step", 0) <= step])
        with closing(self._connect()) as db:
            db.execute("DELETE FROM metrics WHERE run_id = ? AND step > ?", (run_id, step))

    # -- metrics ------------------------------------------------------------------
    def add_metrics(self, run_id: str, rows: list[dict]) -> None:
        """Append points to the run's folder (what a rebuild reads), then to the index.
        A missing index is rebuilt before the points are written, a damaged one after
        (from the folder, these points with it): written once either way."""
        if not rows:
            return
        folder = self.run_dir(run_id)
        appended = False
        try:
            with closing(self._connect()) as db:
                if folder.is_dir():  # a deleted run's folder is not made again
                    _append_points(folder / POINTS, rows)
                    appended = True
                db.executemany(
                    f"INSERT INTO metrics (run_id, {', '.join(METRIC_FIELDS)}) VALUES "
                    f"(?, {', '.join('?' * len(METRIC_FIELDS))})",
                    [(run_id, *(r.get(f) for f in METRIC_FIELDS)) for r in rows],
                )
                db.execute(
                    "UPDATE runs SET heartbeat = ?, updated = ? WHERE id = ?",
                    (time.time(), time.time(), run_id),
                )
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc) or not folder.is_dir():
                fault = named(exc, self.home)
                if fault is None:
                    raise
                raise fault from exc
            self._recover(f"was damaged ({exc})")
            if not appended:  # damage found on connecting: the rebuilt index takes them
                self.add_metrics(run_id, rows)
        except OSError as exc:  # metrics.jsonl on a full disk
            fault = named(exc, self.home)
            if fault is None or fault is exc:
                raise
            raise fault from exc

    @_recovers
    def metrics(self, run_id: str, kind: str | None = None) -> list[dict]:
        query = f"SELECT {', '.join(METRIC_FIELDS)} FROM metrics WHERE run_id = ?"
        args: tuple = (run_id,)
        if kind:
            query += " AND kind = ?"
            args += (kind,)
        with closing(self._connect()) as db:
            return [dict(r) for r in db.execute(query + " ORDER BY rowid", args)]


def new_id(prefix: str = "") -> str:
    """A new run or group id: when it was made (sorting as created) and 6 random hex
    digits (two in the same second differ)."""
    return f"{prefix}{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


def _column_value(column: str, value: Any) -> Any:
    if column in JSON_COLUMNS and not isinstance(value, str):
        return json.dumps(value)
    return value


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, value: Any) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        partial.write_text(json.dumps(value), encoding="utf-8")
    except BaseException:  # a full disk: no half-written file left behind
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)  # a kill leaves the old record, never half of one


def _read_points(path: Path) -> list[dict]:
    """The points of a metrics.jsonl; a line cut off by a kill is skipped."""
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict):
                    rows.append(row)
    except OSError:
        pass
    return rows


def _append_points(path: Path, rows: list[dict]) -> None:
    text = "".join(json.dumps({f: r.get(f) for f in METRIC_FIELDS}) + "\n" for r in rows)
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def _write_points(path: Path, rows: list[dict]) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    partial.unlink(missing_ok=True)
    try:
        _append_points(partial, rows)
    except BaseException:  # a full disk: no half-written file left behind
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


def _resumed(row: sqlite3.Row) -> bool:
    return bool(json.loads(row["settings"] or "{}").get("resume"))


def _run(row: sqlite3.Row) -> Run:
    d = dict(row)
    for key in JSON_COLUMNS:
        d[key] = json.loads(d[key] or "{}")
    d["stop_requested"] = bool(d["stop_requested"])
    return Run(**d)
