"""Benchmark: seconds per training step on Keras's JAX backend on the CPU (issue 21).

Three ways to take the same steps of cifar_resnet20 on random 32x32 images:
- ``while``: ``JaxChunks`` with the chunk as one ``jax.jit`` of a ``lax.while_loop``
  (the GPU path),
- ``host``: ``JaxChunks`` with a Python loop over one jitted step (the CPU path),
- ``train_on_batch``: Keras's own per-step call (jitted).
Each is warmed up by one chunk (the compile), then timed over ``--steps`` steps per
round; the median of the rounds is printed, in seconds per step.

Run: .venv/bin/python benchmarks/bench_jax_chunks.py [--steps K] [--batch B] [--rounds R]
     [--quick]   (--quick: cifar_resnet8, batch 8, 2 steps, 1 round: a check that it
     runs, not figures to keep)
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"  # before Keras is imported
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from resnet_core import get_spec  # noqa: E402
from resnet_core.presets import cifar_resnet  # noqa: E402
from resnet_core.training.chunks import JaxChunks  # noqa: E402
from resnet_core.training.training_model import build_training_model  # noqa: E402


def model_of(spec):
    keras.utils.set_random_seed(0)
    model = build_training_model(spec, augment=False, mixed=False)
    model.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=True,
    )
    return model


def seconds_per_step(spec, way: str, x, y, steps: int, rounds: int) -> float:
    batch = len(x) // (steps * (rounds + 1))
    idx = np.arange(batch * steps * (rounds + 1)).reshape(rounds + 1, steps, batch)
    model = model_of(spec)
    times = []
    if way == "train_on_batch":
        for r in range(rounds + 1):  # round 0 carries the compile
            t = time.perf_counter()
            for rows in idx[r]:
                model.train_on_batch(x[rows], y[rows])
            times.append((time.perf_counter() - t) / steps)
    else:
        runner = JaxChunks([model], [(x, y)], host_loop=way == "host")
        for r in range(rounds + 1):
            t = time.perf_counter()
            (result,) = runner.run(idx[r])
            assert len(result.loss) == steps
            times.append((time.perf_counter() - t) / steps)
    return statistics.median(times[1:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="cifar_resnet8, batch 8, 2 steps")
    args = ap.parse_args()
    if args.quick:
        args.steps, args.batch, args.rounds = 2, 8, 1
    spec = cifar_resnet(8) if args.quick else get_spec("cifar_resnet20")
    n = args.batch * args.steps * (args.rounds + 1)
    rng = np.random.default_rng(0)
    x = rng.random((n, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, n).astype("int32")
    import jax

    print(
        f"{spec.name}, batch {args.batch}, {args.steps} steps per chunk, "
        f"median of {args.rounds} rounds, JAX on {jax.devices()[0].platform}"
    )
    for way in ("while", "host", "train_on_batch"):
        s = seconds_per_step(spec, way, x, y, args.steps, args.rounds)
        print(f"{way:>15}: {s:.3f} s/step")


if __name__ == "__main__":
    main()
