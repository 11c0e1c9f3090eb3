"""The live demo's figures, through the worker exactly as the app starts runs.

Prints, on this machine:
- the race of the 20-layer CIFAR pair on digits at the Race page's defaults: Start → both
  first points, Start → both first trained points, the whole race, final accuracies;
- Train → first trained point (after compilation) for cifar_resnet20 at the Train page's
  defaults;
- Stop → stopped for cifar_resnet56 at 32×32 and resnet50 at 224×224 (batch 8), with the
  measured step time;
- the estimate before starting against the measured epoch time (cifar_resnet20,
  cifar_resnet56, resnet50 at the defaults, resnet50 at 224×224).

    .venv/bin/python benchmarks/bench_live_demo.py [--skip-resnet50-224] [--quick]

(--quick: each measure once on 100 digits, one epoch, with the 8-layer CIFAR ResNet and
its plain twin in place of the 20-layer ones: a check that every part runs through the
worker, not figures to keep.)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["RESNET_EXPLORER_HOME"] = tempfile.mkdtemp(prefix="bench-live-")

from resnet_core import get_spec  # noqa: E402
from resnet_core.data import DataChoice  # noqa: E402
from resnet_core.presets import cifar_resnet, plain_twin  # noqa: E402
from resnet_core.training import (  # noqa: E402
    RunStore,
    TrainSettings,
    worker,  # noqa: E402
)
from resnet_core.training.estimate import estimate_epoch_seconds  # noqa: E402
from resnet_core.training.submit import plan_run, race_plans, submit_race, submit_run  # noqa: E402
from resnet_core.training.worker import ensure_worker, worker_alive  # noqa: E402

store = RunStore()
TRAIN_DEFAULTS = DataChoice(subset=600)  # the Train page's data defaults
RACE_DEFAULTS = DataChoice(subset=0)  # the Race page's: all the digits


def spec_of(name: str):
    return QUICK_NET if name == QUICK_NET.name else get_spec(name)


def wait(predicate, timeout=900, every=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    raise TimeoutError


def first_time(run_id, trained: bool):
    pts = [m for m in store.metrics(run_id, "batch") if m["step"] >= (1 if trained else 0)]
    return pts[0]["time"] if pts else None


QUICK = DataChoice(subset=100)
QUICK_NET = cifar_resnet(8)  # compiles in a fraction of the 20-layer network's time


def warm_worker(quick: bool = False):
    ensure_worker(store.home)
    wait(lambda: worker_alive(store.home), 60)
    time.sleep(
        1 if quick else 8
    )  # TensorFlow's import and runtime start, as when the page has been open


def race(quick: bool = False) -> None:
    net = QUICK_NET if quick else get_spec("cifar_resnet20")
    plans = race_plans([net, plain_twin(net)], QUICK if quick else RACE_DEFAULTS)
    t0 = time.time()
    ids = submit_race(
        store, plans, TrainSettings(epochs=1 if quick else 5, batch_size=32).to_dict()
    )
    firsts = [wait(lambda i=i: first_time(i, False)) for i in ids]
    trained = [wait(lambda i=i: first_time(i, True)) for i in ids]
    wait(lambda: all(not store.get(i).active for i in ids))
    end = max(store.metrics(i)[-1]["time"] for i in ids)
    print(
        f"race {net.name} vs its plain twin, digits ({'100' if quick else 'all'}), "
        f"{1 if quick else 5} epochs, batch 32:"
    )
    print(f"  Start → first points: {', '.join(f'{t - t0:.1f} s' for t in firsts)}")
    print(f"  Start → first trained points: {', '.join(f'{t - t0:.1f} s' for t in trained)}")
    print(f"  whole race: {end - t0:.1f} s")
    for i in ids:
        r = store.get(i)
        print(
            f"  {r.name}: {r.status}, final validation accuracy "
            f"{r.summary.get('val_accuracy'):.3f}, training loss "
            f"{r.summary['history'][-1]['loss']:.3f}"
        )


def first_trained_point(quick: bool = False) -> None:
    net = QUICK_NET if quick else get_spec("cifar_resnet20")
    plan = plan_run(net, QUICK if quick else TRAIN_DEFAULTS)
    t0 = time.time()
    run_id = submit_run(store, plan, TrainSettings(epochs=1, batch_size=32).to_dict())
    first = wait(lambda: first_time(run_id, False))
    trained = wait(lambda: first_time(run_id, True))
    wait(lambda: not store.get(run_id).active)
    digits = len(plan.prepared.x_train) + len(plan.prepared.x_val)
    print(
        f"Train → first point {first - t0:.1f} s, → first trained point "
        f"{trained - t0:.1f} s ({net.name}, digits {digits}, batch 32, worker warm)"
    )


def stop_latency(name: str, choice: DataChoice, batch: int) -> None:
    plan = plan_run(spec_of(name), choice)
    run_id = submit_run(store, plan, TrainSettings(epochs=50, batch_size=batch).to_dict())
    wait(lambda: len([m for m in store.metrics(run_id, "batch") if m["step"] >= 3]) > 0)
    # The first chunk (the compile) has no speed of its own: wait for a measured one.
    wait(lambda: any(m["images_per_second"] for m in store.metrics(run_id, "batch")))
    ips = next(
        m["images_per_second"]
        for m in reversed(store.metrics(run_id, "batch"))
        if m["images_per_second"]
    )
    t0 = time.time()
    store.request_stop(run_id)
    wait(lambda: store.get(run_id).status == "stopped", every=0.01)
    took = time.time() - t0
    print(
        f"Stop → stopped {took:.2f} s for {name} at "
        f"{'×'.join(map(str, plan.spec.input_shape))}, batch {batch} "
        f"(measured step {batch / ips:.2f} s)"
    )


def estimate_vs_measured(name: str, choice: DataChoice, batch: int, epochs: int = 2):
    plan = plan_run(spec_of(name), choice)
    n = len(plan.prepared.x_train)
    estimate = estimate_epoch_seconds(plan.spec, n, batch).seconds
    run_id = submit_run(store, plan, TrainSettings(epochs=epochs, batch_size=batch).to_dict())
    wait(lambda: not store.get(run_id).active)
    ips = store.get(run_id).summary["images_per_second"]
    measured = (n // batch) * batch / ips
    shape = "×".join(map(str, plan.spec.input_shape))
    print(
        f"epoch estimate {estimate:7.1f} s, measured {measured:7.1f} s, ratio "
        f"{estimate / measured:4.2f}: {name} at {shape}, {n} images, batch {batch}"
    )


def stop_worker() -> None:
    """End the worker this benchmark started (idle, it would wait minutes) and drop its
    scratch store."""
    worker.stop_worker(store.home)
    shutil.rmtree(store.home, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-resnet50-224", action="store_true")
    ap.add_argument("--quick", action="store_true", help="each part once, small")
    args = ap.parse_args()
    print(f"store: {store.home}")
    try:
        return measure(args)
    finally:
        stop_worker()


def measure(args) -> int:
    warm_worker(args.quick)
    first_trained_point(args.quick)
    race(args.quick)
    if args.quick:
        stop_latency(QUICK_NET.name, QUICK, 32)
        estimate_vs_measured(QUICK_NET.name, QUICK, 32, epochs=1)
        return 0
    stop_latency("cifar_resnet56", DataChoice(subset=600, fit="resize"), 32)
    if not args.skip_resnet50_224:
        stop_latency("resnet50", DataChoice(subset=200, fit="resize"), 8)
    estimate_vs_measured("cifar_resnet20", TRAIN_DEFAULTS, 32)
    estimate_vs_measured("cifar_resnet56", TRAIN_DEFAULTS, 32)
    estimate_vs_measured("resnet50", TRAIN_DEFAULTS, 32)
    estimate_vs_measured("cifar_resnet56", DataChoice(subset=600, fit="resize"), 32)
    if not args.skip_resnet50_224:
        estimate_vs_measured("resnet50", DataChoice(subset=100, fit="resize"), 8)
    return 0


if __name__ == "__main__":
    sys.exit(main())
