"""Chunks of training steps per device call: the engine's inner loop.

A *chunk* is K consecutive batches. :class:`CompiledChunks` trains every network of a
group (one run, a race, the degradation set) on those K batches in **one** compiled
TensorFlow function: a ``tf.while_loop`` over the steps, each step taking one gradient
step of every network (same batches, their own weights and optimizer state), so the
group compiles once, its curves start together, and Python, the metrics and the run
store are visited once per chunk instead of once per step. The loop stops after the
first step whose loss is not finite (a diverged network), so no later step trains on
NaN. Per-step losses and accuracies come back as one array, read once.

:class:`JaxChunks` does the same on JAX: one ``jax.jit`` of a ``lax.while_loop`` over
Keras's own stateless ``train_step`` (the state tuple of every network, as Keras's ``fit``
keeps it), the images on the device once, each chunk naming its batches by index (so
every chunk size shares one compiled function); the weights go back into the Keras
variables after each chunk (an exchange of array references). On a CPU device it loops
over one jitted step in Python instead (XLA:CPU runs convolutions in a loop slowly).

:class:`StepByStep` gives the same answer through each network's own per-step call
(Keras's ``train_on_batch``, or the multi-worker step): the path of the other Keras
backends and of ``tf.distribute`` across workers.

Every runner holds each network's training images and labels and is given the batches
of a chunk as indices, ``idx`` (K, batch), one row per step.

:class:`ChunkSizer` picks K from measured time so a call lasts about
``TARGET_SECONDS`` (Keras's ``steps_per_execution``, sized for Stop and live curves).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TARGET_SECONDS = 0.3  # a device call lasts about this long (Stop acts between calls)
MAX_STEPS = 1000  # and never more steps than this (memory of the staged batches)


@dataclass
class ChunkResult:
    """One network's steps of a chunk: per-step loss and accuracy of the steps trained,
    and why it ended early, if it did."""

    loss: np.ndarray  # (steps,) float64; a diverged network's last entry is not finite
    accuracy: np.ndarray
    stop: bool = False  # every worker agreed to stop after the last step

    @property
    def diverged(self) -> bool:
        return len(self.loss) > 0 and not math.isfinite(float(self.loss[-1]))


class ChunkSizer:
    """K for the next chunk: 1 first (the compile, and a first point at once), then
    as many steps as fill ``TARGET_SECONDS`` at the measured speed, growing at most
    fourfold per chunk (a first measure may be noisy)."""

    def __init__(self, target: float = TARGET_SECONDS, limit: int = MAX_STEPS):
        self.target, self.limit = target, limit
        self.size = 1
        self.calls = 0

    def next(self, bound: int) -> int:
        return max(1, min(self.size, bound, self.limit))

    def measured(self, steps: int, seconds: float) -> None:
        self.calls += 1
        if self.calls == 1 or steps <= 0:  # the first call carries the compile
            self.size = 2
            return
        per_step = max(seconds / steps, 1e-6)
        self.size = int(max(1, min(round(self.target / per_step), 4 * max(steps, 1), self.limit)))


class StepByStep:
    """Each network's own per-step call, K times: the portable path."""

    def __init__(self, steps: list, data: list[tuple[np.ndarray, np.ndarray]]):
        self.steps = steps  # per network: .train(x, y, stop) -> logs
        self.data = data  # per network: (images, labels)

    def run(self, idx: np.ndarray, stop_asked: list[bool]) -> list[ChunkResult]:
        xs = [x[idx] for x, _ in self.data]
        y = self.data[0][1][idx]
        n = len(self.steps)
        losses: list[list[float]] = [[] for _ in range(n)]
        accs: list[list[float]] = [[] for _ in range(n)]
        stops = [False] * n
        for i in range(len(y)):
            bad = False
            for j, s in enumerate(self.steps):
                if stops[j]:
                    continue
                logs = s.train(xs[j][i], y[i], stop_asked[j])
                loss = float(logs.get("loss", math.nan))
                losses[j].append(loss)
                accs[j].append(float(logs.get("accuracy", math.nan)))
                stops[j] = bool(logs.get("stop"))
                bad = bad or not math.isfinite(loss)
            if bad or any(stops):  # the chunk ends with that step, as the compiled one
                break
        return [
            ChunkResult(np.asarray(lo, dtype="float64"), np.asarray(a, dtype="float64"), st)
            for lo, a, st in zip(losses, accs, stops)
        ]


class CompiledChunks:
    """A group's networks trained K steps per call in one ``tf.function`` (TensorFlow).

    Each model must be compiled (optimizer, loss); its variables stay on the device
    between calls. ``jit`` compiles the loop with XLA.
    """

    def __init__(self, models: list, data: list[tuple[np.ndarray, np.ndarray]], jit: bool = False):
        import tensorflow as tf

        self.tf = tf
        self.models, self.data = models, data
        for m in models:  # the optimizer's slots exist before the function is traced
            m.optimizer.build(m.trainable_variables)
        specs = [tf.TensorSpec((None, *m.inputs[0].shape[1:]), tf.float32) for m in models]
        self._run = tf.function(
            self._loop,
            jit_compile=jit,
            reduce_retracing=True,
            input_signature=[
                [tf.TensorSpec((None, None, *s.shape[1:]), tf.float32) for s in specs],
                tf.TensorSpec((None, None), tf.int32),
            ],
        )

    def _step(self, model, x, y):
        tf = self.tf
        with tf.GradientTape() as tape:
            probs = model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=probs, training=True)
            scaled = model.optimizer.scale_loss(loss)  # mixed precision's loss scale
        grads = tape.gradient(scaled, model.trainable_variables)
        model.optimizer.apply_gradients(zip(grads, model.trainable_variables))
        hits = tf.cast(tf.equal(tf.argmax(probs, axis=-1, output_type=tf.int32), y), tf.float32)
        return tf.cast(loss, tf.float32), tf.reduce_mean(hits)

    def _loop(self, xs, y):
        tf = self.tf
        k = tf.shape(y)[0]
        n = len(self.models)
        losses = tf.TensorArray(tf.float32, size=k, element_shape=(n,))
        accs = tf.TensorArray(tf.float32, size=k, element_shape=(n,))

        def body(i, finite, losses, accs):
            pairs = [self._step(m, x[i], y[i]) for m, x in zip(self.models, xs)]
            loss = tf.stack([p[0] for p in pairs])
            losses = losses.write(i, loss)
            accs = accs.write(i, tf.stack([p[1] for p in pairs]))
            return i + 1, tf.reduce_all(tf.math.is_finite(loss)), losses, accs

        done, _, losses, accs = tf.while_loop(
            lambda i, finite, *_: tf.logical_and(i < k, finite),
            body,
            (tf.constant(0), tf.constant(True), losses, accs),
        )
        return done, losses.stack(), accs.stack()

    def run(self, idx: np.ndarray, stop_asked: list[bool] | None = None) -> list[ChunkResult]:
        xs = [x[idx] for x, _ in self.data]
        done, losses, accs = self._run(xs, self.data[0][1][idx].astype("int32"))
        done = int(done)  # one read of the chunk's figures: the device's only wait
        losses = losses.numpy()[:done].astype("float64")
        accs = accs.numpy()[:done].astype("float64")
        return [ChunkResult(losses[:, j], accs[:, j]) for j in range(len(self.models))]


class JaxChunks:
    """A group's networks trained K steps per call in one ``jax.jit`` (JAX backend).

    The step is each model's own ``train_step(state, data)`` (Keras's stateless step:
    loss scaling, metrics), its metrics restarted every step so each step's own loss and
    accuracy come back. One compiled function serves every chunk size: the images stay on
    the device and a chunk passes its batches' indices, padded to ``MAX_STEPS`` rows.

    On a CPU device the chunk is a Python loop over one jitted step instead (``host_loop``):
    convolutions inside an XLA:CPU ``while_loop`` run several times slower than the same
    step jitted alone (jax-ml/jax#12868; benchmarks/RESULTS.md). The state tuple stays in
    JAX arrays between the steps and goes back into Keras once per chunk, as on the GPU.
    """

    def __init__(
        self,
        models: list,
        data: list[tuple[np.ndarray, np.ndarray]],
        host_loop: bool | None = None,
    ):
        import jax
        import jax.numpy as jnp

        self.jnp = jnp
        self.models = models
        for m in models:
            m.optimizer.build(m.trainable_variables)
            m.reset_metrics()
        self.images = [jnp.asarray(x) for x, _ in data]
        self.labels = jnp.asarray(data[0][1].astype("int32"))
        self.zero_metrics = [[v.value for v in m.metrics_variables] for m in models]
        if host_loop is None:
            host_loop = jax.devices()[0].platform == "cpu"
        self.host_loop = host_loop
        if host_loop:
            self._one = jax.jit(self._step)
        else:
            self._run = jax.jit(self._loop)

    def _step(self, states, images, labels, rows):
        """One gradient step of every network on the batch ``rows``: the new states and
        the step's losses and accuracies, (networks,) each."""
        jnp = self.jnp
        y = labels[rows]
        new, loss, acc = [], [], []
        for m, state, x, zero in zip(self.models, states, images, self.zero_metrics):
            logs, (tv, ntv, ov, _) = m.train_step((*state, zero), (x[rows], y, None))
            new.append((tv, ntv, ov))
            loss.append(jnp.asarray(logs["loss"], jnp.float32))
            acc.append(jnp.asarray(logs["accuracy"], jnp.float32))
        return tuple(new), jnp.stack(loss), jnp.stack(acc)

    def _loop(self, states, images, labels, idx, k):
        import jax

        jnp = self.jnp
        n = len(self.models)
        rows = idx.shape[0]

        def body(carry):
            i, _, states, losses, accs = carry
            states, loss, acc = self._step(states, images, labels, idx[i])
            return (
                i + 1,
                jnp.all(jnp.isfinite(loss)),
                states,
                losses.at[i].set(loss),
                accs.at[i].set(acc),
            )

        init = (
            jnp.int32(0),
            jnp.bool_(True),
            states,
            jnp.zeros((rows, n), jnp.float32),
            jnp.zeros((rows, n), jnp.float32),
        )
        done, _, states, losses, accs = jax.lax.while_loop(lambda c: (c[0] < k) & c[1], body, init)
        return states, done, losses, accs

    def _host_loop(self, states, idx):
        """The chunk step by step from Python, ending after the first step whose loss is
        not finite, as the while-loop does."""
        losses, accs = [], []
        for rows in idx:
            states, loss, acc = self._one(states, self.images, self.labels, rows)
            loss = np.asarray(loss)  # waits for the step: the stop test needs its loss
            losses.append(loss)
            accs.append(np.asarray(acc))
            if not np.isfinite(loss).all():
                break
        n = len(self.models)
        losses = np.asarray(losses, dtype="float32").reshape(-1, n)
        return states, len(losses), losses, np.asarray(accs, dtype="float32").reshape(-1, n)

    def run(self, idx: np.ndarray, stop_asked: list[bool] | None = None) -> list[ChunkResult]:
        states = tuple(
            (
                [v.value for v in m.trainable_variables],
                [v.value for v in m.non_trainable_variables],
                [v.value for v in m.optimizer.variables],
            )
            for m in self.models
        )
        idx = np.asarray(idx, dtype="int32")
        if self.host_loop:
            states, done, losses, accs = self._host_loop(states, idx)
        else:
            k = len(idx)
            padded = np.zeros((max(MAX_STEPS, k), idx.shape[1]), dtype="int32")
            padded[:k] = idx
            states, done, losses, accs = self._run(states, self.images, self.labels, padded, k)
        for m, (tv, ntv, ov) in zip(self.models, states):  # the weights back in Keras
            for var, value in zip(m.trainable_variables, tv):
                var.assign(value)
            for var, value in zip(m.non_trainable_variables, ntv):
                var.assign(value)
            for var, value in zip(m.optimizer.variables, ov):
                var.assign(value)
        done = int(done)  # one read of the chunk's figures
        losses = np.asarray(losses)[:done].astype("float64")
        accs = np.asarray(accs)[:done].astype("float64")
        return [ChunkResult(losses[:, j], accs[:, j]) for j in range(len(self.models))]
