"""The run store: groups, claims, and stores written before groups and phases existed."""

import json
import os
import sqlite3

import pytest

from resnet_core.training import RunStore


def test_a_store_from_before_groups_and_phases_gains_them_and_keeps_its_runs(tmp_path):
    db = sqlite3.connect(tmp_path / "runs.db")
    db.executescript("""
        CREATE TABLE runs (id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL,
            name TEXT NOT NULL, status TEXT NOT NULL, spec TEXT NOT NULL, data TEXT NOT NULL,
            settings TEXT NOT NULL, device TEXT DEFAULT '', worker_pid INTEGER,
            heartbeat REAL, stop_requested INTEGER DEFAULT 0, epochs_done INTEGER DEFAULT 0,
            total_steps INTEGER DEFAULT 0, error TEXT DEFAULT '', summary TEXT DEFAULT '{}');
        INSERT INTO runs (id, created, updated, name, status, spec, data, settings)
            VALUES ('20261124-100000-abcdef', 1, 1, 'old_run', 'completed', '{}', '{}', '{}');
    """)
    db.commit()
    db.close()
    store = RunStore(tmp_path)
    (old,) = store.list()
    assert old.name == "old_run" and old.group_id == "" and old.phase == ""
    assert store.group("") == []


def test_the_table_is_the_run_records_fields_and_update_takes_only_them(tmp_path):
    """One declaration (Run's fields) makes the table, the rows read back and the
    columns update() may set; a name that is not a column never reaches SQL."""
    from dataclasses import fields

    from resnet_core.training.store import RUN_COLUMNS, Run

    store = RunStore(tmp_path)
    with sqlite3.connect(store.path) as db:
        table = [r[1] for r in db.execute("PRAGMA table_info(runs)")]
    assert table == [f.name for f in fields(Run)] == list(RUN_COLUMNS)
    run_id = store.create("net", {}, {"source": "digits"}, {"epochs": 1})
    store.update(run_id, phase="training", summary={"loss": 1.5})
    run = store.get(run_id)
    assert (run.phase, run.summary, run.data) == ("training", {"loss": 1.5}, {"source": "digits"})
    with pytest.raises(ValueError, match="runs have no column 'status = 1; --'"):
        store.update(run_id, **{"status = 1; --": "x"})
    assert store.get(run_id).status == "queued"


def test_the_metrics_table_is_declared_once(tmp_path):
    """METRIC_COLUMNS makes the metrics table and the fields a point is written and read
    with (the SQL text and a separate field list were two declarations)."""
    from resnet_core.training.store import METRIC_COLUMNS, METRIC_FIELDS

    store = RunStore(tmp_path)
    with sqlite3.connect(store.path) as db:
        table = {r[1]: r[2] for r in db.execute("PRAGMA table_info(metrics)")}
    assert list(table) == ["run_id", *METRIC_COLUMNS] and METRIC_FIELDS == tuple(METRIC_COLUMNS)
    assert all(table[c] == decl.split()[0] for c, decl in METRIC_COLUMNS.items())


def test_a_store_whose_metrics_table_was_written_by_the_old_sql_reads_its_points(tmp_path):
    db = sqlite3.connect(tmp_path / "runs.db")
    db.executescript("""
        CREATE TABLE runs (id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL,
            name TEXT NOT NULL, status TEXT NOT NULL, spec TEXT NOT NULL, data TEXT NOT NULL,
            settings TEXT NOT NULL, device TEXT DEFAULT '', worker_pid INTEGER,
            heartbeat REAL, stop_requested INTEGER DEFAULT 0, epochs_done INTEGER DEFAULT 0,
            total_steps INTEGER DEFAULT 0, error TEXT DEFAULT '', summary TEXT DEFAULT '{}');
        CREATE TABLE metrics (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            kind TEXT NOT NULL, epoch INTEGER NOT NULL, step INTEGER NOT NULL,
            seen INTEGER NOT NULL, time REAL NOT NULL,
            loss REAL, accuracy REAL, val_loss REAL, val_accuracy REAL,
            images_per_second REAL, lr REAL);
        CREATE INDEX metrics_run ON metrics(run_id, kind, step);
        INSERT INTO runs (id, created, updated, name, status, spec, data, settings)
            VALUES ('20261124-100000-abcdef', 1, 1, 'old_run', 'completed', '{}', '{}', '{}');
        INSERT INTO metrics VALUES
            ('20261124-100000-abcdef', 'batch', 0, 1, 32, 1.5, 2.3, 0.1, NULL, NULL, 90.0, 0.1);
    """)
    db.commit()
    db.close()
    store = RunStore(tmp_path)
    (point,) = store.metrics("20261124-100000-abcdef")
    assert (point["kind"], point["step"], point["loss"], point["lr"]) == ("batch", 1, 2.3, 0.1)
    store.add_metrics("20261124-100000-abcdef", [dict(point, step=2)])
    assert [p["step"] for p in store.metrics("20261124-100000-abcdef")] == [1, 2]


def test_run_and_group_ids_come_from_one_maker(tmp_path):
    store = RunStore(tmp_path)
    one = store.create("a", {}, {}, {})
    pair = store.create_group([("b", {}, {}, {}), ("c", {}, {}, {})])
    group = store.get(pair[0]).group_id
    assert len({one, *pair}) == 3 and group.startswith("g")
    for made in (one, *pair, group.removeprefix("g")):  # 20261206-001500-a1b2c3
        day, clock, rand = made.split("-")
        assert len(day) == 8 and len(clock) == 6 and len(rand) == 6
        assert (day + clock).isdigit() and int(rand, 16) >= 0


def test_the_oldest_queued_run_is_claimed_with_the_rest_of_its_group(tmp_path):
    store = RunStore(tmp_path)
    alone = store.create("alone", {}, {}, {})
    pair = store.create_group([(n, {}, {}, {}) for n in ("a", "b")])
    group = store.get(pair[0]).group_id
    assert group and store.get(pair[1]).group_id == group
    assert [r.id for r in store.claim_next(os.getpid())] == [alone]
    claimed = store.claim_next(os.getpid())
    assert [r.id for r in claimed] == pair
    assert all(r.status == "running" and r.phase == "loading data" for r in claimed)
    assert [r.id for r in store.group(group)] == pair
    assert store.claim_next(os.getpid()) == []
    store.request_stop(pair[1])
    assert store.stops_requested(pair) == {pair[1]}


def test_a_resumed_race_member_is_claimed_alone(tmp_path):
    store = RunStore(tmp_path)
    a, b = store.create_group([(n, {}, {}, {"epochs": 2}) for n in ("a", "b")])
    for run_id in (a, b):
        store.update(run_id, status="stopped")
    store.requeue(a, epochs=10)
    store.requeue(b, epochs=6)
    assert [r.id for r in store.claim_next(os.getpid())] == [a]
    assert [r.id for r in store.claim_next(os.getpid())] == [b]


def test_a_finished_run_left_saving_by_a_dead_worker_is_settled(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create("x", {}, {}, {})
    store.update(run_id, status="stopped", phase="saving", worker_pid=2**22 + 12345)
    store.reap()
    assert store.get(run_id).phase == "" and store.get(run_id).status == "stopped"


# ------------------------------------------------- a runs.db that is damaged or deleted
def _run_with_points(store, name="r"):
    run_id = store.create(name, {"name": name}, {"source": "digits"}, {"epochs": 2})
    store.claim_next(os.getpid())
    store.add_metrics(
        run_id,
        [
            {"kind": "batch", "epoch": 0, "step": s, "seen": s, "time": s, "loss": 1.0 / s}
            for s in range(1, 6)
        ],
    )
    store.update(run_id, epochs_done=1, summary={"best": 0.5})
    return run_id


def _same(a, b):
    assert (
        a.name,
        a.status,
        a.spec,
        a.data,
        a.settings,
        a.epochs_done,
        a.summary,
        a.worker_pid,
    ) == (b.name, b.status, b.spec, b.data, b.settings, b.epochs_done, b.summary, b.worker_pid)


def test_each_run_folder_holds_its_record_and_points(tmp_path):
    store = RunStore(tmp_path)
    run_id = _run_with_points(store)
    folder = store.run_dir(run_id)
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "running" and record["epochs_done"] == 1
    assert json.loads(record["spec"]) == {"name": "r"}
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [1, 2, 3, 4, 5]
    store.drop_points_after(run_id, 3)
    assert len((folder / "metrics.jsonl").read_text().splitlines()) == 3


@pytest.mark.parametrize("damage", ["garbage", "truncated", "zero bytes"])
def test_a_damaged_runs_db_is_moved_aside_and_rebuilt_losing_nothing(tmp_path, damage, caplog):
    store = RunStore(tmp_path)
    a, b = _run_with_points(store, "a"), _run_with_points(store, "b")
    before = {r.id: r for r in store.list()}
    points = {i: store.metrics(i) for i in (a, b)}
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"runs.db{suffix}").unlink(missing_ok=True)
    raw = (tmp_path / "runs.db").read_bytes()
    (tmp_path / "runs.db").write_bytes(
        {"garbage": b"this is not sqlite" * 200, "truncated": raw[:1500], "zero bytes": b""}[damage]
    )
    reopened = RunStore(tmp_path)
    assert reopened.notice and reopened.notice.count("\n") == 0
    assert "it was rebuilt from the run folders: 2 runs, 10 points" in reopened.notice
    assert {r.id for r in reopened.list()} == {a, b}
    for run_id in (a, b):
        _same(reopened.get(run_id), before[run_id])
        assert reopened.metrics(run_id) == points[run_id]
    assert RunStore(tmp_path).recent_notice() == reopened.notice  # for pages opened later
    kept = [p for p in tmp_path.glob("runs.db.damaged-*") if not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1 or damage == "zero bytes"  # an empty file need not be kept
    assert "rebuilt" in caplog.text


def test_runs_db_deleted_while_a_worker_writes_loses_nothing(tmp_path):
    page, worker = RunStore(tmp_path), RunStore(tmp_path)
    run_id = _run_with_points(worker)
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"runs.db{suffix}").unlink(missing_ok=True)
    # The worker goes on: its next points and status land in a rebuilt index.
    worker.add_metrics(
        run_id, [{"kind": "batch", "epoch": 1, "step": 6, "seen": 6, "time": 6, "loss": 0.1}]
    )
    worker.update(run_id, epochs_done=2, phase="saving")
    assert [m["step"] for m in page.metrics(run_id)] == [1, 2, 3, 4, 5, 6]
    run = page.get(run_id)
    assert run.status == "running" and run.epochs_done == 2 and run.phase == "saving"
    assert "was missing" in (worker.notice or "")


def test_a_deleted_run_stays_deleted_after_a_rebuild(tmp_path):
    store = RunStore(tmp_path)
    keep, gone = _run_with_points(store, "keep"), _run_with_points(store, "gone")
    for run_id in (keep, gone):
        store.update(run_id, status="completed")
    store.delete(gone)
    (tmp_path / "runs.db").write_bytes(b"garbage" * 100)
    assert [r.id for r in RunStore(tmp_path).list()] == [keep]


def test_a_run_is_deleted_only_when_stopped_and_its_checkpoint_written(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create("r", {}, {}, {})
    store.claim_next(os.getpid())
    with pytest.raises(ValueError, match="stop the run"):
        store.delete(run_id)
    store.update(run_id, status="completed", phase="saving")  # its last checkpoint
    with pytest.raises(ValueError, match="checkpoint be written"):
        store.delete(run_id)
    store.update(run_id, phase="")
    store.delete(run_id)
    assert store.get(run_id) is None and not store.run_dir(run_id).exists()


def test_runs_stored_before_records_existed_gain_them(tmp_path):
    store = RunStore(tmp_path)
    run_id = _run_with_points(store)
    folder = store.run_dir(run_id)
    (folder / "run.json").unlink()
    (folder / "metrics.jsonl").unlink()
    (tmp_path / ".records-v1").unlink()
    RunStore(tmp_path)
    assert json.loads((folder / "run.json").read_text())["id"] == run_id
    assert len((folder / "metrics.jsonl").read_text().splitlines()) == 5


def test_points_written_when_runs_db_turns_to_garbage_are_kept_once(tmp_path):
    store = RunStore(tmp_path)
    run_id = _run_with_points(store)
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"runs.db{suffix}").unlink(missing_ok=True)
    (tmp_path / "runs.db").write_bytes(b"garbage" * 1000)
    store.add_metrics(run_id, [{"kind": "batch", "epoch": 1, "step": 6, "seen": 6, "time": 6}])
    assert [m["step"] for m in store.metrics(run_id)] == [1, 2, 3, 4, 5, 6]
    assert "was damaged" in store.notice


# ---------------------------------------------- a worker killed while writing a checkpoint
def _digits_run(tmp_path, subset, epochs):
    """A store with cifar_resnet20 queued on ``subset`` digits."""
    from resnet_core import get_spec
    from resnet_core.data import DataChoice
    from resnet_core.training.submit import plan_run, submit_run

    store = RunStore(tmp_path / "home")
    choice = DataChoice.from_dict({"source": "digits", "subset": subset, "fit": "adapt"})
    run_id = submit_run(
        store, plan_run(get_spec("cifar_resnet20"), choice), {"epochs": epochs, "batch_size": 32}
    )
    return store, run_id


def _start_worker(store):
    import subprocess
    import sys
    from pathlib import Path

    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "resnet_core.training.worker",
            "--home",
            str(store.home),
            "--idle-exit",
            "5",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_a_worker_killed_during_the_checkpoint_write_keeps_the_last_one_and_resumes(tmp_path):
    import signal
    import time

    from resnet_core.training.checkpoints import load_checkpoint
    from resnet_core.training.engine import execute

    store, run_id = _digits_run(tmp_path, 400, epochs=40)
    folder = store.run_dir(run_id)
    worker = _start_worker(store)
    caught = False
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and worker.poll() is None:
            run = store.get(run_id)
            # After one whole checkpoint, kill the worker the moment the next write starts.
            if run.epochs_done >= 1 and list(folder.glob("partial-*.keras")):
                os.kill(worker.pid, signal.SIGKILL)
                caught = True
                break
            time.sleep(0.002)
    finally:
        if worker.poll() is None and not caught:
            worker.kill()
        worker.wait(30)
    assert caught, "the worker was never seen writing a checkpoint"
    assert list(folder.glob("partial-*.keras"))  # the cut-off write, beside the good one
    assert load_checkpoint(folder / "checkpoint.keras").count_params() > 0
    assert store.reap() == [run_id]
    run = store.get(run_id)
    assert run.status == "failed" and "last checkpoint are kept" in run.error
    done = run.epochs_done
    store.requeue(run_id, epochs=done + 1)
    store.claim_next(os.getpid())
    summary = execute(store, run_id)
    assert summary["status"] == "completed", summary
    assert store.get(run_id).epochs_done == done + 1
    assert not list(folder.glob("partial-*.keras"))


@pytest.mark.slow
def test_deleting_runs_db_while_the_worker_trains_loses_nothing(tmp_path):
    import time

    store, run_id = _digits_run(tmp_path, 300, epochs=3)
    worker = _start_worker(store)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and len(store.metrics(run_id, "batch")) < 3:
            time.sleep(0.05)
        before = len(store.metrics(run_id))
        for suffix in ("", "-wal", "-shm"):
            (store.home / f"runs.db{suffix}").unlink(missing_ok=True)
        while time.monotonic() < deadline and store.get(run_id).active:
            time.sleep(0.2)
        worker.wait(60)  # idles out: it did not crash
    finally:
        if worker.poll() is None:
            worker.kill()
    run = store.get(run_id)
    assert run.status == "completed" and run.epochs_done == 3, run.error
    points = store.metrics(run_id)
    assert len(points) > before and len(store.metrics(run_id, "epoch")) == 3
    steps = [p["step"] for p in points if p["kind"] == "batch"]
    assert steps == sorted(steps) and len(steps) == len(set(steps))  # none lost, none twice


@pytest.mark.slow
def test_a_worker_whose_home_is_deleted_exits_and_leaves_no_store_behind(tmp_path):
    import shutil
    import subprocess
    import sys
    import time
    from pathlib import Path

    home = tmp_path / "home"
    store = RunStore(home)
    worker = subprocess.Popen(  # an idle limit of ten minutes: only the deletion ends it
        [
            sys.executable,
            "-m",
            "resnet_core.training.worker",
            "--home",
            str(home),
            "--idle-exit",
            "600",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (home / "worker.pid").exists():
            time.sleep(0.1)
        assert (home / "worker.pid").read_text() == str(worker.pid)
        for _ in range(5):  # again if the worker wrote a file (its poll) mid-deletion
            try:
                shutil.rmtree(store.home)
                break
            except OSError:  # "Directory not empty": a file written after the listing
                time.sleep(0.05)
        assert worker.wait(120) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert not home.exists()  # no empty store rebuilt there, for nobody


@pytest.mark.slow
def test_resuming_from_a_damaged_checkpoint_says_what_it_does(tmp_path):
    from resnet_core.training.engine import execute

    store, run_id = _digits_run(tmp_path, 200, epochs=1)
    store.claim_next(os.getpid())
    assert execute(store, run_id)["status"] == "completed"
    points = store.metrics(run_id)
    checkpoint = store.run_dir(run_id) / "checkpoint.keras"
    checkpoint.write_bytes(checkpoint.read_bytes()[:5000])  # cut off, as by a full disk
    store.requeue(run_id, epochs=2)
    store.claim_next(os.getpid())
    execute(store, run_id)
    run = store.get(run_id)
    assert run.status == "failed"
    assert "checkpoint is damaged" in run.error and "moved to checkpoint.damaged-" in run.error
    assert "start a new run" in run.error
    assert list(store.run_dir(run_id).glob("checkpoint.damaged-*.keras"))
    assert store.metrics(run_id) == points  # the curves are kept


def test_the_live_view_says_when_a_worker_dies_or_falls_silent(tmp_path):
    import time

    from ui.training_views import status_line

    store = RunStore(tmp_path)
    run_id = store.create("r", {}, {}, {})
    store.claim_next(os.getpid())
    store.update(run_id, phase="training", heartbeat=time.time())
    assert status_line(store, store.get(run_id)) == "training"
    store.update(run_id, heartbeat=time.time() - 300)
    assert "no word from the worker for 5 min" in status_line(store, store.get(run_id))
    store.update(run_id, worker_pid=2**22 + 12345)  # no such process: the worker died
    assert store.reap() == [run_id]
    run = store.get(run_id)
    assert status_line(store, run) == "failed" and "stopped unexpectedly" in run.error
    assert "no checkpoint had been written yet" in run.error


def test_the_runs_page_says_the_index_was_rebuilt_and_shows_every_run(tmp_path, monkeypatch):
    from .apptest import app, plain

    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    store = RunStore(tmp_path)
    run_id = _run_with_points(store)
    store.update(run_id, status="completed", worker_pid=None)
    (tmp_path / "runs.db").write_bytes(b"garbage" * 100)
    at = app("pages/runs.py")
    assert any(
        "was damaged; it was rebuilt from the run folders: 1 run, 5 points" in plain(i.value)
        for i in at.info
    ), [i.value for i in at.info]
    assert at.dataframe[0].value.iloc[0]["status"] == "completed"


def test_a_run_stored_in_spec_format_1_still_opens_for_the_runs_page_and_resume(tmp_path):
    from pathlib import Path

    from resnet_core import get_spec

    v1 = json.loads((Path(__file__).parent / "data" / "spec_v1_resnet18.json").read_text())
    store = RunStore(tmp_path)
    run_id = store.create("old", v1, {}, {})
    assert store.get(run_id).network() == get_spec("resnet18")
    (tmp_path / "runs.db").unlink()  # rebuilt from run.json: the same spec, as written
    again = RunStore(tmp_path).get(run_id)
    assert again.spec == v1 and again.network() == get_spec("resnet18")


def test_stop_worker_signals_only_a_live_worker(tmp_path):
    import subprocess
    import sys

    from resnet_core.training.worker import WORKER_PID, stop_worker

    assert not stop_worker(tmp_path)  # no pid file
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:  # a stale pid file naming some other process: never signalled
        (tmp_path / WORKER_PID).write_text(str(other.pid))
        assert not stop_worker(tmp_path)
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()
