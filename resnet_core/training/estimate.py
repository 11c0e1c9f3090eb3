"""Time and memory of a training run, estimated before it starts.

A training step costs a fixed amount per layer (framework overhead, small kernels), an
amount per multiply-accumulate of the forward pass (with the backward pass) and an amount
per parameter (the optimizer's update reads and writes every weight and its slots). All
three are expressed in multiples of this machine's peak matrix-multiply rate on one
thread, so the estimate follows the machine. The constants were fitted to measured steps of
cifar_resnet20/56 at 8×8 and 32×32 and resnet50 at 8×8 and 224×224 on an idle 2-core CPU
(``benchmarks/bench_live_demo.py`` prints estimate and measurement side by side); a
loaded machine is slower than estimated, and a GPU has other constants.
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
    work = (FLOPS_PER_LAYER * len(a.layers) + batch_size * FLOPS_PER_MAC * a.totals.macs
            + FLOPS_PER_PARAM * a.totals.total_params)
    return work / (flops or matmul_flops())


def estimate_epoch_seconds(spec: ArchitectureSpec, n_train: int, batch_size: int) -> Estimate:
    """One epoch of ``n_train`` images (whole batches only, as the engine trains)."""
    step = step_seconds(spec, batch_size)
    steps = max(n_train // max(batch_size, 1), 1)
    memory = analyze(spec).memory(batch_size).total
    return Estimate(step * steps, step, memory,
                    "from the network's layers, activations and MACs and this machine's "
                    "measured speed")
