"""The degradation experiment at the Learn page's defaults: wall time and final errors.

He et al. 2015's four networks (plain/residual, 20 and 56 layers) trained as one group
on all the embedded digits, 8 epochs, batch 32, through the same path as the page.

    .venv/bin/python benchmarks/bench_degradation.py [--epochs 8] [--quick]

(--quick: the same group path with two networks, the 8-layer plain and residual ones,
one epoch on 100 images: a check that the group runs, not figures to keep.)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["RESNET_EXPLORER_HOME"] = tempfile.mkdtemp(prefix="bench-degradation-")

from resnet_core import get_spec  # noqa: E402
from resnet_core.data import DataChoice  # noqa: E402
from resnet_core.presets import DEGRADATION_SET, cifar_resnet  # noqa: E402
from resnet_core.training import RunStore, TrainSettings  # noqa: E402
from resnet_core.training.engine import execute_group  # noqa: E402
from resnet_core.training.submit import race_plans, submit_race  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument(
        "--quick", action="store_true", help="plain/residual 8 layers, 1 epoch on 100 images"
    )
    args = ap.parse_args()
    subset = 100 if args.quick else 0
    if args.quick:  # tracing the group's one function is most of a short run: keep it small
        args.epochs = 1
        specs = [cifar_resnet(8, plain=True), cifar_resnet(8)]
    else:
        specs = [get_spec(n) for n in DEGRADATION_SET]
    store = RunStore()
    t0 = time.perf_counter()
    plans = race_plans(specs, DataChoice(subset=subset))
    ids = submit_race(store, plans, TrainSettings(epochs=args.epochs, batch_size=32).to_dict())
    summaries = execute_group(store, ids)
    wall = time.perf_counter() - t0
    print(
        f"degradation experiment, digits ({subset or 'all'}), {args.epochs} epochs, "
        "batch 32: "
        f"{wall:.1f} s in all (data, builds, compiles, training, checkpoints)"
    )
    for s in summaries:
        last = s["history"][-1]
        print(
            f"  {s['name']:<16} training error {1 - last['accuracy']:6.1%}  "
            f"validation error {1 - last['val_accuracy']:6.1%}  ({s['status']})"
        )
    return 0 if all(s["status"] == "completed" for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
