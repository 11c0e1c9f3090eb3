"""One run of a training group: all the engine's loop knows of it, declared in one place.

The loop (:mod:`~resnet_core.training.engine`) moves this state; a trainee records itself
in the run store: its live points, its phase and its failure.
"""

from __future__ import annotations

import math
import sqlite3
import time
import traceback
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data import DataChoice, DataError, PreparedData
from ..faults import DiskFull, StoreBusy, disk_full
from ..spec import ArchitectureSpec, SpecError
from .settings import SettingsError, TrainSettings
from .store import Run, RunStore
from .tensorboard_log import TensorBoardLog


@dataclass
class StepSums:
    """Sums over a span of steps (since the last live point, or the epoch's so far): its
    loss and accuracy are the span's own means, so the curve shows what the network does
    now."""

    images: int = 0
    loss: float = 0.0
    correct: float = 0.0
    steps: int = 0

    def add(self, logs: dict, n: int) -> None:
        self.images += n
        self.steps += 1
        self.loss += float(logs.get("loss", math.nan)) * n
        self.correct += float(logs.get("accuracy", math.nan)) * n


@dataclass(eq=False, slots=True)
class Trainee:
    """One run of a group: its data, model and live state. Made from the store's run;
    every other attribute is declared here with its starting value (slots: setting one
    not declared raises AttributeError)."""

    store: RunStore
    id: str
    _: KW_ONLY
    # Read from the store when made.
    run: Run = field(init=False)
    dir: Path = field(init=False)
    settings: TrainSettings = field(init=False)
    choice: DataChoice = field(init=False)
    spec: ArchitectureSpec = field(init=False)
    # Set when prepared: the data fitted to the network, the model and how it trains.
    data: PreparedData | None = None
    x_train: np.ndarray | None = None  # the images as float32 in [0, 1]
    x_val: np.ndarray | None = None
    model: Any = None
    steps: Any = None  # KerasSteps, or distributed.StepRunner on several workers
    tensorboard: TensorBoardLog | None = None
    compiled_chunks: str = ""  # "tensorflow", "jax": trained by a compiled chunk
    jit: bool = False
    steps_per_epoch: int = 0  # whole batches only
    total_steps: int = 0
    start_epoch: int = 0
    last_epoch: int = 0  # epochs run, the last perhaps cut short by ``steps``
    # Live.
    step: int = 0  # steps done, counted over the whole run
    epoch: int = 0
    images_this_epoch: int = 0
    chunk: StepSums = field(default_factory=StepSums)  # since the last live point
    epoch_sums: StepSums = field(default_factory=StepSums)  # the epoch's steps so far
    buffer: list[dict] = field(default_factory=list)  # live points not yet stored
    epoch_ips: list[float] = field(default_factory=list)
    train_seconds: float = 0.0  # time in train steps after the first (not validation)
    timed_images: int = 0  # images of those steps
    compile_seconds: float | None = None  # the first chunk: tracing, compiling, one step
    stop_asked: bool = False  # a stop this worker wants; the step's all-reduce agrees
    # The end.
    done: bool = False
    summary: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.run = self.store.get(self.id)
        self.dir = self.store.run_dir(self.id)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.settings = TrainSettings.from_dict(self.run.settings)
        self.choice = DataChoice.from_dict(self.run.data)
        self.spec = self.run.network()

    def phase(self, phase: str) -> None:
        self.store.update(self.id, phase=phase)

    def fail(self, exc: BaseException) -> None:
        """Record the error and drop out of the group; the others go on."""
        self.done = True
        if not isinstance(exc, DiskFull) and disk_full(exc, self.dir):
            exc = DiskFull(
                self.dir,
                "writing the run's files",
                then="the run was stopped; free space there, then resume it",
            )
        if isinstance(exc, (DataError, SettingsError, SpecError, DiskFull, StoreBusy)):
            error = str(exc)
        else:
            error = f"{type(exc).__name__}: {exc}"
            try:
                (self.dir / "error.log").write_text(
                    "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                )
                error += f" (details in {self.dir / 'error.log'})"
            except OSError:  # the run's folder is gone (deleted) or the disk is full
                pass
        try:
            self.flush()
        except (DiskFull, StoreBusy):  # the points are lost; the failure is recorded
            self.buffer = []
        self.store.update(self.id, status="failed", error=error, phase="")

    def flush(self) -> None:
        if not self.buffer:
            return
        try:
            self.store.add_metrics(self.id, self.buffer)
        except sqlite3.IntegrityError:  # the run was deleted meanwhile: it drops out
            self.done = True
        self.buffer = []

    def speed(self) -> float | None:
        """Images per second of the steps so far, the first (tracing) one left out."""
        if self.timed_images and self.train_seconds > 0:
            return self.timed_images / self.train_seconds
        return None

    def point(self, **fields) -> None:
        self.buffer.append({"epoch": self.epoch, "step": self.step, "time": time.time(), **fields})
