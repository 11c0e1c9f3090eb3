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
    group = store.new_group_id()
    pair = [store.create(n, {}, {}, {}, group_id=group) for n in ("a", "b")]
    assert [r.id for r in store.claim_next(os.getpid())] == [alone]
    claimed = store.claim_next(os.getpid())
    assert [r.id for r in claimed] == pair
    assert all(r.status == "running" and r.phase == "loading data" for r in claimed)
    assert [r.id for r in store.group(group)] == pair
    assert store.claim_next(os.getpid()) == []
    store.request_stop(pair[1])
    assert store.stops_requested(pair) == {pair[1]}
