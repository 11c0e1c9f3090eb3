"""One training run, start to end: devices, data, model, live metrics, checkpoint, results.

:func:`execute` is the single training path: the worker process and ``python -m
resnet_core train`` both call it. It reads everything from the run store and writes
everything back there, so a page only ever reads the store.
"""

from __future__ import annotations

import math
import os
import time
import traceback

import numpy as np

from ..data import DataChoice, DataError, load, prepare
from ..spec import ArchitectureSpec, SpecError
from .settings import SettingsError, TrainSettings, check_feasible
from .store import RunStore

_strategy_cache: dict = {}


def select_strategy(cpu_devices: int = 0):
    """``(strategy, description)``: one GPU, several (MirroredStrategy), or the CPU.

    ``cpu_devices > 1`` splits the CPU into that many logical devices and mirrors over
    them, which tests the multi-device path without GPUs (only before TensorFlow has
    started in this process).
    """
    import tensorflow as tf

    key = ("strategy", cpu_devices)
    if key in _strategy_cache:
        return _strategy_cache[key]
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        for g in gpus:
            try:
                tf.config.experimental.set_memory_growth(g, True)
            except RuntimeError:  # TensorFlow already started: keep its settings
                pass
        names = [tf.config.experimental.get_device_details(g).get("device_name", g.name)
                 for g in gpus]
        if len(gpus) > 1:
            result = (tf.distribute.MirroredStrategy(),
                      f"{len(gpus)} GPUs ({names[0]}), MirroredStrategy")
        else:
            result = (tf.distribute.get_strategy(), f"GPU: {names[0]}")
    elif cpu_devices > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(cpu_devices)])
        except RuntimeError:
            pass  # already configured, or TensorFlow already started
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        if len(devices) > 1:
            result = (tf.distribute.MirroredStrategy(devices),
                      f"CPU split into {len(devices)} devices, MirroredStrategy")
        else:
            result = (tf.distribute.get_strategy(), "CPU")
    else:
        result = (tf.distribute.get_strategy(), "CPU")
    _strategy_cache[key] = result
    return result


def warm_up() -> None:
    """Import TensorFlow and Keras and start the runtime, so a run starts fast.

    (A whole warm-up fit was tried: it saved little and delayed a run clicked meanwhile.)
    """
    import keras

    keras.ops.convert_to_numpy(keras.ops.ones((2, 2)) @ keras.ops.ones((2, 2)))


def _make_schedule(settings: TrainSettings, total_steps: int):
    import keras

    from .schedules import OneCycle

    lr = settings.learning_rate
    if settings.schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(lr, max(total_steps, 1))
    if settings.schedule == "one_cycle":
        return OneCycle(lr, max(total_steps, 1))
    return lr


def make_optimizer(settings: TrainSettings, total_steps: int):
    import keras

    lr = _make_schedule(settings, total_steps)
    wd = settings.weight_decay or None
    if settings.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True, weight_decay=wd)
    if settings.optimizer == "adamw":
        return keras.optimizers.AdamW(lr, weight_decay=settings.weight_decay)
    return keras.optimizers.Adam(lr, weight_decay=wd)


def _live_metrics_class():
    import keras

    class LiveMetrics(keras.callbacks.Callback):
        """Writes a point every few batches and each epoch; honours stop requests."""

        def __init__(self, store: RunStore, run_id: str, batch_size: int, n_train: int,
                     log_every: int, initial_epoch: int, steps_per_epoch: int,
                     probe=None):
            super().__init__()
            self.probe = probe  # (x, y) of a first batch: the curve's point at step 0
            self.store, self.run_id = store, run_id
            self.batch_size, self.n_train = batch_size, n_train
            self.log_every, self.steps_per_epoch = log_every, steps_per_epoch
            self.step = initial_epoch * steps_per_epoch
            self.epoch, self.seen_epoch = initial_epoch, 0
            self.buffer: list[dict] = []
            self.last_flush = self.last_stop_check = 0.0
            self.epoch_ips: list[float] = []
            self.stopped_by_request = False

        def _lr(self):
            try:
                return float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            except Exception:  # noqa: BLE001 - informative only
                return None

        def on_train_begin(self, logs=None):
            if self.probe is None or self.step:
                return
            # The starting point, measured eagerly before the (slow) graph tracing.
            x, y = self.probe
            probs = self.model(x, training=False)
            loss = keras.ops.mean(keras.losses.sparse_categorical_crossentropy(y, probs))
            acc = np.mean(np.argmax(keras.ops.convert_to_numpy(probs), axis=1) == y)
            self.buffer.append({"kind": "batch", "epoch": 0, "step": 0, "seen": 0,
                                "time": time.time(), "loss": _num(loss), "accuracy": _num(acc)})
            self.flush()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            self.epoch_t0 = time.perf_counter()
            self.seen_epoch = 0
            self.timed_from = (0, self.epoch_t0)  # (images, time) where the clock starts
            self.ips_at_epoch_end = None

        def ips(self) -> float:
            """Images per second this epoch, from the second batch on when there is one
            (the first carries graph tracing and warm-up)."""
            seen0, t0 = self.timed_from
            return (self.seen_epoch - seen0) / max(time.perf_counter() - t0, 1e-9)

        def on_train_batch_end(self, batch, logs=None):
            # Called once per execution (of ``log_every`` steps, or of one on several
            # devices); ``batch`` is the execution's last step.
            first_call = self.seen_epoch == 0
            self.step = self.epoch * self.steps_per_epoch + batch + 1
            self.seen_epoch = min((batch + 1) * self.batch_size, self.n_train)
            now = time.perf_counter()
            if first_call and self.seen_epoch < self.n_train:
                self.timed_from = (self.seen_epoch, now)
            if first_call or (batch + 1) % self.log_every == 0:
                logs = logs or {}
                self.buffer.append({
                    "kind": "batch", "epoch": self.epoch, "step": self.step,
                    "seen": self.epoch * self.n_train + self.seen_epoch, "time": time.time(),
                    "loss": _num(logs.get("loss")), "accuracy": _num(logs.get("accuracy")),
                    "images_per_second": None if first_call else self.ips()})
            if now - self.last_flush > 0.5:
                self.flush()
            if now - self.last_stop_check > 0.5:
                self.last_stop_check = now
                if self.store.stop_requested(self.run_id):
                    self.stopped_by_request = True
                    self.model.stop_training = True

        def on_test_begin(self, logs=None):
            # validation starts: the training clock of this epoch stops here
            self.ips_at_epoch_end = self.ips()

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            ips = self.ips_at_epoch_end if self.ips_at_epoch_end is not None else self.ips()
            if self.seen_epoch >= self.n_train:  # a whole epoch, not one cut short
                self.epoch_ips.append(ips)
            self.buffer.append({
                "kind": "epoch", "epoch": epoch, "step": self.step,
                "seen": epoch * self.n_train + self.seen_epoch, "time": time.time(),
                "loss": _num(logs.get("loss")), "accuracy": _num(logs.get("accuracy")),
                "val_loss": _num(logs.get("val_loss")),
                "val_accuracy": _num(logs.get("val_accuracy")),
                "images_per_second": ips, "lr": self._lr()})
            self.flush()
            self.store.update(self.run_id, epochs_done=epoch + 1)

        def flush(self):
            self.store.add_metrics(self.run_id, self.buffer)
            self.buffer = []
            self.last_flush = time.perf_counter()

    return LiveMetrics


def _num(v):
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _augmenter(shape):
    import keras

    layers = [keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", name="aug_shift")]
    if shape[-1] == 3:
        layers.append(keras.layers.RandomFlip("horizontal", name="aug_flip"))
    return layers


def build_training_model(spec: ArchitectureSpec, augment: bool, mixed: bool):
    """The spec's model, with augmentation in front and a float32 output when mixed."""
    import keras

    from ..build import build_model

    base = build_model(spec)
    if not augment and not mixed:
        return base
    inputs = keras.Input(spec.input_shape, name="images")
    x = inputs
    if augment:
        for layer in _augmenter(spec.input_shape):
            x = layer(x)
    x = base(x)
    if mixed:
        x = keras.layers.Activation("linear", dtype="float32", name="float32_output")(x)
    return keras.Model(inputs, x, name=f"{base.name}_training")


def compile_model(model, settings: TrainSettings, steps_per_epoch: int, jit: bool,
                  replicas: int = 1) -> None:
    """Loss, metric and optimizer; ``log_every`` steps run per execution, so the live
    metrics are read once per chunk of steps and never hold the device back. (On several
    devices one step per execution: TensorFlow's MirroredStrategy fails on more.)"""
    model.compile(optimizer=make_optimizer(settings, steps_per_epoch * settings.epochs),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=jit,
                  steps_per_execution=settings.log_every if replicas == 1 else 1)


def training_callbacks(store: RunStore, run_id: str, settings: TrainSettings, n_train: int,
                       initial_epoch: int, steps_per_epoch: int, probe=None):
    """``(live, callbacks)``: live metrics and stop requests, checkpoint, TensorBoard."""
    import keras

    run_dir = store.run_dir(run_id)
    live = _live_metrics_class()(store, run_id, settings.batch_size, n_train,
                                 settings.log_every, initial_epoch, steps_per_epoch, probe)
    return live, [
        live,
        keras.callbacks.ModelCheckpoint(str(run_dir / "checkpoint.keras"), save_freq="epoch"),
        keras.callbacks.TensorBoard(str(run_dir / "logs"), update_freq="epoch",
                                    write_graph=False, profile_batch=0),
    ]


def load_checkpoint(path):
    """A stored model, loaded in Keras's safe mode (no arbitrary code)."""
    import keras

    from .. import layers as custom_layers  # noqa: F401 - registers our layers
    from . import schedules  # noqa: F401 - registers OneCycle

    return keras.saving.load_model(path, safe_mode=True)


def execute(store: RunStore, run_id: str) -> dict:
    """Train the run ``run_id`` (already marked running or queued); return its summary."""
    run = store.get(run_id)
    if run is None:
        raise ValueError(f"no run {run_id!r}")
    run_dir = store.run_dir(run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    if run.status == "queued":
        store.update(run_id, status="running")
    store.update(run_id, worker_pid=os.getpid(), heartbeat=time.time())
    t_start = time.time()
    mixed = False
    try:
        settings = TrainSettings.from_dict(run.settings)
        choice = DataChoice.from_dict(run.data)
        spec = ArchitectureSpec.from_dict(run.spec)
        strategy, device = select_strategy(settings.cpu_devices)
        store.update(run_id, device=device)

        import keras

        data = prepare(load(choice), spec, choice)
        check_feasible(data.spec, settings, len(data.x_train))
        keras.utils.set_random_seed(settings.seed)
        on_gpu = "GPU" in device
        mixed = settings.mixed_precision == "on" or (settings.mixed_precision == "auto"
                                                      and on_gpu)
        jit = settings.xla == "on" or (settings.xla == "auto" and on_gpu)
        if mixed:
            keras.mixed_precision.set_global_policy("mixed_float16")
        steps = math.ceil(len(data.x_train) / settings.batch_size)
        checkpoint = run_dir / "checkpoint.keras"
        initial_epoch = run.epochs_done if settings.resume else 0
        with strategy.scope():
            if settings.resume and checkpoint.exists():
                model = load_checkpoint(checkpoint)
            else:
                initial_epoch = 0
                model = build_training_model(data.spec, choice.augment, mixed)
                compile_model(model, settings, steps, jit, strategy.num_replicas_in_sync)
        if settings.resume and initial_epoch >= settings.epochs:
            raise SettingsError(f"the run already did {initial_epoch} of {settings.epochs} "
                                "epochs; resume it with more epochs")
        store.update(run_id, total_steps=steps * settings.epochs)
        x_train = data.x_train.astype("float32") / 255.0
        x_val = data.x_val.astype("float32") / 255.0
        live, callbacks = training_callbacks(
            store, run_id, settings, len(x_train), initial_epoch, steps,
            probe=(x_train[:settings.batch_size], data.y_train[:settings.batch_size]))
        model.fit(x_train, data.y_train, batch_size=settings.batch_size,
                  epochs=settings.epochs, initial_epoch=initial_epoch,
                  validation_data=(x_val, data.y_val), callbacks=callbacks, verbose=0)
        live.flush()
        model.save(checkpoint)  # what was learned, also when stopped mid-epoch
        _save_predictions(model, x_val, data.x_val, data.y_val, data.class_names,
                          run_dir / "predictions.npz")
        status = "stopped" if live.stopped_by_request or store.stop_requested(run_id) \
            else "completed"
        summary = _summary(store, run_id, status, device, live.epoch_ips, time.time() - t_start)
        summary["class_names"] = list(data.class_names)
        store.update(run_id, status=status, summary=summary, stop_requested=0)
        return summary
    except (DataError, SettingsError, SpecError) as exc:
        store.update(run_id, status="failed", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - recorded for the person, traceback to a file
        (run_dir / "error.log").write_text(traceback.format_exc())
        store.update(run_id, status="failed",
                     error=f"{type(exc).__name__}: {exc} (details in {run_dir / 'error.log'})")
    finally:
        if mixed:
            import keras

            keras.mixed_precision.set_global_policy("float32")
    run = store.get(run_id)
    return {"run_id": run_id, "status": run.status, "error": run.error,
            "device": run.device, "history": epoch_history(store, run_id)}


def _save_predictions(model, x_val, images, y_val, class_names, path):
    probs = np.asarray(model.predict(x_val, batch_size=256, verbose=0), dtype=np.float32)
    y_pred = probs.argmax(axis=1)
    wrong_first = np.argsort(y_pred == y_val, kind="stable")[:64]
    np.savez_compressed(path, y_true=y_val, y_pred=y_pred, confidence=probs.max(axis=1),
                        sample_index=wrong_first, sample_images=images[wrong_first],
                        class_names=np.asarray(class_names, dtype=str))


def epoch_history(store: RunStore, run_id: str) -> list[dict]:
    keys = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "images_per_second")
    return [{k: m[k] for k in keys} for m in store.metrics(run_id, "epoch")]


def _summary(store, run_id, status, device, epoch_ips, seconds) -> dict:
    history = epoch_history(store, run_id)
    ips = float(np.median(epoch_ips)) if epoch_ips else (
        history[-1]["images_per_second"] if history else None)
    return {"run_id": run_id, "status": status, "device": device, "history": history,
            "images_per_second": ips, "seconds": round(seconds, 2),
            "val_accuracy": history[-1]["val_accuracy"] if history else None}


