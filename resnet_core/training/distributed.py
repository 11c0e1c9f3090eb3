"""Training over several processes or machines with ``tf.distribute``.

A cluster is what ``TF_CONFIG`` names (TensorFlow's own convention); ``train --workers N``
writes one per local process on loopback (:func:`loopback_configs`, :func:`launch`), so a
laptop runs the very path a cluster runs. Every worker trains the same run through the
engine's one loop; the chief (the "chief" task, else worker 0) writes the run store, the
checkpoints and the live points, the others write to a scratch store that is thrown away.

Keras 3's ``model.fit`` fails under ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585),
so :class:`StepRunner` is the engine's step here: ``strategy.run`` of a ``tf.function`` with
``GradientTape``, ``tf.nn.compute_average_loss`` and the model's Keras optimizer. The stop
flag rides along in the same all-reduce, so every worker stops after the same step.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .forward_metrics import loss_and_accuracy
from .settings import SettingsError

TASK_TYPES = ("chief", "worker")  # what MultiWorkerMirroredStrategy trains with
FAILED_PEER_GRACE_SECONDS = 10.0  # a worker whose peer died waits in a collective for ever


class ClusterError(SettingsError):
    """A TF_CONFIG or worker count that cannot work, with what to change (a run that
    meets one fails with this message alone)."""


@dataclass(frozen=True)
class Cluster:
    """This process's place in the cluster ``TF_CONFIG`` names."""

    size: int  # chief and workers
    task_type: str
    task_index: int
    has_chief: bool = False  # a "chief" task; else worker 0 is the chief

    @property
    def chief(self) -> bool:
        return self.task_type == "chief" or (self.task_index == 0 and not self.has_chief)


def cluster_from_env(environ=None) -> Cluster | None:
    """The cluster of ``$TF_CONFIG``, or ``None`` when it is unset or names one task.

    Raises :class:`ClusterError` saying what is wrong with a malformed one.
    """
    text = (environ if environ is not None else os.environ).get("TF_CONFIG", "").strip()
    if not text:
        return None
    try:
        config = json.loads(text)
    except ValueError:
        raise ClusterError(
            "TF_CONFIG is not JSON; see the README's multi-machine section for its form"
        ) from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ClusterError(
            'TF_CONFIG needs "cluster" (task type → list of "host:port") '
            'and "task" ({"type": ..., "index": ...})'
        )
    other = sorted(set(cluster) - set(TASK_TYPES) - {"evaluator"})
    if other:
        raise ClusterError(
            f"TF_CONFIG names task types {', '.join(map(repr, other))}; "
            "MultiWorkerMirroredStrategy trains with 'chief' and 'worker' "
            "only"
        )
    for kind in TASK_TYPES:
        hosts = cluster.get(kind, [])
        if not (isinstance(hosts, list) and all(isinstance(h, str) and ":" in h for h in hosts)):
            raise ClusterError(f'TF_CONFIG cluster["{kind}"] must be a list of "host:port"')
    if len(cluster.get("chief", [])) > 1:
        raise ClusterError("TF_CONFIG may name one chief at most")
    kind, index = task.get("type"), task.get("index", 0)
    if kind not in TASK_TYPES or kind not in cluster:
        raise ClusterError(
            f"TF_CONFIG task type {kind!r} is not one of the cluster's "
            f"{[k for k in TASK_TYPES if k in cluster]}"
        )
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(cluster[kind]):
        raise ClusterError(f"TF_CONFIG task index {index!r} is not 0 to {len(cluster[kind]) - 1}")
    size = sum(len(cluster.get(k, [])) for k in TASK_TYPES)
    if size < 2:
        return None
    return Cluster(size, kind, index, has_chief=bool(cluster.get("chief")))


def loopback_configs(workers: int) -> list[str]:
    """One ``TF_CONFIG`` per local worker process, on free loopback ports."""
    sockets = []
    try:
        for _ in range(workers):  # held open together, so the ports differ
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        hosts = [f"127.0.0.1:{s.getsockname()[1]}" for s in sockets]
    finally:
        for s in sockets:
            s.close()
    return [
        json.dumps({"cluster": {"worker": hosts}, "task": {"type": "worker", "index": i}})
        for i in range(workers)
    ]


_strategy: tuple | None = None


def multi_worker_strategy(cluster: Cluster):
    """``(strategy, description)`` for this process (created once: TensorFlow allows
    it only before its runtime starts)."""
    global _strategy
    if _strategy is None:
        import tensorflow as tf

        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        local = strategy.extended.worker_devices
        kind = "GPU" if any("GPU" in d for d in local) else "CPU"
        each = f"{len(local)} {kind}s" if len(local) > 1 else kind
        _strategy = (strategy, f"{cluster.size} workers × {each}, MultiWorkerMirroredStrategy")
    return _strategy


class StepRunner:
    """The engine's step, evaluation and prediction for a model under a multi-worker
    strategy. Each replica takes its slice of the global batch, so a step sees the same
    images as one process would, and a run has the same number of steps."""

    synchronised = True  # a stop is agreed on in the step, not acted on at once

    def __init__(self, strategy, model, batch_size: int, chief: bool):
        import keras
        import tensorflow as tf

        self.model, self.chief, self.strategy = model, chief, strategy
        optimizer = model.optimizer
        with strategy.scope():  # its slots must exist before the step is traced
            optimizer.build(model.trainable_variables)
        total = tf.distribute.ReduceOp.SUM

        def replica_step(x, y, stop):
            with tf.GradientTape() as tape:
                probs = model(x, training=True)
                per_image = keras.losses.sparse_categorical_crossentropy(y, probs)
                loss = tf.nn.compute_average_loss(per_image, global_batch_size=batch_size)
                if model.losses:  # kernel regularisers, shared out over the replicas
                    loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
                scaled = optimizer.scale_loss(loss)  # mixed precision: loss scaling
            grads = tape.gradient(scaled, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            hits = tf.equal(tf.argmax(probs, axis=-1, output_type=tf.int64), tf.cast(y, tf.int64))
            return loss, tf.reduce_sum(tf.cast(hits, tf.float32)), stop

        @tf.function
        def step(x, y, stop):
            out = strategy.run(replica_step, args=(x, y, stop))
            return tuple(strategy.reduce(total, v, axis=None) for v in out)

        self._step = step

    def _shards(self, array: np.ndarray):
        """Replica ``r`` of ``n`` takes the ``r``-th of ``n`` near-equal slices."""

        def value(ctx):
            return np.array_split(array, ctx.num_replicas_in_sync)[ctx.replica_id_in_sync_group]

        return self.strategy.experimental_distribute_values_from_function(value)

    def train(self, x: np.ndarray, y: np.ndarray, stop: bool = False) -> dict:
        """One step on the global batch ``x, y``; ``stop`` is this worker's wish to stop,
        ``"stop"`` in the result is true when any worker's was."""
        flag = self.strategy.experimental_distribute_values_from_function(
            lambda ctx: np.float32(stop)
        )
        loss, correct, stops = self._step(self._shards(x), self._shards(y), flag)
        return {"loss": float(loss), "accuracy": float(correct) / len(x), "stop": float(stops) > 0}

    def predict(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """This worker's own forward pass (no collective: the chief alone may call it)."""
        import keras

        return np.concatenate(
            [
                keras.ops.convert_to_numpy(self.model(x[i : i + batch_size], training=False))
                for i in range(0, len(x), batch_size)
            ]
        ).astype(np.float32)

    def evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> dict:
        """Validation loss and accuracy, on the chief only (the others skip it)."""
        if not self.chief:
            return {}
        return loss_and_accuracy(self.model, self.predict(x, batch_size), y)


def scratch_home() -> Path:
    """A throw-away run store for a worker that is not the chief."""
    return Path(tempfile.mkdtemp(prefix="resnet-explorer-worker-"))


def launch(argv: list[str], workers: int, note=print) -> int:
    """Run ``python -m resnet_core <argv>`` as ``workers`` processes on loopback, each
    with its ``TF_CONFIG``; return the chief's exit status.

    The chief writes to this terminal; the others to log files, shown when one fails.
    Ctrl-C reaches every worker: the chief asks its run to stop, the step's all-reduce
    carries that to the others, so all stop after the same step with a checkpoint.
    """
    logs = Path(tempfile.mkdtemp(prefix="resnet-explorer-workers-"))
    procs, files = [], []
    for i, config in enumerate(loopback_configs(workers)):
        env = {**os.environ, "TF_CONFIG": config}
        out = None
        if i:
            out = open(logs / f"worker{i}.log", "w")  # noqa: SIM115 - closed below
            files.append(out)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "resnet_core", *argv],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
                stdin=subprocess.DEVNULL,
            )
        )
    note(
        f"started {workers} worker processes on loopback (pids "
        f"{', '.join(str(p.pid) for p in procs)}); the first is the chief"
    )

    def end_workers(*_):
        for p in procs:
            if p.poll() is None:
                p.terminate()

    previous = signal.signal(signal.SIGINT, lambda *_: None)  # the workers handle it
    previous_term = signal.signal(signal.SIGTERM, end_workers)  # none left behind
    try:
        failed_at = None
        while any(p.poll() is None for p in procs):
            if failed_at is None and any(p.returncode not in (None, 0) for p in procs):
                failed_at = time.monotonic()
            if failed_at is not None and time.monotonic() - failed_at > FAILED_PEER_GRACE_SECONDS:
                end_workers()  # the rest wait for the dead one in a collective
            time.sleep(0.2)
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)
        for f in files:
            f.close()
    failed = False
    for i, p in enumerate(procs[1:], start=1):
        if p.returncode not in (0, -signal.SIGTERM):  # SIGTERM: ended here, after a peer
            failed = True
            tail = _last_lines(logs / f"worker{i}.log")
            print(
                f"error: worker {i} exited with status {p.returncode}"
                + (f": {tail}" if tail else "")
                + f" (its log: {logs / f'worker{i}.log'})",
                file=sys.stderr,
            )
    if not failed:
        shutil.rmtree(logs, ignore_errors=True)
    return procs[0].returncode if procs[0].returncode >= 0 else 1


def _last_lines(path: Path, n: int = 3) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return " | ".join(lines[-n:])


def check_batch(batch_size: int, replicas: int) -> None:
    """A global batch must give every replica at least one image."""
    if batch_size < replicas:
        raise ClusterError(
            f"a batch of {batch_size} cannot be shared out over {replicas} "
            f"replicas; use a batch size of at least {replicas}"
        )
