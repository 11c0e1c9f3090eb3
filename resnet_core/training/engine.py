"""Training runs, start to end: devices, data, models, live metrics, checkpoints, results.

:func:`execute_group` is the single training path: the worker process and ``python -m
resnet_core train|race`` call it. It trains one run, or several in lockstep (a race: the
same batches in the same order, one step of each network in turn), reading everything
from the run store and writing everything back there, so a page only ever reads the store.

The loop is ours, not ``model.fit``: chunks of K steps per device call
(:mod:`~resnet_core.training.chunks`; on TensorFlow and JAX one compiled function trains
the whole group), sized to last about 0.3 s, so a stop request is honoured within one
chunk, the live curve shows the mean loss of its own steps (not Keras's running epoch
mean), and several networks share one data order and one compile. A loss that becomes
NaN or infinite ends that run as "diverged" after that step. Several devices and other
backends take each model's own step (``train_on_batch``); a run trained by several
workers (``TF_CONFIG``) goes through the same loop with the step of
:class:`~resnet_core.training.distributed.StepRunner`.
"""

from __future__ import annotations

import math
import os
import sqlite3
import time
import traceback
from contextlib import ExitStack
from dataclasses import dataclass, field

import numpy as np

from ..data import DataChoice, DataError, PreparedData, load, prepare
from ..faults import DiskFull, StoreBusy, disk_full
from ..spec import ArchitectureSpec, SpecError
from . import chunks, predictions
from .settings import SHORT_RUN_MOMENTUM, SettingsError, TrainSettings, check_feasible
from .store import CHECKPOINT, RunStore

CHUNK_SECONDS = 0.5  # a live point at least this often (and every ``log_every`` steps)
STOP_POLL_SECONDS = 0.2  # how often the stop flags are read between steps

_strategy_cache: dict = {}


def keras_backend() -> str:
    import keras

    return keras.backend.backend()


def select_strategy(cpu_devices: int = 0):
    """``(strategy, description)``: one GPU, several (MirroredStrategy), or the CPU.

    ``strategy`` is ``None`` off TensorFlow (the JAX backend, say): one device.
    ``cpu_devices > 1`` splits the CPU into that many logical devices and mirrors over
    them, which tests the multi-device path without GPUs (only before TensorFlow has
    started in this process).
    """
    key = ("strategy", cpu_devices)
    if key in _strategy_cache:
        return _strategy_cache[key]
    if keras_backend() != "tensorflow":
        result = (None, _other_backend_device())
        _strategy_cache[key] = result
        return result
    import tensorflow as tf

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


def _other_backend_device() -> str:
    if keras_backend() == "jax":
        import jax

        d = jax.devices()[0]
        kind = getattr(d, "device_kind", d.platform)
        return f"GPU: {kind} (JAX)" if d.platform == "gpu" else f"CPU (JAX, {kind})"
    return f"CPU ({keras_backend()})"


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


def _augmenter(shape):
    import keras

    layers = [keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", name="aug_shift")]
    if shape[-1] == 3:
        layers.append(keras.layers.RandomFlip("horizontal", name="aug_flip"))
    return layers


def build_training_model(spec: ArchitectureSpec, augment: bool, mixed: bool,
                         bn_momentum: float | None = SHORT_RUN_MOMENTUM,
                         initial_weights: str = "none"):
    """The spec's model, with augmentation in front and a float32 output when mixed.

    ``bn_momentum`` (a training setting; None: the network's own) replaces the BatchNorm
    layers' momentum (the default is the short-run one the runs use); a network
    that ends on logits gets a softmax here, as its source's loss applies one.
    ``initial_weights`` other than "none" starts from Keras Applications' ImageNet
    weights with a new classifier (:func:`resnet_core.pretrained.fine_tuning_model`).
    """
    import keras

    from ..build import build_model
    from ..pretrained import fine_tuning_model

    base = (build_model(spec) if initial_weights == "none"
            else fine_tuning_model(spec, initial_weights))
    if bn_momentum is not None:
        for layer in base.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = bn_momentum
    logits = spec.head.output == "logits"
    if not augment and not mixed and not logits:
        return base
    inputs = keras.Input(spec.input_shape, name="images")
    x = inputs
    if augment:
        for layer in _augmenter(spec.input_shape):
            x = layer(x)
    x = base(x)
    if logits:
        x = keras.layers.Activation("softmax", name="softmax_of_logits")(x)
    if mixed:
        x = keras.layers.Activation("linear", dtype="float32", name="float32_output")(x)
    return keras.Model(inputs, x, name=f"{base.name}_training")


def compile_model(model, settings: TrainSettings, steps_per_epoch: int, jit: bool) -> None:
    """Loss, metric and optimizer (its schedule spans the whole run)."""
    model.compile(optimizer=make_optimizer(settings, settings.total_steps(steps_per_epoch)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=jit)


def load_checkpoint(path):
    """A stored model, loaded in Keras's safe mode (no arbitrary code)."""
    import keras

    from .. import layers as custom_layers  # noqa: F401 - registers our layers
    from ..keras_internals import deep_graphs
    from . import schedules  # noqa: F401 - registers OneCycle

    with deep_graphs():  # loading maps the graph recursively, as building does
        return keras.saving.load_model(path, safe_mode=True)


def save_checkpoint(model, run_dir) -> None:
    """Write the model next to the checkpoint, then rename it over the old one: a kill
    during the write leaves the last good checkpoint in place. A write that fails
    removes its partial file; on a full disk it raises :class:`DiskFull`, saying so."""
    final = run_dir / CHECKPOINT
    partial = run_dir / f"partial-{os.getpid()}.keras"
    try:
        model.save(partial)
    except BaseException as exc:
        full = disk_full(exc, run_dir)  # asked before the space is freed
        try:
            freed = partial.stat().st_size
        except OSError:
            freed = 0
        partial.unlink(missing_ok=True)
        if full:
            kept = ("its last whole checkpoint is kept" if final.exists()
                    else "it had no checkpoint yet")
            raise DiskFull(run_dir, "writing the checkpoint", freed, f"the run was stopped "
                           f"({kept}); free space there, then resume it") from exc
        raise
    os.replace(partial, final)


def _strategy_for(settings: TrainSettings):
    """``(strategy, device, cluster)``: the multi-worker strategy when this process is one
    of the ``TF_CONFIG`` cluster the run was started on, else :func:`select_strategy`'s."""
    if settings.workers > 1:
        from .distributed import cluster_from_env, multi_worker_strategy

        # A resume trains on in one process (the app's worker, or train --resume), even
        # where a TF_CONFIG was left in the environment: no peers would join it.
        cluster = None if settings.resume else cluster_from_env()
        if cluster is not None:
            if cluster.size != settings.workers:
                raise SettingsError(f"this run is for {settings.workers} workers but "
                                    f"TF_CONFIG names {cluster.size}")
            return (*multi_worker_strategy(cluster), cluster)
        # e.g. the Runs page resumed a distributed run: it goes on in one process
        strategy, device = select_strategy(settings.cpu_devices)
        return strategy, f"{device} (one process; the run began on {settings.workers} " \
                         "workers)", None
    return (*select_strategy(settings.cpu_devices), None)


class _KerasSteps:
    """One process: Keras's own compiled step, evaluation and prediction.

    On TensorFlow, validation and predictions go through one traced forward pass per
    model (any batch size), made once and reused every epoch: Keras's ``evaluate`` and
    ``predict`` would trace two functions per model, again for a smaller last batch, and
    TensorFlow warns of retracing once a worker has trained a few networks."""

    synchronised = False  # a stop is acted on at once
    chief = True  # writes the store, checkpoints and predictions

    def __init__(self, model):
        self.model = model
        self._forward = None

    def train(self, x, y, stop: bool = False) -> dict:
        return self.model.train_on_batch(x, y, return_dict=True)

    def evaluate(self, x, y, batch_size: int) -> dict:
        if keras_backend() != "tensorflow":
            return self.model.evaluate(x, y, batch_size=batch_size, verbose=0,
                                       return_dict=True)
        import keras

        probs = self.predict(x, batch_size).astype("float64")
        picked = np.clip(probs[np.arange(len(y)), y], keras.config.epsilon(), None)
        extra = sum(float(keras.ops.convert_to_numpy(v)) for v in self.model.losses)
        return {"loss": float(-np.mean(np.log(picked))) + extra,
                "accuracy": float(np.mean(probs.argmax(axis=1) == y))}

    def predict(self, x, batch_size: int = 256) -> np.ndarray:
        if keras_backend() != "tensorflow":
            return np.asarray(self.model.predict(x, batch_size=batch_size, verbose=0),
                              dtype=np.float32)
        if self._forward is None:
            import tensorflow as tf

            model = self.model
            self._forward = tf.function(
                lambda images: model(images, training=False), input_signature=[
                    tf.TensorSpec((None, *model.inputs[0].shape[1:]), tf.float32)])
        out = [self._forward(x[i:i + batch_size]).numpy()
               for i in range(0, len(x), batch_size)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 0), "float32")


def _num(v):
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


# --------------------------------------------------------------------- one trainee
@dataclass
class _Chunk:
    """Sums over the steps since the last live point: its loss and accuracy are the
    chunk's own means, so the curve shows what the network does now."""

    images: int = 0
    loss: float = 0.0
    correct: float = 0.0
    steps: int = 0
    started: float = field(default_factory=time.perf_counter)

    def add(self, logs: dict, n: int) -> None:
        self.images += n
        self.steps += 1
        self.loss += float(logs.get("loss", math.nan)) * n
        self.correct += float(logs.get("accuracy", math.nan)) * n


class _Trainee:
    """One run of a group: its data, model and live state."""

    def __init__(self, store: RunStore, run_id: str):
        self.store, self.id = store, run_id
        self.run = store.get(run_id)
        self.dir = store.run_dir(run_id)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.settings = TrainSettings.from_dict(self.run.settings)
        self.choice = DataChoice.from_dict(self.run.data)
        self.spec = self.run.network()
        self.data: PreparedData | None = None
        self.model = None
        self.steps = None  # _KerasSteps, or distributed.StepRunner on several workers
        self.stop_asked = False  # a stop this worker wants; the step's all-reduce agrees
        self.total_steps = 0
        self.last_epoch = 0  # epochs run, the last perhaps cut short by ``steps``
        self.start_epoch = 0
        self.step = 0  # steps done, counted over the whole run
        self.epoch = 0
        self.chunk = _Chunk()
        self.buffer: list[dict] = []
        self.epoch_ips: list[float] = []
        self.train_seconds = 0.0  # time in train steps after the first (not validation)
        self.timed_images = 0  # images of those steps
        self.images_this_epoch = 0
        self.epoch_sums = _Chunk()  # the epoch's training loss and accuracy so far
        self.compiled_chunks = ""  # "tensorflow", "jax": trained by a compiled chunk
        self.compile_seconds = None  # the first chunk: tracing, compiling and one step
        self.jit = False
        self.done = False
        self.status = ""
        self.summary: dict = {}

    def phase(self, phase: str) -> None:
        self.store.update(self.id, phase=phase)

    def fail(self, exc: BaseException) -> None:
        """Record the error and drop out of the group; the others go on."""
        self.done = True
        self.status = "failed"
        if not isinstance(exc, DiskFull) and disk_full(exc, self.dir):
            exc = DiskFull(self.dir, "writing the run's files", then="the run was stopped; "
                           "free space there, then resume it")
        if isinstance(exc, (DataError, SettingsError, SpecError, DiskFull, StoreBusy)):
            error = str(exc)
        else:
            error = f"{type(exc).__name__}: {exc}"
            try:
                (self.dir / "error.log").write_text(
                    "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
                error += f" (details in {self.dir / 'error.log'})"
            except OSError:  # the run's folder is gone (deleted) or the disk is full
                pass
        try:
            self.flush()
        except (DiskFull, StoreBusy):  # the points are lost; the failure is recorded
            self.buffer = []
        self.store.update(self.id, status="failed", error=error, phase="")

    def flush(self) -> None:
        if not self.buffer:
            return
        try:
            self.store.add_metrics(self.id, self.buffer)
        except sqlite3.IntegrityError:  # the run was deleted meanwhile: it drops out
            self.done = True
        self.buffer = []

    def speed(self) -> float | None:
        """Images per second of the steps so far, the first (tracing) one left out."""
        if self.timed_images and self.train_seconds > 0:
            return self.timed_images / self.train_seconds
        return None

    def point(self, **fields) -> None:
        self.buffer.append({"epoch": self.epoch, "step": self.step, "time": time.time(),
                            **fields})



# ---------------------------------------------------------------------- the path
def execute(store: RunStore, run_id: str) -> dict:
    """Train the run ``run_id`` (queued or running); return its summary."""
    return execute_group(store, [run_id])[0]


def execute_group(store: RunStore, run_ids: list[str]) -> list[dict]:
    """Train the runs ``run_ids`` together, step by step on the same batches; return
    each one's summary (in the order given). One run failing leaves the others running.

    The runs share their data choice and settings (a race is created so); each fits the
    data to its own network.
    """
    store = store.patient()  # a store another process holds a while delays the run
    for run_id in run_ids:
        if store.get(run_id) is None:
            raise ValueError(f"no run {run_id!r}")
        store.update(run_id, status="running", worker_pid=os.getpid(), heartbeat=time.time(),
                     phase="loading data")
    trainees = []
    for run_id in run_ids:
        try:
            trainees.append(_Trainee(store, run_id))
        except Exception as exc:  # noqa: BLE001 - a stored run that cannot be read
            store.update(run_id, status="failed", phase="", error=f"this run's stored "
                         f"network, data or settings cannot be read: {exc}")
    process_wide = ExitStack()  # Keras's dtype policy and the recursion limit, put back after
    t_start = time.time()
    try:
        if not trainees:
            return _results(store, run_ids, {}, 0.0)
        settings = trainees[0].settings
        strategy, device, cluster = _strategy_for(settings)
        if cluster is not None and len(trainees) > 1:
            raise SettingsError("runs trained together (a race) cannot be spread over "
                                "workers; train one run at a time")
        on_gpu = "GPU" in device
        mixed = settings.mixed_precision == "on" or (settings.mixed_precision == "auto"
                                                      and on_gpu)
        # auto: XLA on a GPU; always on JAX, whose only other mode runs op by op. Not in
        # the multi-worker step: its all-reduce cannot sit inside an XLA cluster.
        jit = cluster is None and (settings.xla == "on" or (
            settings.xla == "auto" and (on_gpu or keras_backend() == "jax")))
        from ..keras_internals import deep_graphs, precision_policy

        process_wide.enter_context(deep_graphs())
        process_wide.enter_context(precision_policy("mixed_float16" if mixed else None))
        dataset = load(trainees[0].choice)
        for t in trainees:
            store.update(t.id, device=device)
            if store.stops_requested([t.id]):  # stopped while waiting or loading
                t.done = True
                store.update(t.id, status="stopped", stop_requested=0, phase="")
                continue
            try:
                _prepare(t, dataset, strategy, jit, mixed, cluster)
            except Exception as exc:  # noqa: BLE001 - this side fails, the others go on
                t.fail(exc)
        _train(store, [t for t in trainees if not t.done], settings)
    except Exception as exc:  # noqa: BLE001 - data or device trouble: every side fails
        for t in trainees:
            if not t.done:
                t.fail(exc)
    finally:
        process_wide.close()
    return _results(store, run_ids, {t.id: t.summary for t in trainees},
                    time.time() - t_start)


def _results(store: RunStore, run_ids: list[str], summaries: dict, seconds: float):
    """Each run's summary, in the order asked; a failed run's error and history."""
    results = []
    for run_id in run_ids:
        run = store.get(run_id)
        if run is None:  # deleted while the others trained
            results.append({"run_id": run_id, "status": "deleted"})
        elif run.status == "failed" or not summaries.get(run_id):
            results.append({"run_id": run_id, "name": run.name, "status": run.status,
                            "error": run.error, "device": run.device,
                            "history": epoch_history(store, run_id)})
        else:
            results.append({**summaries[run_id], "seconds": round(seconds, 2)})
    return results


def _prepare(t: _Trainee, dataset, strategy, jit: bool, mixed: bool, cluster=None) -> None:
    """Fit the data to the network, check it can train, build (or load) and compile."""
    import contextlib

    import keras

    settings = t.settings
    t.data = prepare(dataset, t.spec, t.choice)
    # Memory was checked when the run was queued; here the worker's own pool (grown by
    # earlier runs, or reserved by JAX) would count against it.
    check_feasible(t.data.spec, settings, len(t.data.x_train), memory_limit=1 << 62)
    keras.utils.set_random_seed(settings.seed)
    # Whole batches only (the order changes every epoch, so every image is used): a
    # smaller last batch would retrace the compiled step, seconds each epoch.
    t.steps_per_epoch = len(t.data.x_train) // settings.batch_size
    t.phase("building")
    checkpoint = t.dir / CHECKPOINT
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        for stale in t.dir.glob("partial-*.keras"):  # a write cut off by a kill
            stale.unlink(missing_ok=True)
        if settings.resume and checkpoint.exists():
            try:
                t.model = load_checkpoint(checkpoint)
            except Exception as exc:  # noqa: BLE001 - a damaged file: say what it is
                kept = checkpoint.with_name(f"checkpoint.damaged-{int(time.time())}.keras")
                os.replace(checkpoint, kept)
                raise SettingsError(
                    f"this run's checkpoint is damaged ({str(exc)[:120]}), so it cannot be "
                    f"resumed; it was moved to {kept.name}, and the run keeps its curves: "
                    "start a new run to train this network again") from None
            t.start_epoch = t.run.epochs_done
        elif settings.resume and t.run.epochs_done:
            raise SettingsError("this run's checkpoint is missing, so it cannot be resumed; "
                                "start a new run instead")
        else:
            t.model = build_training_model(t.data.spec, t.choice.augment, mixed,
                                           settings.bn_momentum(), settings.initial_weights)
            compile_model(t.model, settings, t.steps_per_epoch, jit)
    t.total_steps = settings.total_steps(t.steps_per_epoch)
    t.last_epoch = math.ceil(t.total_steps / t.steps_per_epoch)
    if settings.steps and settings.epochs != t.last_epoch:  # pages show the epochs spanned
        t.store.update(t.id, settings={**t.run.settings, "epochs": t.last_epoch})
    if t.start_epoch >= t.last_epoch:
        raise SettingsError(f"the run already did {t.start_epoch} of {t.last_epoch} "
                            "epochs; resume it with more epochs (or steps)")
    # One device in this process, on TensorFlow or JAX (compiled, jit on): the group's
    # compiled chunk of steps ("" : each network's own step per call).
    one_device = cluster is None and getattr(strategy, "num_replicas_in_sync", 1) == 1
    t.compiled_chunks = ("tensorflow" if one_device and keras_backend() == "tensorflow" else
                         "jax" if keras_backend() == "jax" and jit else "")
    t.jit = jit
    if cluster is None:
        t.steps = _KerasSteps(t.model)
    else:
        from .distributed import StepRunner, check_batch

        check_batch(settings.batch_size, strategy.num_replicas_in_sync)
        t.steps = StepRunner(strategy, t.model, settings.batch_size, cluster.chief)
    t.step = t.start_epoch * t.steps_per_epoch
    t.store.drop_points_after(t.id, t.step)  # a resume trains (and draws) them again
    t.x_train = t.data.x_train.astype("float32") / 255.0
    t.x_val = t.data.x_val.astype("float32") / 255.0
    t.store.update(t.id, total_steps=t.total_steps)
    t.tensorboard = _TensorBoardLog(t.dir / "logs")
    if t.step == 0:
        _probe_point(t)
    t.phase("compiling")


def _probe_point(t: _Trainee) -> None:
    """The curve's first point: the untrained network on the first batch, measured
    eagerly, before the (slow) first compiled step."""
    import keras

    bs = t.settings.batch_size
    x, y = t.x_train[:bs], t.data.y_train[:bs]
    probs = keras.ops.convert_to_numpy(t.model(x, training=False)).astype("float64")
    loss = -np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None)))
    acc = np.mean(probs.argmax(axis=1) == y)
    t.point(kind="batch", seen=0, loss=_num(loss), accuracy=_num(acc))
    t.flush()


def _train(store: RunStore, trainees: list[_Trainee], settings: TrainSettings) -> None:
    """The lockstep loop, a chunk of steps at a time: every network still training takes
    the chunk's batches (one device call for the whole group where it can), then Python
    records its points, checkpoints and stops, and reads the stop requests."""
    if not trainees:
        return
    bs = settings.batch_size
    n_train = len(trainees[0].x_train)
    batches = n_train // bs
    poll = _StopPoll(store)
    sizer = chunks.ChunkSizer()
    runners: dict[tuple, object] = {}  # one compiled function per set of networks
    last_epoch = max(t.last_epoch for t in trainees)
    for epoch in range(min(t.start_epoch for t in trainees), last_epoch):
        # One order for every network of the group, fixed by the seed and the epoch.
        order = np.random.default_rng([settings.seed, epoch]).permutation(n_train)
        active = [t for t in trainees
                  if not t.done and t.start_epoch <= epoch < t.last_epoch]
        for t in active:
            t.epoch, t.images_this_epoch = epoch, 0
            t.chunk, t.epoch_sums = _Chunk(), _Chunk()
        b = 0
        while b < batches:
            poll(active, force=sizer.calls == 0)
            running = [t for t in active if not t.done and t.step < t.total_steps]
            if not running:
                break  # ``steps`` may end the last epoch early
            k = sizer.next(min([batches - b] + [_steps_left(t) for t in running]))
            idx = np.sort(order[b * bs:(b + k) * bs].reshape(k, bs), axis=1)
            runner = _runner(runners, running)
            t0 = time.perf_counter()
            try:
                results = runner.run(idx, [t.stop_asked for t in running])
            except Exception as exc:  # noqa: BLE001 - the group's call failed
                if len(running) == 1:
                    running[0].fail(exc)
                    continue
                # Find the culprit: step each network alone, the others go on.
                results = []
                for t in running:
                    try:
                        results.append(_runner(runners, [t]).run(idx, [t.stop_asked])[0])
                    except Exception as exc:  # noqa: BLE001
                        t.fail(exc)
                        results.append(None)
            took, ended = time.perf_counter() - t0, time.time()
            for t, r in zip(running, results):
                if r is not None and not t.done:
                    _record(t, r, idx, (ended - took, ended), n_train,
                            first=sizer.calls == 0)
            sizer.measured(max((len(r.loss) for r in results if r is not None), default=0),
                           took)
            b += k
        for t in active:
            if not t.done:
                _end_epoch(t, epoch, n_train)
    for t in trainees:
        if not t.done:
            _finish(t, "completed")


def _steps_left(t: _Trainee) -> int:
    """Steps the next chunk may take for ``t``: up to its last step, and its next
    checkpoint (so the checkpoint holds the weights of exactly that step)."""
    left = t.total_steps - t.step
    every = t.settings.checkpoint_every
    if every:
        left = min(left, every - t.step % every)
    return max(left, 1)


def _runner(cache: dict, running: list[_Trainee]):
    """The chunk runner of these networks: one compiled TensorFlow function for the
    group where every network trains on one device in this process, else each
    network's own step (the other backends; several devices or workers)."""
    key = tuple(t.id for t in running)
    if key not in cache:
        data = [(t.x_train, t.data.y_train) for t in running]
        kind = {t.compiled_chunks for t in running}
        if kind == {"tensorflow"}:
            cache[key] = chunks.CompiledChunks([t.model for t in running], data,
                                               running[0].jit)
        elif kind == {"jax"}:
            cache[key] = chunks.JaxChunks([t.model for t in running], data)
        else:
            cache[key] = chunks.StepByStep([t.steps for t in running], data)
    return cache[key]


class _StopPoll:
    """Reads the group's stop requests at most every ``STOP_POLL_SECONDS``, and stops
    the runs asked to stop (after the chunk under way)."""

    def __init__(self, store: RunStore):
        self.store, self.last = store, time.perf_counter()

    def __call__(self, trainees: list[_Trainee], force: bool = False) -> None:
        now = time.perf_counter()
        if now - self.last < STOP_POLL_SECONDS and not force:
            return
        self.last = now
        stopping = self.store.stops_requested([t.id for t in trainees if not t.done])
        for t in trainees:
            if t.id in stopping and not t.done:
                if t.steps.synchronised:  # every worker must stop after the same step
                    t.stop_asked = True
                else:
                    _finish(t, "stopped")


def _record(t: _Trainee, r: chunks.ChunkResult, idx: np.ndarray, span: tuple[float, float],
            n_train: int, first: bool) -> None:
    """A chunk's steps for one network: its live points (every ``log_every`` steps and at
    the chunk's end, timed through the chunk's ``span``, the same for its whole group),
    then a divergence, a stop or a checkpoint."""
    bs = idx.shape[1]
    steps = len(r.loss)
    trained = steps - 1 if r.diverged else steps
    t_start, took = span[0], span[1] - span[0]
    for i in range(trained):
        t.step += 1
        t.images_this_epoch += bs
        logs = {"loss": r.loss[i], "accuracy": r.accuracy[i]}
        t.chunk.add(logs, bs)
        t.epoch_sums.add(logs, bs)
        if t.chunk.steps >= t.settings.log_every or i == trained - 1:
            _chunk_point(t, n_train, at=t_start + took * (i + 1) / steps)
    if first:  # the first chunk carries the graph's tracing: not a speed
        t.compile_seconds = round(took, 2)
        t.phase("training")
    elif trained:
        t.train_seconds += took * trained / steps
        t.timed_images += trained * bs
    if r.diverged:  # trained on, every later step would be NaN too
        _diverge(t, t.step + 1, float(r.loss[-1]), n_train)
    elif r.stop:  # agreed by every worker in this step
        _finish(t, "stopped")
    elif _checkpoint_due(t):
        t.phase("saving")
        try:
            save_checkpoint(t.model, t.dir)
        except Exception as exc:  # noqa: BLE001 - a full disk fails this network only
            t.fail(exc)
            return
        t.phase("training")


def _checkpoint_due(t: _Trainee) -> bool:
    """Every ``checkpoint_every`` steps, but not where an epoch's end or the run's end
    writes one anyway."""
    every = t.settings.checkpoint_every
    return (bool(every) and t.step % every == 0 and t.step % t.steps_per_epoch != 0
            and t.step < t.total_steps)


def _chunk_point(t: _Trainee, n_train: int, at: float | None = None) -> None:
    """A live point: the mean of the steps since the last one (``at``: when the last of
    them ended, for replay at the recorded pace)."""
    c = t.chunk
    if not c.images:
        return
    t.point(kind="batch", seen=t.epoch * n_train + t.images_this_epoch,
            loss=_num(c.loss / c.images), accuracy=_num(c.correct / c.images),
            images_per_second=t.speed(), **({"time": at} if at else {}))
    t.flush()
    t.chunk = _Chunk()


def _end_epoch(t: _Trainee, epoch: int, n_train: int) -> None:
    """The epoch's last chunk, validation, a checkpoint and the epoch's point."""
    _chunk_point(t, n_train)
    t.phase("validating")
    try:
        val = t.steps.evaluate(t.x_val, t.data.y_val, max(t.settings.batch_size, 64))
    except Exception as exc:  # noqa: BLE001
        t.fail(exc)
        return
    val_loss = val.get("loss")  # None on a worker that is not the chief: it skips it
    if val_loss is not None and not math.isfinite(val_loss):  # the last update broke it
        _diverge(t, t.step, float(val_loss), n_train, "validation loss")
        return
    ips = t.speed()
    if ips:
        t.epoch_ips.append(ips)
    s = t.epoch_sums  # training loss and accuracy: the epoch's steps, as in He et al.
    train = {"loss": s.loss / max(s.images, 1), "accuracy": s.correct / max(s.images, 1)}
    t.point(kind="epoch", seen=epoch * n_train + t.images_this_epoch, loss=_num(train["loss"]),
            accuracy=_num(train["accuracy"]), val_loss=_num(val.get("loss")),
            val_accuracy=_num(val.get("accuracy")), images_per_second=ips, lr=_lr(t.model))
    t.flush()
    t.phase("saving")
    try:  # a full disk fails this network, not its partners
        t.tensorboard.epoch(epoch, train, val)
        save_checkpoint(t.model, t.dir)
    except Exception as exc:  # noqa: BLE001
        t.fail(exc)
        return
    t.store.update(t.id, epochs_done=epoch + 1, phase="training")


def _finish(t: _Trainee, status: str) -> None:
    """Record the end at once (a Stop takes effect at the step's end), then keep what was
    learned (also mid-epoch) while the phase says "saving", then the predictions.

    A resume queued meanwhile waits for this worker, so it finds the new checkpoint.
    """
    t.done = True
    if t.store.get(t.id) is None:  # deleted meanwhile: nothing to record
        return
    _chunk_point(t, len(t.x_train))
    t.summary = _summary(t.store, t.id, status, t.epoch_ips)
    t.summary["class_names"] = list(t.data.class_names)
    t.summary["compile_seconds"] = t.compile_seconds
    t.status = status
    t.store.update(t.id, status=status, summary=t.summary, stop_requested=0, phase="saving")
    try:
        save_checkpoint(t.model, t.dir)
    except Exception as exc:  # noqa: BLE001
        t.fail(exc)
        return
    t.store.update(t.id, phase="")
    if not t.steps.chief:  # the others' store is thrown away
        return
    try:  # for the Runs page's table; the run is kept without it
        predictions.save(t.dir, t.steps.predict(t.x_val), t.data.x_val, t.data.y_val,
                         t.data.class_names)
    except Exception as exc:  # noqa: BLE001
        (t.dir / "error.log").write_text(f"predictions: {type(exc).__name__}: {exc}\n")


def divergence_message(step: int, loss: float, learning_rate: float,
                       which: str = "loss") -> str:
    """Why a diverged run ended, and what to change."""
    what = "NaN" if math.isnan(loss) else "infinite"
    return (f"diverged: the {which} became {what} at step {step:,}; lower the learning rate "
            f"(it was {learning_rate:g}: try {learning_rate / 10:g} or less)")


def _diverge(t: _Trainee, step: int, loss: float, n_train: int, which: str = "loss") -> None:
    """End a run whose loss became NaN or infinite, after that step: its points up to
    there are kept, its weights (NaN now) are not saved over the last checkpoint, and
    the others of its group go on."""
    t.done = True
    if t.store.get(t.id) is None:  # deleted meanwhile
        return
    _chunk_point(t, n_train)  # the finite steps before it (the last point: step - 1)
    error = divergence_message(step, loss, t.settings.learning_rate, which)
    t.status = "diverged"
    t.summary = {**_summary(t.store, t.id, "diverged", t.epoch_ips), "error": error,
                 "compile_seconds": t.compile_seconds}
    t.store.update(t.id, status="diverged", error=error, summary=t.summary,
                   stop_requested=0, phase="")


def _lr(model):
    try:
        import keras

        lr = model.optimizer.learning_rate
        return float(keras.ops.convert_to_numpy(lr))
    except Exception:  # noqa: BLE001 - informative only
        return None


class _TensorBoardLog:
    """Per-epoch scalars for TensorBoard, when TensorFlow is there (else nothing)."""

    def __init__(self, folder):
        try:
            import tensorflow as tf
        except ImportError:
            self.writer = None
            return
        self.tf = tf
        self.writer = tf.summary.create_file_writer(str(folder))

    def epoch(self, epoch: int, train: dict, val: dict) -> None:
        if self.writer is None:
            return
        with self.writer.as_default():
            for key, value in train.items():
                self.tf.summary.scalar(f"train/{key}", value, step=epoch + 1)
            for key, value in val.items():
                self.tf.summary.scalar(f"validation/{key}", value, step=epoch + 1)
        self.writer.flush()


def epoch_history(store: RunStore, run_id: str) -> list[dict]:
    keys = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "images_per_second")
    return [{k: m[k] for k in keys} for m in store.metrics(run_id, "epoch")]


def _summary(store, run_id, status, epoch_ips) -> dict:
    run = store.get(run_id)
    history = epoch_history(store, run_id)
    ips = float(np.median(epoch_ips)) if epoch_ips else (
        history[-1]["images_per_second"] if history else None)
    return {"run_id": run_id, "name": run.name, "status": status, "device": run.device,
            "history": history, "images_per_second": ips,
            "val_accuracy": history[-1]["val_accuracy"] if history else None}
