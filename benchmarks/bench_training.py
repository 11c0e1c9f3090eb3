"""Benchmark: the app's training path against a bare `model.fit`, and accuracy on digits.

Targets (issues 4, 21): the training path reaches >= 1.0x the images per second of a bare
`model.fit` on the same model, data and batch size (live metrics must not slow it);
cifar_resnet20 on the digits reaches >= 90 % validation accuracy within a few minutes.

The app side is a whole run through ``plan_run`` + ``submit_run`` + ``engine.execute``,
exactly as the worker trains it (chunks of steps per device call, live points in the run
store, stop polls, validation, checkpoints, predictions). Its speed is taken two ways:
wall time between live points inside epochs 2+ (the loop's own overhead included; the
ratio uses this one) and the engine's own figure (time inside the chunk calls only).
The bare side is the same model (``build_training_model``), optimizer, batch, seed and
whole batches, fitted with Keras's defaults and an epoch timer only; epochs 2+ count
(epoch 1 carries the graph's tracing). Three rounds; medians.

Run: .venv/bin/python benchmarks/bench_training.py [--epochs N] [--batch B] [--rounds R]
     [--quick]   (--quick: the 8-layer CIFAR ResNet, 200 images, 2 epochs, 1 round: a
     check that it runs, not figures to keep)
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
from gpu_check import app_figures, epoch_timer  # noqa: E402 - same figures as the GPU check

from resnet_core import get_spec  # noqa: E402
from resnet_core.data import DataChoice  # noqa: E402
from resnet_core.presets import cifar_resnet  # noqa: E402
from resnet_core.training import RunStore  # noqa: E402
from resnet_core.training.engine import execute  # noqa: E402
from resnet_core.training.submit import plan_run, submit_run  # noqa: E402
from resnet_core.training.training_model import build_training_model  # noqa: E402

CHOICE = DataChoice(source="digits", fit="adapt", seed=0)
QUICK = DataChoice(source="digits", fit="adapt", seed=0, subset=200)


def bare_fit(plan, epochs: int, batch: int) -> float:
    """Images/s of a bare model.fit, median of epochs 2+."""
    p = plan.prepared
    n = len(p.x_train) // batch * batch  # whole batches, as the app trains
    x, y = p.x_train[:n].astype("float32") / 255.0, p.y_train[:n]
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = build_training_model(plan.spec, augment=False, mixed=False)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        jit_compile=False,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    timer = epoch_timer()
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[timer])
    return statistics.median(n / s for s in timer.seconds[1:])


def app_run(plan, epochs: int, batch: int, log_every: int | None = None) -> dict:
    """A whole run through the app's path; its speeds, accuracies and wall time."""
    keras.backend.clear_session()
    store = RunStore(tempfile.mkdtemp(prefix="bench-"))
    run_id = submit_run(
        store,
        plan,
        {
            "epochs": epochs,
            "batch_size": batch,
            "learning_rate": 1e-3,
            "optimizer": "adam",
            "mixed_precision": "off",
            "xla": "off",
            **({"log_every": log_every} if log_every else {}),
        },
    )
    t = time.time()
    summary = execute(store, run_id)
    if summary["status"] != "completed":
        raise SystemExit(f"the app's run failed: {summary.get('error')}")
    figures = app_figures(store, run_id, t)
    return {
        "wall": figures["images_per_second_wall"],
        "engine": summary["images_per_second"],
        "accuracy": [h["val_accuracy"] for h in summary["history"]],
        "seconds": time.time() - t,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--quick", action="store_true", help="cifar_resnet8, 200 images, 2 epochs, 1 round"
    )
    args = ap.parse_args()
    if args.quick:
        args.epochs, args.rounds = 2, 1
    spec = cifar_resnet(8) if args.quick else get_spec("cifar_resnet20")
    plan = plan_run(spec, QUICK if args.quick else CHOICE)
    # quick: an epoch of 5 steps still needs two live points for the wall figure
    log_every = 2 if args.quick else None  # else the app's default
    rounds = [
        (bare_fit(plan, args.epochs, args.batch), app_run(plan, args.epochs, args.batch, log_every))
        for _ in range(args.rounds)
    ]
    bare = statistics.median(b for b, _ in rounds)
    wall = statistics.median(a["wall"] for _, a in rounds)
    engine = statistics.median(a["engine"] for _, a in rounds)
    ratios = [a["wall"] / b for b, a in rounds]
    ratio = statistics.median(ratios)
    n_train, n_val = len(plan.prepared.x_train), len(plan.prepared.x_val)
    print(
        f"{spec.name} on digits ({n_train:,} train / {n_val} validation, whole batches "
        f"of {args.batch}), {args.epochs} epochs, Keras {keras.__version__} on "
        f"{keras.backend.backend()}:"
    )
    print(f"  bare model.fit:                         {bare:,.0f} images/s")
    print(f"  app path (execute), wall between points: {wall:,.0f} images/s")
    print(f"  app path, engine's figure (in steps):   {engine:,.0f} images/s")
    print(
        f"  ratio app/bare {ratio:.3f} (target >= 1.0 on a CPU: "
        f"{'met' if ratio >= 1.0 else 'NOT met'}); rounds: "
        f"{', '.join(f'{r:.3f}' for r in ratios)}"
    )
    first = rounds[0][1]
    print(
        f"  full run (submit_run + execute): validation accuracy by epoch "
        f"{', '.join(f'{a:.3f}' for a in first['accuracy'])}; {first['seconds']:.1f} s in all "
        f"(target >= 0.90: {'met' if max(first['accuracy']) >= 0.9 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
