"""Queueing a run: every check that can refuse it happens here, before anything starts."""

from __future__ import annotations

from ..data import DataChoice, load, prepare
from ..spec import ArchitectureSpec
from .settings import TrainSettings, check_feasible
from .store import RunStore


def submit_run(store: RunStore, spec: ArchitectureSpec, data: dict, settings: dict) -> str:
    """Check data and settings against ``spec``, then queue the run; return its id.

    Raises :class:`~resnet_core.data.DataError` or :class:`SettingsError` with what to
    change. The worker (or the command line) trains it through ``engine.execute``.
    """
    choice = DataChoice.from_dict(data)
    train = TrainSettings.from_dict(settings)
    prepared = prepare(load(choice), spec, choice)
    check_feasible(prepared.spec, train, len(prepared.x_train))
    return store.create(spec.name, spec.to_dict(), choice.to_dict(), train.to_dict())
