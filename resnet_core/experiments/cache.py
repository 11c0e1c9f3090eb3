"""Experiment results kept in the run's folder (``runs/<id>/experiments/<key>.json``).

A result is valid for the checkpoint it was computed from: it records the checkpoint's
size and modification time (and the results' format), and a run trained on (resumed)
computes afresh.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..training.store import RunStore
from .runs import checkpoint_path

FOLDER = "experiments"


def result_key(experiment: str, **params) -> str:
    """``lesion`` or ``landscape-grid21-images512``: the experiment and its settings."""
    return "-".join([experiment, *(f"{k}{v}" for k, v in sorted(params.items()))])


FORMAT = 2  # raised when a result's fields change: older ones are computed again


def _stamp(store: RunStore, run_id: str) -> list[int]:
    try:
        st = checkpoint_path(store, run_id).stat()
    except OSError:
        return []
    return [st.st_size, st.st_mtime_ns, FORMAT]


def result_path(store: RunStore, run_id: str, key: str) -> Path:
    return store.run_dir(run_id) / FOLDER / f"{key}.json"


def load_result(store: RunStore, run_id: str, key: str) -> dict | None:
    """The stored result ``key`` of ``run_id``, or None (none, damaged, or computed from
    another checkpoint)."""
    try:
        data = json.loads(result_path(store, run_id, key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.pop("checkpoint", None) != _stamp(store, run_id):
        return None
    return data  # as computed: the stamp is the cache's, not the result's


def save_result(store: RunStore, run_id: str, key: str, result: dict) -> None:
    """Keep ``result`` for ``run_id``'s current checkpoint (written whole or not at all)."""
    path = result_path(store, run_id, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(
        json.dumps({**result, "checkpoint": _stamp(store, run_id)}), encoding="utf-8"
    )
    os.replace(partial, path)
