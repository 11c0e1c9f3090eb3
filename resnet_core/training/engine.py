"""The training loop: a group of runs from the store, trained, recorded back there.

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

Its parts live beside it: the device and strategy (:mod:`.strategy`), the model and its
optimizer (:mod:`.training_model`, :mod:`.optimizers`), checkpoint files
(:mod:`.checkpoints`), one run's state (:mod:`.trainee`), Keras's step
(:mod:`.steps`), TensorBoard (:mod:`.tensorboard_log`) and the summaries (:mod:`.run_results`).
"""

from __future__ import annotations

import math
import os
import time
from contextlib import ExitStack

import numpy as np

from ..data import load, prepare
from . import checkpoints, chunks, predictions, training_model
from .forward_metrics import loss_and_accuracy
from .run_results import group_results, run_summary
from .settings import SettingsError, TrainSettings, check_feasible
from .steps import KerasSteps
from .store import RunStore
from .strategy import device_modes, keras_backend, strategy_for
from .tensorboard_log import TensorBoardLog
from .trainee import StepSums, Trainee

STOP_POLL_SECONDS = 0.2  # how often the stop flags are read between steps
LIVE_POINT_SECONDS = 2.0  # a chunk this long ends with a live point off the log_every steps


def _num(v):
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


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
        store.update(
            run_id,
            status="running",
            worker_pid=os.getpid(),
            heartbeat=time.time(),
            phase="loading data",
        )
    trainees = []
    for run_id in run_ids:
        try:
            trainees.append(Trainee(store, run_id))
        except Exception as exc:  # noqa: BLE001 - a stored run that cannot be read
            store.update(
                run_id,
                status="failed",
                phase="",
                error=f"this run's stored network, data or settings cannot be read: {exc}",
            )
    process_wide = ExitStack()  # Keras's dtype policy and the recursion limit, put back after
    t_start = time.time()
    try:
        if not trainees:
            return group_results(store, run_ids, {}, 0.0)
        settings = trainees[0].settings
        strategy, device, cluster = strategy_for(settings)
        if cluster is not None and len(trainees) > 1:
            raise SettingsError(
                "runs trained together (a race) cannot be spread over "
                "workers; train one run at a time"
            )
        mixed, jit = device_modes(settings, device, multi_worker=cluster is not None)
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
    return group_results(store, run_ids, {t.id: t.summary for t in trainees}, time.time() - t_start)


def _prepare(t: Trainee, dataset, strategy, jit: bool, mixed: bool, cluster=None) -> None:
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
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        checkpoints.remove_partial_files(t.dir)  # writes cut off by a kill
        if settings.resume and (t.dir / checkpoints.CHECKPOINT).exists():
            t.model = checkpoints.load_to_resume(t.dir)
            t.start_epoch = t.run.epochs_done
        elif settings.resume and t.run.epochs_done:
            raise SettingsError(
                "this run's checkpoint is missing, so it cannot be resumed; start a new run instead"
            )
        else:
            t.model = training_model.build_training_model(
                t.data.spec,
                t.choice.augment,
                mixed,
                settings.bn_momentum(),
                settings.initial_weights,
            )
            training_model.compile_model(t.model, settings, t.steps_per_epoch, jit)
    t.total_steps = settings.total_steps(t.steps_per_epoch)
    t.last_epoch = math.ceil(t.total_steps / t.steps_per_epoch)
    if settings.steps and settings.epochs != t.last_epoch:  # pages show the epochs spanned
        t.store.update(t.id, settings={**t.run.settings, "epochs": t.last_epoch})
    if t.start_epoch >= t.last_epoch:
        raise SettingsError(
            f"the run already did {t.start_epoch} of {t.last_epoch} "
            "epochs; resume it with more epochs (or steps)"
        )
    # One device in this process, on TensorFlow or JAX (compiled, jit on): the group's
    # compiled chunk of steps ("" : each network's own step per call).
    one_device = cluster is None and getattr(strategy, "num_replicas_in_sync", 1) == 1
    t.compiled_chunks = (
        "tensorflow"
        if one_device and keras_backend() == "tensorflow"
        else "jax"
        if keras_backend() == "jax" and jit
        else ""
    )
    t.jit = jit
    if cluster is None:
        t.steps = KerasSteps(t.model)
    else:
        from .distributed import StepRunner, check_batch

        check_batch(settings.batch_size, strategy.num_replicas_in_sync)
        t.steps = StepRunner(strategy, t.model, settings.batch_size, cluster.chief)
    t.step = t.start_epoch * t.steps_per_epoch
    t.store.drop_points_after(t.id, t.step)  # a resume trains (and draws) them again
    t.x_train = t.data.x_train.astype("float32") / 255.0
    t.x_val = t.data.x_val.astype("float32") / 255.0
    t.store.update(t.id, total_steps=t.total_steps)
    t.tensorboard = TensorBoardLog(t.dir / "logs")
    if t.step == 0:
        _probe_point(t)
    t.phase("compiling")


def _probe_point(t: Trainee) -> None:
    """The curve's first point: the untrained network on the first batch, measured
    eagerly, before the (slow) first compiled step."""
    import keras

    bs = t.settings.batch_size
    x, y = t.x_train[:bs], t.data.y_train[:bs]
    first = loss_and_accuracy(t.model, keras.ops.convert_to_numpy(t.model(x, training=False)), y)
    t.point(kind="batch", seen=0, loss=_num(first["loss"]), accuracy=_num(first["accuracy"]))
    t.flush()


def _train(store: RunStore, trainees: list[Trainee], settings: TrainSettings) -> None:
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
        active = [t for t in trainees if not t.done and t.start_epoch <= epoch < t.last_epoch]
        for t in active:
            t.epoch, t.images_this_epoch = epoch, 0
            t.chunk, t.epoch_sums = StepSums(), StepSums()
        b = 0
        while b < batches:
            poll(active, force=sizer.calls == 0)
            running = [t for t in active if not t.done and t.step < t.total_steps]
            if not running:
                break  # ``steps`` may end the last epoch early
            k = sizer.next(min([batches - b] + [_steps_left(t) for t in running]))
            idx = np.sort(order[b * bs : (b + k) * bs].reshape(k, bs), axis=1)
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
                    _record(t, r, idx, (ended - took, ended), n_train, first=sizer.calls == 0)
            sizer.measured(max((len(r.loss) for r in results if r is not None), default=0), took)
            b += k
        for t in active:
            if not t.done:
                _end_epoch(t, epoch, n_train)
    for t in trainees:
        if not t.done:
            _finish(t, "completed")


def _steps_left(t: Trainee) -> int:
    """Steps the next chunk may take for ``t``: up to its last step, and its next
    checkpoint (so the checkpoint holds the weights of exactly that step)."""
    left = t.total_steps - t.step
    every = t.settings.checkpoint_every
    if every:
        left = min(left, every - t.step % every)
    return max(left, 1)


def _runner(cache: dict, running: list[Trainee]):
    """The chunk runner of these networks: one compiled TensorFlow function for the
    group where every network trains on one device in this process, else each
    network's own step (the other backends; several devices or workers)."""
    key = tuple(t.id for t in running)
    if key not in cache:
        data = [(t.x_train, t.data.y_train) for t in running]
        kind = {t.compiled_chunks for t in running}
        if kind == {"tensorflow"}:
            cache[key] = chunks.CompiledChunks([t.model for t in running], data, running[0].jit)
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

    def __call__(self, trainees: list[Trainee], force: bool = False) -> None:
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


def _record(
    t: Trainee,
    r: chunks.ChunkResult,
    idx: np.ndarray,
    span: tuple[float, float],
    n_train: int,
    first: bool,
) -> None:
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
        # Points on fixed steps (every log_every-th), so two runs with one seed draw the
        # same curve and a race states the same result whatever the chunks were (their
        # ends follow the clock); a slow chunk (the first, compiling; long steps) also
        # ends with one, so the page never waits long for a point.
        aligned = t.step % t.settings.log_every == 0
        if aligned or (i == trained - 1 and took >= LIVE_POINT_SECONDS):
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
            checkpoints.save_checkpoint(t.model, t.dir)
        except Exception as exc:  # noqa: BLE001 - a full disk fails this network only
            t.fail(exc)
            return
        t.phase("training")


def _checkpoint_due(t: Trainee) -> bool:
    """Every ``checkpoint_every`` steps, but not where an epoch's end or the run's end
    writes one anyway."""
    every = t.settings.checkpoint_every
    return (
        bool(every)
        and t.step % every == 0
        and t.step % t.steps_per_epoch != 0
        and t.step < t.total_steps
    )


def _chunk_point(t: Trainee, n_train: int, at: float | None = None) -> None:
    """A live point: the mean of the steps since the last one (``at``: when the last of
    them ended, for replay at the recorded pace)."""
    c = t.chunk
    if not c.images:
        return
    t.point(
        kind="batch",
        seen=t.epoch * n_train + t.images_this_epoch,
        loss=_num(c.loss / c.images),
        accuracy=_num(c.correct / c.images),
        images_per_second=t.speed(),
        **({"time": at} if at else {}),
    )
    t.flush()
    t.chunk = StepSums()


def _end_epoch(t: Trainee, epoch: int, n_train: int) -> None:
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
    t.point(
        kind="epoch",
        seen=epoch * n_train + t.images_this_epoch,
        loss=_num(train["loss"]),
        accuracy=_num(train["accuracy"]),
        val_loss=_num(val.get("loss")),
        val_accuracy=_num(val.get("accuracy")),
        images_per_second=ips,
        lr=_lr(t.model),
    )
    t.flush()
    t.phase("saving")
    try:  # a full disk fails this network, not its partners
        t.tensorboard.epoch(epoch, train, val)
        checkpoints.save_checkpoint(t.model, t.dir)
    except Exception as exc:  # noqa: BLE001
        t.fail(exc)
        return
    t.store.update(t.id, epochs_done=epoch + 1, phase="training")


def _finish(t: Trainee, status: str) -> None:
    """Record the end at once (a Stop takes effect at the step's end), then keep what was
    learned (also mid-epoch) while the phase says "saving", then the predictions.

    A resume queued meanwhile waits for this worker, so it finds the new checkpoint.
    """
    t.done = True
    if t.store.get(t.id) is None:  # deleted meanwhile: nothing to record
        return
    _chunk_point(t, len(t.x_train))
    t.summary = run_summary(t.store, t.id, status, t.epoch_ips)
    t.summary["class_names"] = list(t.data.class_names)
    t.summary["compile_seconds"] = t.compile_seconds
    t.store.update(t.id, status=status, summary=t.summary, stop_requested=0, phase="saving")
    try:
        checkpoints.save_checkpoint(t.model, t.dir)
    except Exception as exc:  # noqa: BLE001
        t.fail(exc)
        return
    t.store.update(t.id, phase="")
    if not t.steps.chief:  # the others' store is thrown away
        return
    try:  # for the Runs page's table; the run is kept without it
        predictions.save(
            t.dir, t.steps.predict(t.x_val), t.data.x_val, t.data.y_val, t.data.class_names
        )
    except Exception as exc:  # noqa: BLE001
        (t.dir / "error.log").write_text(f"predictions: {type(exc).__name__}: {exc}\n")


def divergence_message(step: int, loss: float, learning_rate: float, which: str = "loss") -> str:
    """Why a diverged run ended, and what to change."""
    what = "NaN" if math.isnan(loss) else "infinite"
    return (
        f"diverged: the {which} became {what} at step {step:,}; lower the learning rate "
        f"(it was {learning_rate:g}: try {learning_rate / 10:g} or less)"
    )


def _diverge(t: Trainee, step: int, loss: float, n_train: int, which: str = "loss") -> None:
    """End a run whose loss became NaN or infinite, after that step: its points up to
    there are kept, its weights (NaN now) are not saved over the last checkpoint, and
    the others of its group go on."""
    t.done = True
    if t.store.get(t.id) is None:  # deleted meanwhile
        return
    _chunk_point(t, n_train)  # the finite steps before it (the last point: step - 1)
    error = divergence_message(step, loss, t.settings.learning_rate, which)
    t.summary = {
        **run_summary(t.store, t.id, "diverged", t.epoch_ips),
        "error": error,
        "compile_seconds": t.compile_seconds,
    }
    t.store.update(
        t.id, status="diverged", error=error, summary=t.summary, stop_requested=0, phase=""
    )


def _lr(model):
    try:
        import keras

        lr = model.optimizer.learning_rate
        return float(keras.ops.convert_to_numpy(lr))
    except Exception:  # noqa: BLE001 - informative only
        return None
