"""The time estimate before a run (resnet_core/training/estimate.py) against this machine.

For each network and input: the compile phase (build, probe, first step: what a run
spends before its first trained point) and the steady step (median of 12 after 3 warm-up
steps), each beside its estimate, with the ratio estimate / measured (the target is
within 2×). Keras's own ``train_on_batch``, as the engine trains.

    .venv/bin/python benchmarks/bench_estimate.py [--quick]

(--quick: the 8-layer CIFAR ResNet at 8×8×1 only, 1 warm-up and 3 timed steps: a check
that it runs, not figures to keep.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CASES = [
    ("cifar_resnet20", (8, 8, 1), 32),
    ("cifar_plain56", (8, 8, 1), 32),
    ("cifar_resnet56", (32, 32, 3), 32),
    ("resnet50", (8, 8, 1), 32),
    ("resnet50", (224, 224, 3), 8),
]
QUICK_CASE = ("cifar_resnet8", (8, 8, 1), 32)  # no preset: presets.cifar_resnet(8)


def measure(name: str, shape: tuple, batch: int, warm: int = 3, timed: int = 12) -> None:
    import keras
    import numpy as np

    from resnet_core import get_spec
    from resnet_core.presets import cifar_resnet
    from resnet_core.training import TrainSettings
    from resnet_core.training.estimate import compile_seconds, matmul_flops, step_seconds
    from resnet_core.training.training_model import build_training_model, compile_model

    spec = (cifar_resnet(8) if name == QUICK_CASE[0] else get_spec(name)).replace(input_shape=shape)
    settings = TrainSettings(batch_size=batch)
    x = np.random.default_rng(0).random((batch, *shape), dtype=np.float32)
    y = np.arange(batch) % 10
    t0 = time.perf_counter()
    model = build_training_model(spec, False, False, settings.bn_momentum(), "none")
    compile_model(model, settings, 100, jit=False)
    model(x, training=False)  # the engine's probe point
    model.train_on_batch(x, y)
    compiled = time.perf_counter() - t0
    for _ in range(warm):
        model.train_on_batch(x, y)
    steps = []
    for _ in range(timed):
        t = time.perf_counter()
        model.train_on_batch(x, y)
        steps.append(time.perf_counter() - t)
    step = statistics.median(steps)
    est_compile, est_step = compile_seconds(spec, batch), step_seconds(spec, batch)
    side = "×".join(map(str, shape))
    print(
        f"| {name}, {side}, batch {batch} | {est_compile:.1f} s | {compiled:.1f} s | "
        f"{est_compile / compiled:.2f} | {est_step:.3f} s | {step:.3f} s | "
        f"{est_step / step:.2f} |  (matmul {matmul_flops() / 1e9:.0f} GFLOP/s, load "
        f"{os.getloadavg()[0]:.1f})",
        flush=True,
    )
    keras.backend.clear_session()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="cifar_resnet8 only, 4 steps")
    args = ap.parse_args()
    print(
        "| network, input, batch | compile est. | measured | ratio | step est. | measured | ratio |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    if args.quick:
        measure(*QUICK_CASE, warm=1, timed=3)
    for case in () if args.quick else CASES:
        measure(*case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
