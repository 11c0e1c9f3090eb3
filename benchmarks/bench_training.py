"""Benchmark: the app's training path against a bare `model.fit`, and accuracy on digits.

Targets (issue 4): the training path reaches >= 0.95x the images per second of a bare
`model.fit` on the same model, data and batch size (live metrics must not slow it);
cifar_resnet20 on the digits reaches >= 90 % validation accuracy within a few minutes.

Throughput: the same model, data, batch and seed are fitted twice, once bare and once
with the app's callbacks (live metrics every few batches, stop checks, checkpoint,
TensorBoard); an epoch-level timer (no batch hooks) measures each epoch's training
phase, epoch 1 (graph tracing) left out. Accuracy: a whole run through submit_run and
engine.execute, exactly as the worker trains it.

Run: .venv/bin/python benchmarks/bench_training.py [--epochs N] [--batch B]
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

from resnet_core import get_spec  # noqa: E402
from resnet_core.build import build_model  # noqa: E402
from resnet_core.data import DataChoice, load, prepare  # noqa: E402
from resnet_core.training import RunStore, TrainSettings  # noqa: E402
from resnet_core.training.engine import compile_model, execute, training_callbacks  # noqa: E402
from resnet_core.training.submit import submit_run  # noqa: E402

DATA = {"source": "digits", "subset": 0, "fit": "adapt", "seed": 0}


class EpochTimer(keras.callbacks.Callback):
    """Training-phase seconds of each epoch (until validation starts)."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()

    def on_test_begin(self, logs=None):
        self.seconds.append(time.perf_counter() - self.t0)


def throughput(with_app_callbacks: bool, epochs: int, batch: int) -> float:
    choice = DataChoice.from_dict(DATA)
    data = prepare(load(choice), get_spec("cifar_resnet20"), choice)
    x, xv = data.x_train.astype("float32") / 255.0, data.x_val.astype("float32") / 255.0
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = build_model(data.spec)
    settings = TrainSettings(batch_size=batch, epochs=epochs, learning_rate=1e-3)
    steps = -(-len(x) // batch)
    timer = EpochTimer()
    callbacks = [timer]
    if with_app_callbacks:  # exactly the engine's compile and callbacks
        compile_model(model, settings, steps, jit=False)
        store = RunStore(tempfile.mkdtemp(prefix="bench-"))
        run_id = store.create("bench", {}, {}, {})
        _, app = training_callbacks(store, run_id, settings, len(x), 0, steps,
                                    probe=(x[:batch], data.y_train[:batch]))
        callbacks = app + callbacks
    else:  # a bare model.fit: Keras's defaults, no callbacks of ours
        model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False,
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, data.y_train, batch_size=batch, epochs=epochs, validation_data=(xv, data.y_val),
              callbacks=callbacks, verbose=0)
    return statistics.median(len(x) / s for s in timer.seconds[1:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    rounds = [(throughput(False, args.epochs, args.batch),
               throughput(True, args.epochs, args.batch)) for _ in range(3)]
    bare = statistics.median(r[0] for r in rounds)
    app = statistics.median(r[1] for r in rounds)
    print(f"cifar_resnet20 on digits (1,437 train / 360 validation), batch {args.batch}:")
    print(f"  bare model.fit:              {bare:,.0f} images/s")
    print(f"  with the app's callbacks:    {app:,.0f} images/s")
    print(f"  ratio {app / bare:.3f} (target >= 0.95: {'met' if app / bare >= 0.95 else 'NOT met'})"
          f"; rounds: {', '.join(f'{a / b:.3f}' for b, a in rounds)}")

    store = RunStore(tempfile.mkdtemp(prefix="bench-"))
    run_id = submit_run(store, get_spec("cifar_resnet20"), DATA,
                        {"epochs": args.epochs, "batch_size": args.batch})
    t = time.perf_counter()
    summary = execute(store, run_id)
    wall = time.perf_counter() - t
    accs = [h["val_accuracy"] for h in summary["history"]]
    print(f"  full run (submit_run + execute): validation accuracy by epoch "
          f"{', '.join(f'{a:.3f}' for a in accs)}; {wall:.1f} s in all "
          f"(target >= 0.90: {'met' if max(accs) >= 0.9 else 'NOT met'})")


if __name__ == "__main__":
    main()
