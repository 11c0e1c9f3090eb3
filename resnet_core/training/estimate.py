"""Time and memory of a training run, estimated before it starts.

A training step costs a fixed amount per layer (framework overhead, small kernels), an
amount per multiply-accumulate of the forward pass (with the backward pass) and an amount
per parameter (the optimizer's update reads and writes every weight and its slots). All
three are expressed in multiples of this machine's peak matrix-multiply rate on one
thread, so the estimate follows the machine. The constants were fitted to measured steps of
cifar_resnet20/56 at 8×8 and 32×32 and resnet50 at 8×8 and 224×224 on an idle 2-core CPU
(``benchmarks/bench_live_demo.py`` prints estimate and measurement side by side); a
loaded machine is slower than estimated, and a GPU has other constants.

A run also compiles before its first step: Keras builds the model and TensorFlow traces
the training step and its gradients, a cost that grows with the number of layers (not
the batch), plus the first step itself. :func:`estimate_run` gives that phase, the
epochs (validation included) and their total, for one network or a group trained in
lockstep (its members' steps add up); :func:`seconds_left` is the live figure of a
group from its members' measured speeds (each measured over the whole group's calls).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..analysis import analyze
from ..spec import ArchitectureSpec

# Fitted constants, in FLOPs at one thread's peak matrix-multiply rate (see the module
# docstring; measured 107 GFLOP/s here, so a MAC with its backward pass costs 45 ps).
FLOPS_PER_LAYER = 1.07e7  # per layer and step: overhead that does not grow with the batch
FLOPS_PER_MAC = 4.8  # per forward MAC and image, backward pass included
FLOPS_PER_PARAM = 480.0  # per parameter and step: the optimizer's memory-bound update


# Compilation, in seconds: per layer of the network (tracing the step and its gradients)
# and once per network (building, the probe point), plus the first step's own run. Not
# scaled by the matrix-multiply rate: it is Python and graph work, and on a host whose
# rate measured 154 GFLOP/s it was no faster than on the 107 GFLOP/s one. Measured
# (2026-12-06, 2-core VM): cifar_resnet20 at 8×8 5.3 s, cifar_plain56 16.2 s,
# cifar_resnet56 at 32×32 15.4 s, ResNet-50 at 8×8 18.7 s and at 224×224 20.7 s
# (issue 18: 23 s); the constants give 7.0, 15.8, 18.9, 17.0 and 20.9 s there.
COMPILE_SECONDS_PER_LAYER = 0.09
COMPILE_SECONDS_PER_NETWORK = 0.5
FIRST_STEPS = 3.0  # the first step (allocating its buffers) runs as slowly as about three
# The step constants were fitted on an idle machine; on the same kind of VM shared with
# other work (the usual case here) steps took 1.6-1.9× the fitted figure (2026-12-06:
# cifar_resnet20 at 8×8, ResNet-50 at 8×8, cifar_resnet56 at 32×32), and issue 18 saw
# 1.8× for ResNet-50 at 224×224. This margin centres the estimate between the two, so
# either is within 2×.
SHARED_MACHINE_MARGIN = 1.4
FORWARD_SHARE = 1 / 3  # validation: the forward pass only, a third of a training step
# A run expected to take longer than this says so before it starts (on a CPU: "many
# minutes"; fewer epochs, images or a smaller input shorten it).
LONG_RUN_SECONDS = 120.0


@dataclass(frozen=True)
class Estimate:
    seconds: float  # one epoch of training steps
    step_seconds: float
    memory_bytes: int  # weights, gradients, Adam's slots and the activations of a batch
    basis: str  # how it was obtained, in words


REMEASURE_SECONDS = 300.0
_peak: dict[str, float] = {}  # the best rate measured in this process, and when


def matmul_flops(seconds: float = 0.3) -> float:
    """This machine's peak float32 matrix-multiply rate on one thread (FLOP/s).

    One thread and the fastest of many single products: with all threads, or with a
    mean over a window, the figure swung tenfold with the machine's load (the math
    library's threads wait for each other); this one moved by under 1 %. Still, one
    window can fall on a starved moment (a busy server): the rate is measured again
    every few minutes and the best one kept, so one bad window does not stay for the
    server's life.
    """
    now = time.monotonic()
    if "rate" not in _peak or now - _peak["at"] > REMEASURE_SECONDS:
        rate = _measure_matmul(seconds if "rate" not in _peak else seconds / 3)
        _peak["rate"] = max(rate, _peak.get("rate", 0.0))
        _peak["at"] = now
    return _peak["rate"]


def _measure_matmul(seconds: float) -> float:
    from threadpoolctl import threadpool_limits

    a = np.random.default_rng(0).random((384, 384), dtype=np.float32)
    best, start = float("inf"), time.perf_counter()
    with threadpool_limits(1):
        while time.perf_counter() - start < seconds:
            t0 = time.perf_counter()
            a @ a
            best = min(best, time.perf_counter() - t0)
    return 2 * 384**3 / best


def step_seconds(spec: ArchitectureSpec, batch_size: int, flops: float | None = None) -> float:
    """The estimated time of one training step of ``spec`` on ``batch_size`` images."""
    a = analyze(spec)
    work = (
        FLOPS_PER_LAYER * len(a.layers)
        + batch_size * FLOPS_PER_MAC * a.totals.macs
        + FLOPS_PER_PARAM * a.totals.total_params
    )
    return SHARED_MACHINE_MARGIN * work / (flops or matmul_flops())


def estimate_epoch_seconds(spec: ArchitectureSpec, n_train: int, batch_size: int) -> Estimate:
    """One epoch of ``n_train`` images (whole batches only, as the engine trains)."""
    step = step_seconds(spec, batch_size)
    steps = max(n_train // max(batch_size, 1), 1)
    memory = analyze(spec).memory(batch_size).total
    return Estimate(
        step * steps,
        step,
        memory,
        "from the network's layers, activations and MACs and this machine's measured speed",
    )


@dataclass(frozen=True)
class RunEstimate:
    """A whole run (or a group trained in lockstep) before it starts, in seconds."""

    compile_seconds: float  # building and compiling every network, its first step too
    epoch_seconds: float  # one epoch's training steps, every network's
    validation_seconds: float  # one epoch's validation, every network's
    epochs: int  # epochs spanned (the last may be cut short by ``steps``)
    steps: int  # training steps of each network over the whole run
    step_seconds: float  # one step of every network (a group: their sum)
    memory_bytes: int  # every network's training memory, together
    basis: str

    @property
    def training_seconds(self) -> float:
        return self.steps * self.step_seconds + self.epochs * self.validation_seconds

    @property
    def total_seconds(self) -> float:
        return self.compile_seconds + self.training_seconds

    @property
    def long(self) -> bool:
        return self.total_seconds > LONG_RUN_SECONDS

    def summary(self) -> str:
        """``compiling about 5 s, then about 3 s an epoch × 5: about 20 s in all``."""
        return (
            f"compiling about {duration(self.compile_seconds)}, then about "
            f"{duration(self.epoch_seconds + self.validation_seconds)} an epoch × "
            f"{self.epochs}: about {duration(self.total_seconds)} in all"
        )

    def warning(self, device: str = "CPU") -> str:
        """A plain sentence when the run will take many minutes (empty when it will not)."""
        if not self.long:
            return ""
        return (
            f"This run will take about {duration(self.total_seconds)} on this "
            f"{device} ({self.summary()}). Fewer epochs, fewer images or a "
            "smaller input make it shorter."
        )


def duration(seconds: float) -> str:
    """A time as a person reads it: ``40 s``, ``12 min``, ``1.5 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def compile_seconds(spec: ArchitectureSpec, batch_size: int, flops: float | None = None) -> float:
    """The estimated time from a run's start to its first trained step: build, probe,
    trace and compile the step, and run it once."""
    graph = COMPILE_SECONDS_PER_NETWORK + COMPILE_SECONDS_PER_LAYER * len(analyze(spec).layers)
    return graph + FIRST_STEPS * step_seconds(spec, batch_size, flops)


def estimate_run(
    specs: list[ArchitectureSpec],
    n_train: int,
    n_val: int,
    batch_size: int,
    epochs: int,
    steps: int = 0,
    flops: float | None = None,
) -> RunEstimate:
    """The run of ``specs`` (one network, or a group that trains in lockstep in one
    process: every batch, one step of each) on ``n_train`` training and ``n_val``
    validation images: compile, epochs and total. ``steps`` > 0 stops after that many
    steps, as :meth:`TrainSettings.total_steps` does."""
    rate = flops or matmul_flops()
    per_epoch = max(n_train // max(batch_size, 1), 1)  # whole batches, as trained
    total_steps = steps or per_epoch * epochs
    spanned = -(-total_steps // per_epoch)
    step = sum(step_seconds(s, batch_size, rate) for s in specs)
    # Validation runs the forward pass over n_val images in batches of at least 64.
    val_batch = max(batch_size, 64)
    validation = (
        sum(FORWARD_SHARE * step_seconds(s, val_batch, rate) for s in specs)
        * -(-n_val // val_batch)
        if n_val
        else 0.0
    )
    return RunEstimate(
        compile_seconds=sum(compile_seconds(s, batch_size, rate) for s in specs),
        epoch_seconds=step * per_epoch,
        validation_seconds=validation,
        epochs=spanned,
        steps=total_steps,
        step_seconds=step,
        memory_bytes=sum(analyze(s).memory(batch_size).total for s in specs),
        basis="from the networks' layers, activations and MACs and this machine's measured speed"
        if len(specs) > 1
        else "from the network's layers, activations and MACs and this machine's measured speed",
    )


@dataclass(frozen=True)
class Progress:
    """Where one member of a run (or group) stands, from the run store."""

    steps_left: int
    batch_size: int
    images_per_second: float | None  # measured; None until its first timed steps
    compile_seconds: float = 0.0  # estimated, while it has not trained a step yet


def seconds_left(members: list[Progress]) -> float | None:
    """The time left of runs trained in lockstep by one process (one network, a race, the
    degradation group). The engine steps a group's networks in one call per chunk and
    times each member by that call, so a member's speed already pays for its partners'
    steps: the group ends when its slowest member does, not after the sum of their own
    times. A member not yet timed (still compiling) counts at the mean speed of those
    timed, and its compile adds; None when none is timed."""
    timed = [m for m in members if m.images_per_second]
    if not timed:
        return None
    mean_ips = sum(m.images_per_second for m in timed) / len(timed)
    stepping = max(
        max(m.steps_left, 0) * m.batch_size / (m.images_per_second or mean_ips) for m in members
    )
    return stepping + sum(m.compile_seconds for m in members if not m.images_per_second)
