"""Training settings, checked before a run is queued, and the checks that refuse early."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from ..analysis import analyze
from ..devices import training_memory_bytes
from ..pretrained import INITIAL_WEIGHTS, initial_weights_problem
from ..spec import ArchitectureSpec

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "cosine", "one_cycle")
AUTO_ON_OFF = ("auto", "on", "off")
BATCHNORM_MODES = ("short_run", "network")
SHORT_RUN_MOMENTUM = 0.9


class SettingsError(ValueError):
    """Settings that cannot work, with what to change."""


@dataclass(frozen=True)
class TrainSettings:
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    schedule: str = "constant"
    batch_size: int = 64
    epochs: int = 3
    steps: int = 0  # >0: train this many steps (the last epoch may be cut short)
    weight_decay: float = 0.0
    seed: int = 0
    log_every: int = 5  # batches between live points
    checkpoint_every: int = 0  # >0: also a checkpoint every this many steps
    mixed_precision: str = "auto"  # auto: on a GPU
    xla: str = "auto"  # auto: on a GPU
    cpu_devices: int = 0  # >1: split the CPU into that many devices (tests of the
    #                       multi-device path)
    workers: int = 1  # >1: trained by that many processes (MultiWorkerMirroredStrategy)
    resume: bool = False
    # BatchNorm's moving averages in this run: "short_run" gives them momentum 0.9 whatever
    # the network's own (its source's 0.99 or 0.999 settles too slowly for a run of a few
    # hundred steps, and validation then reads stale statistics); "network" keeps them.
    batchnorm: str = "short_run"
    # "imagenet": the network's Keras Applications ImageNet weights, a new classifier;
    # "imagenet_frozen": the same, only the classifier trains (resnet_core.pretrained).
    initial_weights: str = "none"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainSettings:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def check(self) -> None:
        problems = [p for o in OPTIONS if (p := o.problem(getattr(self, o.field)))]
        if problems:
            raise SettingsError("; ".join(problems))

    def bn_momentum(self) -> float | None:
        """The BatchNorm momentum this run imposes; None: the network's own."""
        return SHORT_RUN_MOMENTUM if self.batchnorm == "short_run" else None

    def total_steps(self, steps_per_epoch: int) -> int:
        """The steps of the whole run: ``steps``, else ``epochs`` whole epochs."""
        return self.steps or steps_per_epoch * self.epochs


@dataclass(frozen=True)
class Option:
    """One user-facing training option: the one home of its bounds, choices and help,
    read by :meth:`TrainSettings.check` and the command line (flags, choices, --help)."""

    field: str  # the TrainSettings field
    label: str  # as messages name it
    help: str
    choices: tuple = ()
    low: float = 0  # numbers only; both bounds inclusive unless flagged
    high: float = 0
    above_low: bool = False  # the low bound itself is refused
    below_high: bool = False  # the high bound itself is refused
    aliases: tuple = ()  # older or shorter command-line flags

    @property
    def default(self):
        return TrainSettings.__dataclass_fields__[self.field].default

    @property
    def kind(self) -> type:
        return type(self.default)

    def bounds(self) -> str:
        low, high = _fmt(self.low), _fmt(self.high)
        if self.above_low:
            return f"above {low} and at most {high}"
        if self.below_high:
            return f"at least {low} and below {high}"
        return f"{low} to {high}"

    def problem(self, value) -> str:
        """What is wrong with ``value`` (empty when nothing is)."""
        if self.choices:
            return (
                ""
                if value in self.choices
                else (f"{self.label} must be one of {', '.join(self.choices)}, got {value!r}")
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (self.kind is int and not isinstance(value, int))
        ):
            kind = "an integer" if self.kind is int else "a number"
            return f"{self.label} must be {kind}, got {value!r}"
        if not math.isfinite(value):
            return f"{self.label} must be a finite number, got {value}"
        too_low = value <= self.low if self.above_low else value < self.low
        too_high = value >= self.high if self.below_high else value > self.high
        if too_low or too_high:
            return f"{self.label} must be {self.bounds()}, got {_fmt(value)}"
        return ""


def _fmt(value) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


OPTIONS = (
    Option(
        "optimizer",
        "optimizer",
        "SGD with Nesterov momentum 0.9 (sgd), Adam (adam) or AdamW (adamw); Keras "
        "decays weights decoupled in all three, so Adam with weight decay is AdamW",
        choices=OPTIMIZERS,
    ),
    Option(
        "learning_rate",
        "learning rate",
        "the (peak) learning rate",
        low=0,
        high=10,
        above_low=True,
        aliases=("--lr",),
    ),
    Option(
        "schedule",
        "schedule",
        "the learning rate over the run: constant; cosine decay "
        "to 0; one_cycle (warm-up, then down)",
        choices=SCHEDULES,
    ),
    Option(
        "batch_size",
        "batch size",
        "images per step (over all devices and workers)",
        low=1,
        high=8192,
    ),
    Option("epochs", "epochs", "passes over the training images", low=1, high=1000),
    Option(
        "steps",
        "steps",
        "train this many steps instead of whole epochs (0: use epochs)",
        low=0,
        high=10_000_000,
    ),
    Option(
        "weight_decay",
        "weight decay",
        "decoupled weight decay (the Keras optimizer's "
        "weight_decay): each step shrinks every weight by learning rate × this, apart "
        "from the loss's gradient. Not an L2 penalty in the loss: that is a layer "
        "setting of the network (Compose's 'L2 on kernels')",
        low=0,
        high=1,
        below_high=True,
    ),
    Option("seed", "seed", "weights, data order and augmentation", low=0, high=2**32 - 1),
    Option(
        "log_every",
        "log_every",
        "steps between live points (also one at the end of each chunk of steps, about every 0.3 s)",
        low=1,
        high=10_000,
    ),
    Option(
        "checkpoint_every",
        "checkpoint_every",
        "also write the checkpoint every N steps (0: at each epoch's end only)",
        low=0,
        high=10_000_000,
    ),
    Option(
        "mixed_precision",
        "mixed precision",
        "float16 compute with float32 weights (auto: on a GPU)",
        choices=AUTO_ON_OFF,
    ),
    Option("xla", "XLA", "compile the step with XLA (auto: on a GPU)", choices=AUTO_ON_OFF),
    Option(
        "batchnorm",
        "BatchNorm",
        f"BatchNorm's moving averages: short_run (momentum "
        f"{SHORT_RUN_MOMENTUM}, settled within a few hundred steps) or network (the "
        "network's own, its source's 0.99 or 0.999)",
        choices=BATCHNORM_MODES,
    ),
    Option(
        "initial_weights",
        "initial weights",
        "none: random; imagenet: Keras "
        "Applications' ImageNet weights with a new classifier for the data's classes, "
        "every layer trains (a learning rate near 1e-4 keeps what they learnt); "
        "imagenet_frozen: only the new classifier trains (faster: no gradients through "
        "the body). For resnet50/101/152, their v2 and vgg16 at 224x224x3 (fit: "
        "resize); Keras downloads the weights the first time",
        choices=INITIAL_WEIGHTS,
    ),
    Option(
        "cpu_devices",
        "cpu_devices",
        "split the CPU into N devices and mirror over "
        "them (tests the multi-device path; 0: no split)",
        low=0,
        high=64,
    ),
    Option(
        "workers",
        "workers",
        "train with N worker processes on this machine "
        "(MultiWorkerMirroredStrategy on loopback); with TF_CONFIG set, the cluster "
        "it names",
        low=1,
        high=64,
    ),
)


OPTION = {o.field: o for o in OPTIONS}


def remembered_value(field: str, value, default=None):
    """``(value, problem)``: a remembered (or otherwise stored) value of the option
    ``field`` as a control shows it, or, when it does not fit the option any more (a
    choice gone, a bound moved, a value of another type), ``default`` (the option's own
    when None) and what was wrong, for a note: a value the person did not choose is never
    shown silently."""
    o = OPTION[field]
    default = o.default if default is None else default
    if o.kind is float and type(value) is int:  # JSON writes 1.0 as 1
        value = float(value)
    problem = o.problem(value)
    if not problem and type(value) is not type(default):
        problem = (
            f"{o.label} must be {'an integer' if o.kind is int else 'a number'}, got {value!r}"
        )
    return (default, problem) if problem else (value, "")


def check_feasible(
    spec: ArchitectureSpec, settings: TrainSettings, n_train: int, memory_limit: int | None = None
) -> None:
    """Refuse before starting what cannot work: batch over the data, a model too big."""
    settings.check()
    if settings.batch_size > n_train:
        raise SettingsError(
            f"the batch size {settings.batch_size} is larger than the "
            f"{n_train} training images; lower it or use more data"
        )
    a = analyze(spec)
    if not a.ok:
        raise SettingsError(f"this network cannot be built: {a.error}")
    if problem := initial_weights_problem(spec, settings.initial_weights):
        raise SettingsError(problem)
    need = a.memory(settings.batch_size).total
    # The GPU's free memory on a GPU, the host's otherwise.
    limit = memory_limit if memory_limit is not None else int(training_memory_bytes() * 0.8)
    if need > limit:
        raise SettingsError(
            f"training needs about {need / 2**30:.1f} GiB (weights, optimizer and "
            f"activations for a batch of {settings.batch_size}) but about "
            f"{limit / 2**30:.1f} GiB is free; lower the batch size or the input size"
        )
