"""The experiments of Inside the networks on a trained pair: time and figures.

Trains cifar_resnet20 and its plain twin together on the digits (8×8×1, the network
adapted to them), then times each experiment on both, in this process (TensorFlow
already loaded), and the loss landscape once more as the page runs it: the command
line in a child process (TensorFlow's start and the checkpoint's load included).

    .venv/bin/python benchmarks/bench_experiments.py            # 21×21 on 512 images
    .venv/bin/python benchmarks/bench_experiments.py --quick

(--quick: every part once, small: the 8-layer pair, 20 steps, lesion on 100 images with
2 sets per k, a 3×3 landscape on 32 images, responses on 32: a check that it runs, not
figures to keep.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["RESNET_EXPLORER_HOME"] = tempfile.mkdtemp(prefix="bench-experiments-")

from resnet_core import get_spec  # noqa: E402
from resnet_core.data import DataChoice  # noqa: E402
from resnet_core.experiments import compute, landscape, lesion, responses  # noqa: E402
from resnet_core.presets import cifar_resnet, plain_twin  # noqa: E402
from resnet_core.training import RunStore, TrainSettings  # noqa: E402
from resnet_core.training.engine import execute_group  # noqa: E402
from resnet_core.training.submit import race_plans, submit_race  # noqa: E402


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="the 8-layer pair, 20 steps, a 3×3 grid, few images"
    )
    ap.add_argument("--steps", type=int, help="training steps (default 300; quick: 20)")
    ap.add_argument("--grid", type=int, help="landscape grid (default 21; quick: 3)")
    ap.add_argument("--images", type=int, default=512, help="landscape images")
    args = ap.parse_args()
    steps = args.steps or (20 if args.quick else 300)
    grid = args.grid or (3 if args.quick else 21)
    images = 32 if args.quick else args.images
    lesion_params = {"samples": 2, "images": 100} if args.quick else {"samples": 5, "images": 1000}
    response_images = 32 if args.quick else 256
    store = RunStore()
    spec = cifar_resnet(8) if args.quick else get_spec("cifar_resnet20")  # quick: 3 blocks
    plans = race_plans([spec, plain_twin(spec)], DataChoice(source="digits"))
    ids = submit_race(
        store, plans, TrainSettings(steps=steps, batch_size=32, log_every=50).to_dict()
    )
    _, train_s = timed(lambda: execute_group(store, ids))
    accs = [store.get(i).summary.get("val_accuracy") for i in ids]
    print(
        f"trained {spec.name} and its plain twin on the digits, {steps} steps, batch "
        f"32: {train_s:.0f} s; validation accuracy {accs[0]:.3f} / {accs[1]:.3f}"
    )

    out, s = timed(lambda: compute(store, "lesion", ids, lesion_params))
    res, pla = out["runs"]
    print(
        f"\nlesion (both networks, {len(res['single'])} single deletions, up to "
        f"{lesion_params['samples']} sets per k, {res['images']} images): {s:.1f} s"
    )
    for r in (res, pla):
        print(
            f"  {r['network']:<22} full {r['baseline']:.3f}  one deleted: mean "
            f"{r['baseline'] - lesion.mean_drop(r):.3f}, each "
            + " ".join(f"{x['accuracy']:.2f}" for x in r["single"])
            + "  | k random: "
            + " ".join(f"{p['mean']:.2f}" for p in r["random"])
        )
    print(f"  {out['sentence']}")

    out, s = timed(lambda: compute(store, "landscape", ids, {"grid": grid, "images": images}))
    print(
        f"\nlandscape {grid}×{grid} on {images} images, both networks, in process: "
        f"{s:.1f} s ({s / 2:.1f} s per network)"
    )
    for r in out["runs"]:
        c = grid // 2
        print(
            f"  {r['network']:<22} centre {r['centre_loss']:.4f}; half a step away "
            f"{landscape.ring_loss(r):.3f}; corners "
            + " ".join(f"{r['loss'][i][j]:.2f}" for i in (0, -1) for j in (0, -1))
            + f"; centre lowest on both slices: {landscape.centre_is_lowest(r)}; local "
            f"minima {landscape.local_minima(r)}; slice along δ "
            + " ".join(f"{v:.2f}" for v in r["slice_alpha"][:: max(1, c // 3)])
        )
    print(f"  {out['sentence']}")
    cmd = [
        sys.executable,
        "-m",
        "resnet_core",
        "landscape",
        ids[0],
        "--alone",
        "--fresh",
        "--grid",
        str(grid),
        "--images",
        str(images),
        "--json",
    ]
    done, s = timed(lambda: subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True))
    print(
        f"  as the page runs it (child process, one network, TensorFlow's start and the "
        f"checkpoint's load included): {s:.1f} s, exit {done.returncode}"
    )
    if done.returncode:  # the page's path failed: say why, and fail the benchmark
        print(done.stderr[-2000:])

    out, s = timed(
        lambda: compute(store, "responses", ids, {"image": 0, "images": response_images})
    )
    print(f"\nresponses (both networks, {response_images} images): {s:.1f} s")
    for r in out["runs"]:
        ratios = [b["branch_ratio"] for b in r["blocks"] if b["branch_ratio"] is not None]
        print(
            f"  {r['network']:<22} mean response std {responses.mean_std(r):.3f}; "
            f"branch/input per block "
            + (" ".join(f"{v:.2f}" for v in ratios) if ratios else "—")
            + "; change/input "
            + " ".join(
                f"{b['change_ratio']:.2f}" for b in r["blocks"] if b["change_ratio"] is not None
            )
        )
    print(f"  {out['sentence']}")
    load = os.getloadavg()
    print(f"\nload average during the run: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    return 1 if done.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
