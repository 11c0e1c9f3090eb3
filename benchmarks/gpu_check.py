"""GPU check in one command: devices, then the app's training path against a bare `model.fit`.

What it measures, for cifar_resnet20, cifar_resnet56 and resnet18 (adapted to 32×32×3
and 10 classes), mixed precision off/on × XLA on/off, at each ``--batch`` (256; the issue's
range is 128–512) on a GPU; one small CPU configuration without one:

* the app path: a RunStore in a scratch RESNET_EXPLORER_HOME, ``plan_run`` +
  ``submit_run`` on an uploaded ``.npz`` (CIFAR-10 from Keras's cache when it is there,
  else generated 32×32×3 images with class-dependent colours and stripes, so the loss
  must fall), then ``engine.execute`` exactly as the worker runs it. Figures: images/s
  over wall time between live points (the loop's own overhead included) and the
  engine's figure (time inside the chunk calls only), time to the first trained point
  (from calling ``execute``), the first step alone (tracing + compiling), peak GPU
  memory, first and last chunk loss.
* a bare ``model.fit`` of the same model (``build_training_model``, no augmentation),
  same optimizer, batch and images (whole batches), no callbacks of ours: images/s over
  epochs 2+ (epoch 1 carries the compile), loss of each epoch.
* ratio app/bare (wall figures), and checks: losses finite and falling on both sides.

Each configuration runs in its own process (clean peak memory; a crash or a time-out
loses only that one); figures are written to ``--out`` after every configuration. A
time budget (``--budget``, seconds for the whole check) skips what would not fit and
says so. On the JAX backend ``jit_compile=False`` makes Keras run the train step
un-jitted, op by op (each JAX op dispatched on its own), so "XLA off" there is eager
mode, run on fewer images. Every process compiles cold, as the app does
(``--compile-cache`` shares a JAX compilation cache between the app and the bare fit).

The Keras backend: ``--backend tensorflow|jax|torch`` (it sets KERAS_BACKEND before
Keras is imported), else KERAS_BACKEND, else Keras's default (TensorFlow). A GPU machine
may have no TensorFlow: when the chosen backend's package is not installed the check
says so in one line and exits with status 2.

Run: python benchmarks/gpu_check.py --out FIGURES.json [--backend jax] [--budget 280]
         [--batch 128 512] [--cpu] [--quick]
     (--cpu: the CPU path, cifar_resnet20 on 400 images; --quick: the same path with the
      8-layer CIFAR ResNet on 192 images in one child process: what the test suite runs)
     (exit status 0 when every check passed, 1 when one failed, 2 when the backend is
      missing)
On a lent GPU machine, one command of a few minutes:
     python benchmarks/gpu_check.py --backend jax --out $OUT/gpu_check.json --budget 280
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODELS = ("cifar_resnet20", "cifar_resnet56", "resnet18")  # resnet18: adapted to 32×32
BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}  # Keras → package
MISSING_BACKEND = 2  # exit status when the backend's package is not installed
VAL_SPLIT = 0.1
GPU_BATCH, GPU_IMAGES, GPU_EPOCHS = 256, 20480, 3
EAGER_IMAGES, EAGER_EPOCHS = 1536, 2  # JAX with jit off: op by op, far slower (5 steps/epoch)
CPU_BATCH, CPU_IMAGES, CPU_EPOCHS = 32, 400, 2  # two epochs: the bare fit times the second
QUICK_MODEL, QUICK_IMAGES = "cifar_resnet8", 192  # --quick: compiles in a few seconds
MIN_START_SECONDS = 25  # do not start a configuration with less budget than this left


def say(*args) -> None:
    print(*args, flush=True)


# ---------------------------------------------------------------------- backend
def chosen_backend(flag: str | None) -> str:
    """The Keras backend the children will start, found without importing Keras: the
    flag, else KERAS_BACKEND, else Keras's config file, else its default."""
    if flag:
        return flag
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    try:
        return json.loads((home / "keras.json").read_text()).get("backend") or "tensorflow"
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def backend_missing(backend: str) -> str:
    """Why ``backend`` cannot start in this Python, in one line ('' when it can)."""
    choose = "choose one with --backend or KERAS_BACKEND: " + ", ".join(BACKENDS)
    if backend not in BACKENDS:
        return f"gpu_check: Keras has no backend {backend!r}; {choose}"
    for package in ("keras", BACKENDS[backend]):
        if importlib.util.find_spec(package) is None:
            return (
                f"gpu_check: the {backend} backend needs the Python package "
                f"'{package}', which is not installed in {sys.executable}; install it "
                f"there, or {choose}"
            )
    return ""


def model_spec(name: str):
    """A preset's spec, or the CIFAR ResNet of depth N for ``cifar_resnetN`` (the quick
    mode's 8 layers are no preset)."""
    from resnet_core import get_spec
    from resnet_core.presets import PRESETS, cifar_resnet

    depth = re.fullmatch(r"cifar_resnet(\d+)", name)
    if name not in PRESETS and depth:
        return cifar_resnet(int(depth[1]))
    return get_spec(name)


# ------------------------------------------------------------------------- data
def generated_images(n: int, classes: int = 10, size: int = 32, seed: int = 0):
    """CIFAR-shaped uint8 images a ResNet learns in a few hundred steps: each class has
    its own colour and stripe direction/frequency, under colour jitter and noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % classes)
    palette = rng.uniform(50, 205, (classes, 3)).astype("float32")
    angle = np.pi * np.arange(classes) / classes
    freq = 2 * np.pi * (2 + np.arange(classes) % 3) / size
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    stripes = np.sin(
        (xx[None] * np.cos(angle)[:, None, None] + yy[None] * np.sin(angle)[:, None, None])
        * freq[:, None, None]
    )
    x = np.empty((n, size, size, 3), np.uint8)
    for i in range(0, n, 2048):  # in slices: float32 copies of 20k images are 250 MB
        yb = y[i : i + 2048]
        img = (
            palette[yb][:, None, None, :]
            + 40 * stripes[yb][..., None]
            + rng.normal(0, 25, (len(yb), 1, 1, 3))  # per-image colour jitter
            + rng.normal(0, 20, (len(yb), size, size, 3))
        )
        x[i : i + 2048] = np.clip(img, 0, 255).astype(np.uint8)
    return x, y.astype("int64")


def write_data(path: Path, n: int) -> dict:
    """CIFAR-10 from Keras's cache when it is there (never downloaded), else generated."""
    import numpy as np

    from resnet_core.data.datasets import keras_cache_dir

    cache = keras_cache_dir()
    if any(cache.glob("cifar-10-batches-py*/**/data_batch_1")):
        try:
            from resnet_core.data import DataChoice, load

            ds = load(DataChoice(source="cifar10"))
            order = np.random.default_rng(0).permutation(len(ds.x))[:n]
            np.savez(path, x=ds.x[order], y=ds.y[order])
            return {"source": f"CIFAR-10 from Keras's cache ({cache})", "images": int(n)}
        except Exception as exc:  # noqa: BLE001 - fall back to generated data
            say(f"  CIFAR-10 in the cache could not be read ({exc}); generating data")
    x, y = generated_images(n)
    np.savez(path, x=x, y=y)
    return {"source": "generated (class colour + stripes + noise), 10 classes", "images": int(n)}


# ---------------------------------------------------------------------- devices
def nvidia_smi() -> list[dict]:
    exe = shutil.which("nvidia-smi")
    if not exe:
        return []
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    rows = []
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3:
            rows.append({"name": parts[0], "memory_total": parts[1], "driver": parts[2]})
    return rows


def backend_devices() -> dict:
    """The Keras backend, its versions and its own device list."""
    import keras
    import numpy as np

    backend = keras.backend.backend()
    info = {
        "backend": backend,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "keras": keras.__version__,
        },
        "devices": [],
        "gpu_count": 0,
    }
    if backend == "jax":
        import jax
        import jaxlib

        info["versions"].update(jax=jax.__version__, jaxlib=jaxlib.__version__)
        for d in jax.devices():
            stats = _memory_stats(d)
            info["devices"].append(
                {
                    "name": str(d),
                    "kind": d.device_kind,
                    "platform": d.platform,
                    "memory_limit_bytes": stats.get("bytes_limit"),
                }
            )
        info["gpu_count"] = sum(d.platform == "gpu" for d in jax.devices())
    elif backend == "tensorflow":
        import tensorflow as tf

        build = tf.sysconfig.get_build_info()
        info["versions"].update(
            tensorflow=tf.__version__,
            cuda=build.get("cuda_version"),
            cudnn=build.get("cudnn_version"),
        )
        for d in tf.config.list_physical_devices():
            details = tf.config.experimental.get_device_details(d) if d.device_type == "GPU" else {}
            info["devices"].append(
                {"name": d.name, "kind": details.get("device_name", ""), "platform": d.device_type}
            )
        info["gpu_count"] = len(tf.config.list_physical_devices("GPU"))
    elif backend == "torch":
        import torch

        info["versions"]["torch"] = torch.__version__
        info["gpu_count"] = torch.cuda.device_count()
        info["devices"] = [
            {"name": f"cuda:{i}", "kind": torch.cuda.get_device_name(i), "platform": "gpu"}
            for i in range(info["gpu_count"])
        ]
    return info


def _memory_stats(device) -> dict:
    try:
        return device.memory_stats() or {}
    except Exception:  # noqa: BLE001 - CPU devices have none
        return {}


def peak_gpu_bytes(reset: bool = False) -> int | None:
    """Peak GPU memory of this process (JAX: since it started; TensorFlow: since the
    last reset), or None off a GPU."""
    import keras

    try:
        if keras.backend.backend() == "jax":
            import jax

            d = jax.devices()[0]
            return _memory_stats(d).get("peak_bytes_in_use") if d.platform == "gpu" else None
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            if not tf.config.list_physical_devices("GPU"):
                return None
            peak = tf.config.experimental.get_memory_info("GPU:0")["peak"]
            if reset:
                tf.config.experimental.reset_memory_stats("GPU:0")
            return int(peak)
        if keras.backend.backend() == "torch":
            import torch

            if not torch.cuda.is_available():
                return None
            peak = torch.cuda.max_memory_allocated()
            if reset:
                torch.cuda.reset_peak_memory_stats()
            return int(peak)
    except Exception:  # noqa: BLE001 - informative only
        return None
    return None


# ------------------------------------------------------------ one configuration
def _finite(values) -> bool:
    return bool(values) and all(v is not None and math.isfinite(v) for v in values)


def app_figures(store, run_id: str, t_exec: float) -> dict:
    """Speed, first points and losses of a finished run, from its live points."""
    points = [m for m in store.metrics(run_id, "batch")]
    trained = [m for m in points if m["step"] >= 1]
    probe = next((m for m in points if m["step"] == 0), None)
    first = trained[0] if trained else None
    # Wall-clock speed between live points inside an epoch: steps, our loop, the store
    # writes and stop polls all count; compiling (before step 1) and validation do not.
    epochs = sorted({m["epoch"] for m in trained})
    timed = [e for e in epochs if e >= 1] or epochs
    images = seconds = 0.0
    for e in timed:
        pts = [m for m in trained if m["epoch"] == e]
        if len(pts) >= 2:
            images += pts[-1]["seen"] - pts[0]["seen"]
            seconds += pts[-1]["time"] - pts[0]["time"]
    losses = [m["loss"] for m in trained]  # the engine stores a non-finite loss as None
    return {
        "images_per_second_wall": images / seconds if seconds > 0 else None,
        "first_point_seconds": first["time"] - t_exec if first else None,
        "probe_point_seconds": probe["time"] - t_exec if probe else None,
        "first_step_seconds": (first["time"] - probe["time"]) if first and probe else None,
        "loss_first_chunk": losses[0] if losses else None,
        "loss_last_chunk": losses[-1] if losses else None,
        "loss_finite": _finite(losses),
        "loss_falls": _finite(losses) and len(losses) >= 2 and losses[-1] < losses[0],
        "live_points": len(points),
    }


def run_configuration(cfg: dict, result_path: Path) -> None:
    """Child process: the app path, then the bare fit; figures to ``result_path`` as
    each side finishes (a time-out keeps what was done)."""
    import contextlib
    import gc

    import keras

    from resnet_core.data import DataChoice
    from resnet_core.training import RunStore
    from resnet_core.training.engine import execute
    from resnet_core.training.strategy import select_strategy
    from resnet_core.training.submit import plan_run, submit_run
    from resnet_core.training.training_model import build_training_model

    out: dict = {}

    def save():
        tmp = result_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(out, default=str))
        os.replace(tmp, result_path)

    bs, epochs = cfg["batch"], cfg["epochs"]
    mixed, xla = cfg["mixed_precision"] == "on", cfg["xla"] == "on"
    tag = f"{cfg['model']} mp={cfg['mixed_precision']} xla={cfg['xla']}"
    choice = DataChoice(
        source="upload",
        options={"path": cfg["npz"]},
        subset=cfg["subset"],
        val_split=VAL_SPLIT,
        fit="adapt",
        augment=False,
        seed=0,
    )
    plan = plan_run(model_spec(cfg["model"]), choice)
    out["train_images"], out["val_images"] = len(plan.prepared.x_train), len(plan.prepared.x_val)

    # (a) the app's path, as the worker runs it
    store = RunStore(cfg["home"])
    settings = {
        "optimizer": "adam",
        "learning_rate": 1e-3,
        "batch_size": bs,
        "epochs": epochs,
        "seed": 0,
        "mixed_precision": cfg["mixed_precision"],
        "xla": cfg["xla"],
        **({"log_every": cfg["log_every"]} if "log_every" in cfg else {}),
    }
    run_id = submit_run(store, plan, settings)
    say(f"  {tag}: app path (submit_run + engine.execute), run {run_id}")
    t_exec = time.time()
    summary = execute(store, run_id)
    app = {
        "run_id": run_id,
        "status": summary.get("status"),
        "device": summary.get("device"),
        "seconds": round(time.time() - t_exec, 2),
        "images_per_second_engine": summary.get("images_per_second"),
        "val_accuracy": summary.get("val_accuracy"),
    }
    if summary.get("status") != "completed":
        log = store.run_dir(run_id) / "error.log"
        app["error"] = summary.get("error") or "did not complete"
        if log.exists():
            app["error_log_tail"] = log.read_text()[-2000:]
    app.update(app_figures(store, run_id, t_exec))
    app["peak_gpu_bytes"] = peak_gpu_bytes(reset=True)
    out["app"] = app
    save()
    say(
        f"  {tag}: app {_fmt(app['images_per_second_wall'])} images/s (wall), "
        f"{_fmt(app['images_per_second_engine'])} (engine); first point "
        f"{_fmt(app['first_point_seconds'], 1)} s; loss {_fmt(app['loss_first_chunk'], 3)} → "
        f"{_fmt(app['loss_last_chunk'], 3)}"
    )

    # (b) a bare model.fit of the same model on the same images (whole batches)
    keras.backend.clear_session()
    gc.collect()
    bare: dict = {}
    try:
        if mixed:
            keras.mixed_precision.set_global_policy("mixed_float16")
        keras.utils.set_random_seed(0)
        strategy, _ = select_strategy(0)  # the app's devices (several GPUs: mirrored)
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            model = build_training_model(plan.spec, False, mixed)
            model.compile(
                optimizer=keras.optimizers.Adam(1e-3),
                jit_compile=xla,
                loss="sparse_categorical_crossentropy",
                metrics=["accuracy"],
            )
        p = plan.prepared
        n = len(p.x_train) // bs * bs
        x, y = p.x_train[:n].astype("float32") / 255.0, p.y_train[:n]
        timer = epoch_timer()
        say(f"  {tag}: bare model.fit, {n} images × {epochs} epochs")
        t0 = time.time()
        history = model.fit(x, y, batch_size=bs, epochs=epochs, verbose=0, callbacks=[timer])
        losses = [float(v) for v in history.history["loss"]]
        steady = timer.seconds[1:]
        bare = {
            "seconds": round(time.time() - t0, 2),
            "images_per_second": statistics.median(n / s for s in steady) if steady else None,
            "first_epoch_seconds": timer.seconds[0] if timer.seconds else None,
            "steady_epoch_seconds": statistics.median(steady) if steady else None,
            "epoch_losses": losses,
            "loss_finite": _finite(losses),
            "loss_falls": _finite(losses) and len(losses) >= 2 and losses[-1] < losses[0],
        }
    except Exception as exc:  # noqa: BLE001 - reported, the app's figures are kept
        import traceback

        bare["error"] = f"{type(exc).__name__}: {exc}"
        bare["error_log_tail"] = traceback.format_exc()[-2000:]
    finally:
        keras.mixed_precision.set_global_policy("float32")
    bare["peak_gpu_bytes"] = peak_gpu_bytes()
    out["bare"] = bare
    save()
    say(
        f"  {tag}: bare {_fmt(bare.get('images_per_second'))} images/s; epoch losses "
        f"{', '.join(_fmt(v, 3) for v in bare.get('epoch_losses', [])) or bare.get('error')}"
    )


def epoch_timer():
    """A callback timing each epoch (no batch hooks, so Keras keeps its step loop as is)."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            # Reading the loss waits for the last step (JAX and TF run asynchronously).
            float((logs or {}).get("loss", 0.0))
            self.seconds.append(time.perf_counter() - self.t0)

    return EpochTimer()


# ------------------------------------------------------------------ the parent
def child(role: str, payload: dict, timeout: float, scratch: Path) -> tuple[dict, str]:
    """Run ``role`` in a fresh process; (its figures, error or '')."""
    result = scratch / f"result-{time.monotonic_ns()}.json"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        role,
        json.dumps(payload),
        str(result),
    ]
    env = dict(os.environ, PYTHONUNBUFFERED="1", RESNET_EXPLORER_HOME=payload["home"])
    error = ""
    try:
        rc = subprocess.run(cmd, env=env, cwd=ROOT, timeout=max(timeout, 1)).returncode
        if rc != 0:
            error = f"the process exited with status {rc}"
    except subprocess.TimeoutExpired:
        error = f"timed out after {timeout:.0f} s (the time budget) and was stopped"
    figures = json.loads(result.read_text()) if result.exists() else {}
    return figures, error


def configurations(
    gpu: bool, backend: str, quick: bool = False, batches: tuple[int, ...] = (GPU_BATCH,)
) -> list[dict]:
    if not gpu:  # on JAX compiled (its default; un-jitted it runs op by op, far slower);
        # a live point every 2 steps: the wall figure needs two in an epoch of a few steps
        return [
            {
                "model": QUICK_MODEL if quick else "cifar_resnet20",
                "mixed_precision": "off",
                "xla": "on" if backend == "jax" else "off",
                "batch": CPU_BATCH,
                "epochs": CPU_EPOCHS,
                "subset": 0,
                "log_every": 2,
            }
        ]
    out = []
    # Most telling first, so a short budget still covers the configurations that matter:
    # each backend's usual mode first (torch's is eager; jit_compile there is torch.compile).
    for xla in ("off", "on") if backend == "torch" else ("on", "off"):
        for batch in batches:
            for model in MODELS:
                for mp in ("off", "on"):
                    eager = backend == "jax" and xla == "off"
                    out.append(
                        {
                            "model": model,
                            "mixed_precision": mp,
                            "xla": xla,
                            "batch": batch,
                            "epochs": EAGER_EPOCHS if eager else GPU_EPOCHS,
                            "subset": EAGER_IMAGES if eager else 0,
                        }
                    )
    return out


def xla_meaning(backend: str, xla: str) -> str:
    if backend == "jax":
        return (
            "jax.jit (XLA): Keras's default on JAX"
            if xla == "on"
            else "jit_compile=False: the train step runs un-jitted, op by op (eager JAX)"
        )
    if backend == "tensorflow":
        return (
            "tf.function with jit_compile=True (XLA)"
            if xla == "on"
            else "tf.function graph without XLA"
        )
    if backend == "torch":
        return (
            "jit_compile=True: Keras compiles the train step with torch.compile"
            if xla == "on"
            else "eager PyTorch, Keras's default on torch"
        )
    return f"jit_compile={xla == 'on'}"


def check(entry: dict) -> list[str]:
    """What failed in one configuration's figures (empty: it passed)."""
    app, bare = entry.get("app", {}), entry.get("bare", {})
    problems = [entry["error"]] if entry.get("error") else []
    if not app:
        return problems + ["no figures from the app path"]
    if app.get("error"):
        problems.append(f"app: {app['error']}")
    if not app.get("loss_finite"):
        problems.append("app: a loss is not finite (or none was recorded)")
    elif not app.get("loss_falls"):
        problems.append("app: the loss did not fall")
    if not (app.get("images_per_second_wall") or 0) > 0:
        problems.append("app: no images/s")
    if not bare:
        return problems + ["no figures from the bare fit"]
    if bare.get("error"):
        problems.append(f"bare: {bare['error']}")
    elif not bare.get("loss_finite"):
        problems.append("bare: a loss is not finite")
    elif not bare.get("loss_falls"):
        problems.append("bare: the loss did not fall")
    elif not (bare.get("images_per_second") or 0) > 0:
        problems.append("bare: no images/s")
    return problems


def _fmt(v, digits: int = 0) -> str:
    if v is None:
        return "–"
    return f"{v:,.{digits}f}"


def table(figures: dict) -> str:
    head = (
        "model",
        "mp",
        "xla",
        "train imgs",
        "app img/s",
        "engine img/s",
        "bare img/s",
        "app/bare",
        "1st point s",
        "1st step s",
        "bare ep1 s",
        "peak MiB app",
        "app loss",
        "bare loss",
        "result",
    )
    rows = [head]
    for e in figures["configurations"]:
        app, bare = e.get("app", {}), e.get("bare", {})
        peak = app.get("peak_gpu_bytes")
        bl = bare.get("epoch_losses") or []
        rows.append(
            (
                e["model"],
                e["mixed_precision"],
                e["xla"],
                _fmt(e.get("train_images")),
                _fmt(app.get("images_per_second_wall")),
                _fmt(app.get("images_per_second_engine")),
                _fmt(bare.get("images_per_second")),
                _fmt(e.get("ratio_app_bare"), 3),
                _fmt(app.get("first_point_seconds"), 1),
                _fmt(app.get("first_step_seconds"), 1),
                _fmt(bare.get("first_epoch_seconds"), 1),
                _fmt(peak / 2**20 if peak else None),
                (
                    f"{_fmt(app.get('loss_first_chunk'), 2)}→{_fmt(app.get('loss_last_chunk'), 2)}"
                    if app
                    else "–"
                ),
                f"{_fmt(bl[0], 2)}→{_fmt(bl[-1], 2)}" if bl else "–",
                e["result"],
            )
        )
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="JSON file for every figure")
    ap.add_argument(
        "--backend",
        choices=tuple(BACKENDS),
        help="Keras backend (sets KERAS_BACKEND before Keras starts); default: "
        "KERAS_BACKEND, else Keras's own choice",
    )
    ap.add_argument(
        "--batch",
        type=int,
        nargs="+",
        default=[GPU_BATCH],
        help=f"batch sizes on a GPU (default {GPU_BATCH}; e.g. --batch 128 512)",
    )
    ap.add_argument(
        "--budget",
        type=float,
        default=280,
        help="seconds for the whole check; what would not fit is skipped",
    )
    ap.add_argument(
        "--compile-cache",
        action="store_true",
        help="JAX: a persistent compilation cache, so the bare fit can reuse the "
        "app's compiled step (the app's first step then includes writing it)",
    )
    ap.add_argument(
        "--cpu",
        action="store_true",
        help="run the CPU path even where there is a GPU (the test suite does)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"the CPU path with {QUICK_MODEL} on {QUICK_IMAGES} images, in one "
        "child process (a check that it runs)",
    )
    args = ap.parse_args()
    args.cpu = args.cpu or args.quick
    t_start = time.time()
    deadline = t_start + args.budget
    out = Path(args.out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    wanted = chosen_backend(args.backend)
    missing = backend_missing(wanted)
    if missing:  # one line and its own status: a GPU machine may lack TensorFlow
        say(missing)
        out.write_text(json.dumps({"ok": False, "backend": wanted, "error": missing}, indent=2))
        return MISSING_BACKEND
    os.environ["KERAS_BACKEND"] = wanted  # before any child starts Keras

    # Before any backend starts: JAX takes GPU memory as it needs it (so the peak means
    # something) and TensorFlow keeps its logs short.
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.cpu:  # hide the GPUs from every backend of the child processes
        os.environ.update(CUDA_VISIBLE_DEVICES="", JAX_PLATFORMS="cpu")
    scratch = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    home = scratch / "home"
    home.mkdir()
    if args.compile_cache:
        os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(scratch / "jax-cache"))

    smi = [] if args.cpu else nvidia_smi()
    say("GPU check — ResNet Explorer's training path vs a bare model.fit")
    gpus = "; ".join(f"{g['name']} ({g['memory_total']}, driver {g['driver']})" for g in smi)
    say(f"nvidia-smi: {gpus or 'none found'}")
    npz = home / "uploads" / "gpu_check.npz"
    npz.parent.mkdir()
    probe_payload = {
        "home": str(home),
        "npz": str(npz),
        "gpu_images": GPU_IMAGES,
        "cpu_images": QUICK_IMAGES if args.quick else CPU_IMAGES,
    }
    ran_first: dict = {}  # --quick: the probe's process also runs the one configuration
    if args.quick:  # (GPUs hidden, so the configuration is known before the probe)
        [first] = configurations(False, wanted, quick=True)
        probe_payload["then"] = {
            **first,
            "home": str(home),
            "npz": str(npz),
            "result": str(scratch / "first.json"),
        }
    t_probe = time.time()
    probe, error = child(
        "probe", probe_payload, timeout=300 if not args.quick else 900, scratch=scratch
    )
    if args.quick and "backend" in probe:
        first_path = scratch / "first.json"
        ran_first = {
            "result": json.loads(first_path.read_text()) if first_path.exists() else {},
            "error": error,
            "seconds": round(time.time() - t_probe, 1),
        }
    if "backend" not in probe or (error and not ran_first):  # quick: a failed run is its own
        say(f"the backend could not start: {error or 'no device list'} (its error is above)")
        out.write_text(
            json.dumps({"ok": False, "error": f"probe: {error}", "nvidia_smi": smi}, indent=2)
        )
        shutil.rmtree(scratch, ignore_errors=True)
        return 1
    backend, gpu = probe["backend"], probe["gpu_count"] > 0
    say(
        f"Keras {probe['versions']['keras']} on {backend}; versions: "
        + ", ".join(f"{k} {v}" for k, v in probe["versions"].items())
    )
    for d in probe["devices"]:
        say(f"  device: {d['name']} {d.get('kind', '')} ({d['platform']})")
    say(
        f"data: {probe['data']['source']}, {probe['data']['images']:,} images "
        f"({probe['data_seconds']:.1f} s to prepare)"
    )
    figures = {
        "script": "benchmarks/gpu_check.py",
        "started": datetime.datetime.fromtimestamp(t_start).isoformat(timespec="seconds"),
        "host": platform.node(),
        "nvidia_smi": smi,
        "gpu_found": gpu,
        "backend": backend,
        "versions": probe["versions"],
        "devices": probe["devices"],
        "data": probe["data"],
        "validation_split": VAL_SPLIT,
        "budget_seconds": args.budget,
        "peak_gpu_note": (
            "JAX cannot reset its peak: app = the process's peak after "
            "the app's run, bare = after both"
            if backend == "jax"
            else "app and bare each their own peak (reset between)"
        ),
        "jax_compilation_cache": (
            os.environ.get("JAX_COMPILATION_CACHE_DIR") if backend == "jax" else None
        ),
        "configurations": [],
    }
    if not gpu:
        say(
            ("--cpu: GPUs hidden" if args.cpu else "No GPU found")
            + (f" by {backend}, although nvidia-smi lists {len(smi)}" if smi else "")
            + ": running the CPU path once."
        )
    for i, cfg in enumerate(configurations(gpu, backend, args.quick, tuple(args.batch)), 1):
        entry = {
            **cfg,
            "xla_meaning": xla_meaning(backend, cfg["xla"]),
            "images": cfg["subset"] or probe["data"]["images"],
        }
        left = deadline - time.time()
        label = (
            f"[{i}] {cfg['model']} mixed precision {cfg['mixed_precision']}, XLA "
            f"{cfg['xla']}: {entry['images']:,} images, {cfg['epochs']} epochs, "
            f"batch {cfg['batch']}"
        )
        if gpu and left < MIN_START_SECONDS:
            entry["result"] = "skipped"
            entry["error"] = f"skipped: {left:.0f} s of the {args.budget:.0f} s budget left"
            say(f"{label}: {entry['error']}")
        else:
            say(f"{label} ({left:.0f} s of budget left)")
            t = time.time()
            if ran_first and i == 1:  # --quick: it ran in the probe's process (its time
                result, error = ran_first["result"], ran_first["error"]  # includes the probe)
                t -= ran_first["seconds"]
            else:
                result, error = child(
                    "configuration",
                    {**cfg, "home": str(home), "npz": str(npz)},
                    timeout=left if gpu else 900,
                    scratch=scratch,
                )
            entry.update(result, seconds=round(time.time() - t, 1))
            if error:
                entry["error"] = error
            app_ips = entry.get("app", {}).get("images_per_second_wall")
            bare_ips = entry.get("bare", {}).get("images_per_second")
            entry["ratio_app_bare"] = app_ips / bare_ips if app_ips and bare_ips else None
            engine_ips = entry.get("app", {}).get("images_per_second_engine")
            entry["ratio_engine_bare"] = engine_ips / bare_ips if engine_ips and bare_ips else None
            entry["problems"] = check(entry)
            entry["result"] = (
                "ok"
                if not entry["problems"]
                else "timed out"
                if error.startswith("timed out")
                else "FAILED"
            )
            say(
                f"  → {entry['result']} in {entry['seconds']} s"
                + (f": {'; '.join(entry['problems'])}" if entry["problems"] else "")
            )
        figures["configurations"].append(entry)
        figures["seconds"] = round(time.time() - t_start, 1)
        out.write_text(json.dumps(figures, indent=2, default=str))  # after each: kept

    results = [e["result"] for e in figures["configurations"]]
    # Stopped or skipped for the budget is not a failure; a failed check is.
    figures["ok"] = "ok" in results and "FAILED" not in results and not (smi and not gpu)
    figures["skipped"] = results.count("skipped")
    figures["timed_out"] = results.count("timed out")
    figures["seconds"] = round(time.time() - t_start, 1)
    out.write_text(json.dumps(figures, indent=2, default=str))
    say("")
    say(table(figures))
    say(
        "app img/s: wall time between live points (steps + the app's loop); engine img/s: "
        "time inside the chunk calls only; bare: median of epochs 2+; app/bare uses the wall "
        "figure. Peak MiB: the process's peak GPU memory after the app's run."
    )
    if not gpu:
        say(
            f"{'--cpu' if args.cpu else 'No GPU found'}: only the CPU path ran."
            + (f" nvidia-smi lists {len(smi)} GPU(s) that {backend} cannot use." if smi else "")
        )
    if figures["skipped"] or figures["timed_out"]:
        say(
            f"Time budget (--budget {args.budget:.0f} s): {figures['skipped']} configuration(s) "
            f"skipped, {figures['timed_out']} stopped part-way (their figures so far are kept)."
        )
    say(
        f"{'all checks passed' if figures['ok'] else 'CHECKS FAILED'}; "
        f"{figures['seconds']:.0f} s in all; figures in {out}"
    )
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if figures["ok"] else 1


def child_main(role: str, payload: dict, result_path: Path) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if role == "probe":
        info = backend_devices()
        t = time.time()
        n = payload["gpu_images"] if info["gpu_count"] else payload["cpu_images"]
        info["data"] = write_data(Path(payload["npz"]), n)
        info["data_seconds"] = time.time() - t
        result_path.write_text(json.dumps(info, default=str))
        if payload.get("then"):  # --quick: the configuration too, Keras already started
            say("  (--quick: its one configuration runs in the probe's process)")
            run_configuration(payload["then"], Path(payload["then"]["result"]))
    else:
        run_configuration(payload, result_path)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child_main(sys.argv[2], json.loads(sys.argv[3]), Path(sys.argv[4]))
    else:
        sys.exit(main())
