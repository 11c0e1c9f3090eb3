"""Benchmark: the deepest network of the papers (ResNet-1202, 4,209 layers) end to end.

Times the trace (analysis), the code export, the Keras build, saving and loading the
checkpoint; with ``--step``, one compiled training step on two CIFAR-sized images (on a
CPU this traces a graph of 4,209 layers with their gradients: minutes and gigabytes).
Before issue 10 the build failed with RecursionError (Keras maps a functional graph by
recursing once per layer); a spec beyond the layer limit is refused by the tracer at once.

Run: .venv/bin/python benchmarks/bench_deep_networks.py [--depth 1202] [--step] [--quick]
(--quick: an 8-layer network, with its step: a check that every part runs)
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resnet_core import analyze  # noqa: E402
from resnet_core.codegen import to_python  # noqa: E402
from resnet_core.limits import MAX_LAYERS  # noqa: E402
from resnet_core.presets import cifar_resnet  # noqa: E402
from resnet_core.spec import Stage  # noqa: E402


def timed(label, fn):
    start = time.perf_counter()
    value = fn()
    print(f"{label:<42} {time.perf_counter() - start:8.2f} s", flush=True)
    return value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depth", type=int, default=1202)
    ap.add_argument("--step", action="store_true", help="also one compiled training step")
    ap.add_argument("--quick", action="store_true", help="depth 8 and --step")
    args = ap.parse_args()
    if args.quick:
        args.depth, args.step = 8, True
    spec = cifar_resnet(args.depth)
    a = timed(f"trace + analysis ({spec.name})", lambda: analyze(spec))
    print(f"  {len(a.layers):,} layers, {a.totals.total_params:,} parameters, ok={a.ok}")
    too_deep = spec.replace(stages=tuple(Stage("basic", 500, 16) for _ in range(4)))
    refused = timed(f"trace of a spec over {MAX_LAYERS:,} layers", lambda: analyze(too_deep))
    print(f"  refused: {refused.error}")
    source = timed("code export", lambda: to_python(spec))
    print(f"  {len(source):,} characters")

    from resnet_core.build import build_model
    from resnet_core.training.checkpoints import load_checkpoint

    model = timed("Keras build", lambda: build_model(spec))
    path = Path(tempfile.mkdtemp(prefix="bench-deep-")) / "model.keras"
    timed("save (.keras)", lambda: model.save(path))
    loaded = timed("load (safe mode)", lambda: load_checkpoint(path))
    assert loaded.count_params() == model.count_params() == a.totals.total_params
    if args.step:
        import numpy as np

        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        x, y = np.zeros((2, *spec.input_shape), "float32"), np.zeros(2, "int64")
        timed("first training step (graph tracing)", lambda: model.train_on_batch(x, y))


if __name__ == "__main__":
    main()
