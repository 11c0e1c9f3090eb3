"""What a finished run reports: its epochs, speed and result, read from the run store."""

from __future__ import annotations

import numpy as np

from .store import RunStore


def epoch_history(store: RunStore, run_id: str) -> list[dict]:
    keys = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "images_per_second")
    return [{k: m[k] for k in keys} for m in store.metrics(run_id, "epoch")]


def run_summary(store: RunStore, run_id: str, status: str, epoch_ips: list[float]) -> dict:
    """The run's summary as it ends with ``status``: its epochs, and its speed (the median
    of its epochs' ``epoch_ips``, else its last epoch's)."""
    run = store.get(run_id)
    history = epoch_history(store, run_id)
    ips = (
        float(np.median(epoch_ips))
        if epoch_ips
        else (history[-1]["images_per_second"] if history else None)
    )
    return {
        "run_id": run_id,
        "name": run.name,
        "status": status,
        "device": run.device,
        "history": history,
        "images_per_second": ips,
        "val_accuracy": history[-1]["val_accuracy"] if history else None,
    }


def group_results(
    store: RunStore, run_ids: list[str], summaries: dict, seconds: float
) -> list[dict]:
    """Each run's summary, in the order asked; a failed run's error and history."""
    results = []
    for run_id in run_ids:
        run = store.get(run_id)
        if run is None:  # deleted while the others trained
            results.append({"run_id": run_id, "status": "deleted"})
        elif run.status == "failed" or not summaries.get(run_id):
            results.append(
                {
                    "run_id": run_id,
                    "name": run.name,
                    "status": run.status,
                    "error": run.error,
                    "device": run.device,
                    "history": epoch_history(store, run_id),
                }
            )
        else:
            results.append({**summaries[run_id], "seconds": round(seconds, 2)})
    return results
