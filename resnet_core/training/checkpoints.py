"""A run's checkpoint file: its one name, written whole or not at all, loaded safely.

Importing this module does not import Keras (the store and the pages read the name).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..faults import DiskFull, disk_full
from .settings import SettingsError

CHECKPOINT = "checkpoint.keras"  # in the run's folder; the store tells a resumable run by it
_PARTIAL = "partial-{pid}.keras"  # a write under way, renamed over CHECKPOINT when whole


def load_checkpoint(path):
    """A stored model, loaded in Keras's safe mode (no arbitrary code)."""
    import keras

    from .. import layers as custom_layers  # noqa: F401 - registers our layers
    from ..keras_internals import deep_graphs
    from . import schedules  # noqa: F401 - registers OneCycle

    with deep_graphs():  # loading maps the graph recursively, as building does
        return keras.saving.load_model(path, safe_mode=True)


def save_checkpoint(model, run_dir: Path) -> None:
    """Write the model next to the checkpoint, then rename it over the old one: a kill
    during the write leaves the last good checkpoint in place. A write that fails
    removes its partial file; on a full disk it raises :class:`DiskFull`, saying so."""
    final = run_dir / CHECKPOINT
    partial = run_dir / _PARTIAL.format(pid=os.getpid())
    try:
        model.save(partial)
    except BaseException as exc:
        full = disk_full(exc, run_dir)  # asked before the space is freed
        try:
            freed = partial.stat().st_size
        except OSError:
            freed = 0
        partial.unlink(missing_ok=True)
        if full:
            kept = (
                "its last whole checkpoint is kept"
                if final.exists()
                else "it had no checkpoint yet"
            )
            raise DiskFull(
                run_dir,
                "writing the checkpoint",
                freed,
                f"the run was stopped ({kept}); free space there, then resume it",
            ) from exc
        raise
    os.replace(partial, final)


def remove_partial_files(run_dir: Path) -> None:
    """Drop the writes a kill cut off (the last whole checkpoint is kept)."""
    for stale in run_dir.glob(_PARTIAL.format(pid="*")):
        stale.unlink(missing_ok=True)


def load_to_resume(run_dir: Path):
    """The run's checkpoint, to train on. A damaged one is moved aside (kept, named
    ``checkpoint.damaged-TIME.keras``) and a :class:`SettingsError` says what to do."""
    checkpoint = run_dir / CHECKPOINT
    try:
        return load_checkpoint(checkpoint)
    except Exception as exc:  # noqa: BLE001 - a damaged file: say what it is
        kept = checkpoint.with_name(f"{checkpoint.stem}.damaged-{int(time.time())}.keras")
        os.replace(checkpoint, kept)
        raise SettingsError(
            f"this run's checkpoint is damaged ({str(exc)[:120]}), so it cannot be "
            f"resumed; it was moved to {kept.name}, and the run keeps its curves: "
            "start a new run to train this network again"
        ) from None
