"""The run store: groups, claims, and stores written before groups and phases existed."""

import os
import sqlite3

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
