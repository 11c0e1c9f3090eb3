"""A stored run, ready for an experiment: its network, trained layers and data.

The data are reloaded from the run's stored source settings (the same split, by its
seed, as it trained on); the checkpoint is loaded in Keras's safe mode. Which runs form a
residual/plain pair (a race) is read here too, without Keras.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..presets import has_skips
from ..spec import ArchitectureSpec
from ..training.checkpoints import CHECKPOINT
from ..training.store import Run, RunStore


class ExperimentError(ValueError):
    """A run or a setting an experiment cannot use; the message says what to do."""


def checkpoint_path(store: RunStore, run_id: str) -> Path:
    return store.run_dir(run_id) / CHECKPOINT


def why_not_usable(store: RunStore, run: Run) -> str:
    """Why ``run`` cannot be looked inside ("" when it can)."""
    if run.active:
        return f"{run.name} is still {run.status}; wait for it to finish or stop it"
    try:
        run.network()
    except ValueError as exc:  # stored by a version whose spec format this one cannot read
        return f"{run.name} ({run.id}): its stored network cannot be read ({exc})"
    if not checkpoint_path(store, run.id).exists():
        return (
            f"{run.name} ({run.id}) has no checkpoint (one is written at each epoch's "
            "end); train it for at least one epoch"
        )
    return ""


def get_run(store: RunStore, run_id: str) -> Run:
    """The stored run ``run_id``, refused (with what to do) when it has no weights yet."""
    try:
        run = store.get(run_id)
    except ValueError:  # not even shaped like an id
        run = None
    if run is None:
        raise ExperimentError(
            f"no run {run_id!r} in {store.home} (list them with `python -m resnet_core runs`)"
        )
    why = why_not_usable(store, run)
    if why:
        raise ExperimentError(why)
    return run


def residual_first(runs: list[Run]) -> list[Run]:
    """The runs with the residual network first (a race's order, whatever was given)."""
    return sorted(runs, key=lambda r: not has_skips(r.network()))


def pair_of(store: RunStore, run: Run) -> list[Run]:
    """``run`` and, when it raced a network of the other kind (one with skips, one
    without), that network: residual first. Otherwise ``[run]``."""
    group = [r for r in store.group(run.group_id) if r.id != run.id]
    if len(group) == 1:
        other = group[0]
        kinds = {_skips(run), _skips(other)}
        if kinds == {True, False}:
            return residual_first([run, other])
    return [run]


def _skips(run: Run) -> bool | None:
    """Whether ``run``'s network has skips (None: its stored network cannot be read)."""
    try:
        return has_skips(run.network())
    except ValueError:
        return None


def finished_pairs(store: RunStore) -> list[list[Run]]:
    """Every race whose two networks can be looked inside, newest first."""
    seen, pairs = set(), []
    for run in store.list():
        if run.group_id in seen or not run.group_id:
            continue
        seen.add(run.group_id)
        pair = pair_of(store, run)
        if len(pair) == 2 and not any(why_not_usable(store, r) for r in pair):
            pairs.append(pair)
    return pairs


# The experiments' forward passes on this 2-core CPU (benchmarks/bench_experiments.py,
# RESULTS.md): a 21×21 landscape of cifar_resnet20 at 8×8 on 512 images took 47.7 s a
# network (about 24 G MAC/s at load 18; idle, faster), a lesion pass of 359 images about
# 0.18 s. The figure below keeps the estimates on the slow side of those.
FORWARD_MACS_PER_SECOND = 1.2e10
# Every computation first starts TensorFlow in a child and loads the checkpoints: 15 to
# 32 s were seen on this machine (80 s by the CLI against 47.7 s in process).
START_SECONDS = 30.0


def validation_images(run: Run) -> int | None:
    """The validation images of ``run`` (the data split as ``data.prepare`` splits it),
    when its data names a subset; None when it took a whole source (its size is known
    only once loaded)."""
    subset = int(run.data.get("subset") or 0)
    if subset <= 0:
        return None
    return max(1, int(round(subset * float(run.data.get("val_split", 0.2)))))


@dataclass
class TrainedRun:
    """What an experiment needs of a run (Keras loaded)."""

    run: Run
    spec: ArchitectureSpec  # as trained: fitted to the data
    layers: dict[str, Any]  # the trained layers, by name
    model: Any  # the checkpoint's model (class probabilities)
    x_train: np.ndarray  # float32, scaled as in training
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    class_names: tuple[str, ...]

    @property
    def residual(self) -> bool:
        return has_skips(self.spec)

    @property
    def classes(self) -> int:
        return self.spec.head.classes


def open_run(store: RunStore, run_id: str) -> TrainedRun:
    """Load ``run_id``'s data and checkpoint; raises :class:`ExperimentError`."""
    from ..data import DataChoice, DataError, load, prepare
    from ..training.checkpoints import load_checkpoint
    from .walk import layers_by_name

    run = get_run(store, run_id)
    try:
        choice = DataChoice.from_dict(run.data)
        prepared = prepare(load(choice), run.network(), choice)
    except (DataError, TypeError, ValueError) as exc:
        raise ExperimentError(
            f"the data {run.name} trained on cannot be loaded again: {exc}"
        ) from None
    try:
        model = load_checkpoint(checkpoint_path(store, run_id))
    except Exception as exc:  # noqa: BLE001 - a damaged file: say what it is
        raise ExperimentError(f"{run.name}'s checkpoint cannot be read: {str(exc)[:200]}") from None
    return TrainedRun(
        run,
        prepared.spec,
        layers_by_name(model),
        model,
        prepared.x_train.astype("float32") / 255.0,
        prepared.y_train,
        prepared.x_val.astype("float32") / 255.0,
        prepared.y_val,
        tuple(prepared.class_names),
    )
