"""Training settings, checked before a run is queued, and the checks that refuse early."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..analysis import analyze
from ..devices import training_memory_bytes
from ..spec import ArchitectureSpec

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "cosine", "one_cycle")


class SettingsError(ValueError):
    """Settings that cannot work, with what to change."""


@dataclass(frozen=True)
class TrainSettings:
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    schedule: str = "constant"
    batch_size: int = 64
    epochs: int = 3
    weight_decay: float = 0.0
    seed: int = 0
    log_every: int = 5  # batches between live points
    mixed_precision: str = "auto"  # auto: on a GPU
    xla: str = "auto"  # auto: on a GPU
    cpu_devices: int = 0  # >1: split the CPU into that many devices (tests of the
    #                       multi-device path)
    resume: bool = False
    # BatchNorm's moving-average momentum for this run, whatever the network's own (its
    # source's 0.99 or 0.999 settles too slowly for a run of a few hundred steps, and
    # validation then reads stale statistics); None keeps the network's.
    bn_momentum: float | None = 0.9

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainSettings:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def check(self) -> None:
        problems = []
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            problems.append(f"schedule must be one of {', '.join(SCHEDULES)}")
        if not 0 < self.learning_rate <= 10:
            problems.append(f"learning rate must be above 0 and at most 10, got "
                            f"{self.learning_rate}")
        if not 1 <= self.batch_size <= 8192:
            problems.append(f"batch size must be 1 to 8192, got {self.batch_size}")
        if not 1 <= self.epochs <= 1000:
            problems.append(f"epochs must be 1 to 1000, got {self.epochs}")
        if not 0 <= self.weight_decay < 1:
            problems.append(f"weight decay must be 0 up to 1, got {self.weight_decay}")
        if not 1 <= self.log_every <= 10_000:
            problems.append("log_every must be 1 to 10000 batches")
        if self.bn_momentum is not None and (
                isinstance(self.bn_momentum, bool)
                or not isinstance(self.bn_momentum, (int, float))
                or not 0 <= self.bn_momentum < 1):
            problems.append(f"BatchNorm momentum must be from 0 up to (not including) 1, "
                            f"or none for the network's own; got {self.bn_momentum!r}")
        if not 0 <= self.seed < 2**32:
            problems.append(f"seed must be 0 to {2**32 - 1}, got {self.seed}")
        if problems:
            raise SettingsError("; ".join(problems))


def check_feasible(spec: ArchitectureSpec, settings: TrainSettings, n_train: int,
                   memory_limit: int | None = None) -> None:
    """Refuse before starting what cannot work: batch over the data, a model too big."""
    settings.check()
    if settings.batch_size > n_train:
        raise SettingsError(f"the batch size {settings.batch_size} is larger than the "
                            f"{n_train} training images; lower it or use more data")
    a = analyze(spec)
    if not a.ok:
        raise SettingsError(f"this network cannot be built: {a.error}")
    need = a.memory(settings.batch_size).total
    # The GPU's free memory on a GPU, the host's otherwise.
    limit = memory_limit if memory_limit is not None else int(training_memory_bytes() * 0.8)
    if need > limit:
        raise SettingsError(
            f"training needs about {need / 2**30:.1f} GiB (weights, optimizer and "
            f"activations for a batch of {settings.batch_size}) but about "
            f"{limit / 2**30:.1f} GiB is free; lower the batch size or the input size")
