"""Time and memory of a training run, estimated before it starts.

A training step costs a fixed amount per layer (framework overhead, small kernels) and
an amount per multiply-accumulate of the forward pass (with the backward pass). Both are
expressed in multiples of this machine's measured matrix-multiply rate, so the estimate
follows the machine (and its load). The constants were fitted to measured steps of
cifar_resnet20/56 at 8×8 and 32×32, seed_resnet50 at 64×64 and resnet50 at 224×224 on a
2-core CPU (``benchmarks/bench_estimate.py`` prints estimate and measurement side by
side); a GPU has other constants, so there the figure is rougher.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..analysis import analyze
from ..spec import ArchitectureSpec

# Fitted constants, in FLOPs at the machine's peak matrix-multiply rate (see the module
# docstring): convolutions with their backward pass reach about a fifth of that peak.
FLOPS_PER_LAYER = 3.0e7  # per layer and step: overhead that does not grow with the batch
FLOPS_PER_MAC = 10.0  # per forward MAC and image, backward pass included


@dataclass(frozen=True)
class Estimate:
    seconds: float  # one epoch of training steps
    step_seconds: float
    memory_bytes: int  # weights, gradients, Adam's slots and the activations of a batch
    basis: str  # how it was obtained, in words


@lru_cache(maxsize=1)
def matmul_flops(repeats: int = 30) -> float:
    """This machine's peak float32 matrix-multiply rate (FLOP/s), measured once a process.

    The fastest of many single products: a mean over a time window swings threefold with
    the machine's load and the math library's warm-up; the fastest one hardly moves.
    """
    a = np.random.default_rng(0).random((384, 384), dtype=np.float32)
    best = float("inf")
    for _ in range(repeats + 3):
        t0 = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t0)
    return 2 * 384**3 / best


def step_seconds(spec: ArchitectureSpec, batch_size: int, flops: float | None = None) -> float:
    """The estimated time of one training step of ``spec`` on ``batch_size`` images."""
    a = analyze(spec)
    work = FLOPS_PER_LAYER * len(a.layers) + batch_size * FLOPS_PER_MAC * a.totals.macs
    return work / (flops or matmul_flops())


def estimate_epoch_seconds(spec: ArchitectureSpec, n_train: int, batch_size: int) -> Estimate:
    """One epoch of ``n_train`` images (whole batches only, as the engine trains)."""
    step = step_seconds(spec, batch_size)
    steps = max(n_train // max(batch_size, 1), 1)
    memory = analyze(spec).memory(batch_size).total
    return Estimate(step * steps, step, memory,
                    "from the network's layers, activations and MACs and this machine's "
                    "measured speed")
