"""The engine's chunks of steps: K steps of a group in one compiled call, the same figures
as step by step, a stop at the first NaN, no retracing (tiny networks: fast)."""

import numpy as np
import pytest

from resnet_core.training import chunks
from resnet_core.training.chunks import ChunkSizer, CompiledChunks, StepByStep
from resnet_core.training.steps import KerasSteps


def tiny_model(seed: int):
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3)(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    model.compile(
        optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def batches(k, bs=8, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.random((k, bs, 8, 8, 1), dtype=np.float32),
        rng.integers(0, 3, (k, bs)).astype("int32"),
    )


def as_data(x, y):
    """(images, labels) as a runner holds them, and the chunk's rows of indices."""
    k, bs = y.shape
    return (x.reshape(k * bs, *x.shape[2:]), y.reshape(-1)), np.arange(k * bs).reshape(k, bs)


def test_a_compiled_chunk_trains_as_keras_steps_do_one_at_a_time():
    data, idx = as_data(*batches(4))
    ours = CompiledChunks([tiny_model(1), tiny_model(2)], [data, data])
    theirs = StepByStep([KerasSteps(tiny_model(1)), KerasSteps(tiny_model(2))], [data, data])
    a = ours.run(idx)
    b = theirs.run(idx, [False, False])
    for r, s in zip(a, b):
        assert len(r.loss) == len(s.loss) == 4 and not r.diverged
        np.testing.assert_allclose(r.loss, s.loss, rtol=1e-4)
        np.testing.assert_allclose(r.accuracy, s.accuracy)
    assert a[0].loss[0] != a[1].loss[0]  # two networks, their own weights
    for m, n in zip(ours.models, (s.model for s in theirs.steps)):
        for v, w in zip(m.get_weights(), n.get_weights()):
            np.testing.assert_allclose(v, w, rtol=1e-4, atol=1e-6)


def test_one_trace_for_every_chunk_size_and_a_stop_at_the_first_nan():
    x, y = batches(5, seed=9)
    bad = x.copy()
    bad[2, 0] = np.nan  # an image of NaN in the third step of the first network
    (good, labels), idx = as_data(x, y)
    runner = CompiledChunks(
        [tiny_model(1), tiny_model(2)], [(bad.reshape(good.shape), labels), (good, labels)]
    )
    for rows in (idx[:1], idx[3:], idx[:2]):
        assert [len(r.loss) for r in runner.run(rows)] == [len(rows)] * 2
    assert runner._run.experimental_get_tracing_count() == 1
    first, second = runner.run(idx)
    assert first.diverged and len(first.loss) == 3 and np.isfinite(first.loss[:2]).all()
    assert not second.diverged and len(second.loss) == 3  # the group's chunk ends there


def test_validation_and_predictions_trace_one_forward_pass_per_model():
    steps = KerasSteps(tiny_model(3))
    x, y = batches(1, bs=70)
    for _ in range(3):  # every epoch's validation, a last batch of 6 images
        val = steps.evaluate(x[0], y[0], batch_size=64)
        assert 0 <= val["accuracy"] <= 1 and val["loss"] > 0
    probs = steps.predict(x[0], batch_size=64)
    assert probs.shape == (70, 3)
    assert steps._forward.experimental_get_tracing_count() == 1
    keras_val = steps.model.evaluate(x[0], y[0], batch_size=64, verbose=0, return_dict=True)
    assert val["loss"] == pytest.approx(keras_val["loss"], rel=1e-4)
    assert val["accuracy"] == pytest.approx(keras_val["accuracy"])


def test_the_chunk_size_fills_the_target_time_growing_gently():
    sizer = ChunkSizer(target=0.3, limit=1000)
    assert sizer.next(bound=50) == 1  # the first call compiles: one step
    sizer.measured(1, 20.0)  # its seconds are the compile's, not a speed
    assert sizer.next(50) == 2
    sizer.measured(2, 0.02)  # 10 ms a step: 30 fill 0.3 s, but at most 4x the last
    assert sizer.next(50) == 8
    sizer.measured(8, 0.08)
    assert sizer.next(50) == 30 and sizer.next(bound=7) == 7
    sizer.measured(30, 3.0)  # 100 ms a step now (the machine got busy)
    assert sizer.next(50) == 3
    assert chunks.TARGET_SECONDS <= 0.5


JAX_CHILD = """
import numpy as np, keras
from resnet_core.training.chunks import JaxChunks
from tests.test_chunks import tiny_model, batches, as_data

x, y = batches(3, seed=4)
x[2, 0] = np.nan  # the third step's loss is NaN: both loops end there
data, idx = as_data(x, y)
host = JaxChunks([tiny_model(1)], [data])
assert host.host_loop  # chosen on a CPU device
(a,) = host.run(idx)
(b,) = JaxChunks([tiny_model(1)], [data], host_loop=False).run(idx)
assert len(a.loss) == len(b.loss) == 3 and a.diverged and b.diverged
np.testing.assert_allclose(a.loss[:2], b.loss[:2], rtol=1e-5)
np.testing.assert_allclose(a.accuracy, b.accuracy)
(c,) = host.run(idx[:2])  # the weights went back into Keras: a NaN step is not undone
assert len(c.loss) == 1 and c.diverged
x, y = batches(3, seed=5)
data, idx = as_data(x, y)
runs = [JaxChunks([tiny_model(2)], [data], host_loop=h) for h in (True, False)]
(a,), (b,) = (r.run(idx) for r in runs)
np.testing.assert_allclose(a.loss, b.loss, rtol=1e-5)
for m, n in zip(runs[0].models[0].get_weights(), runs[1].models[0].get_weights()):
    np.testing.assert_allclose(m, n, rtol=1e-4, atol=1e-6)
print("ok", a.loss)
"""


def test_jax_on_a_cpu_loops_over_one_jitted_step_with_the_while_loops_figures():
    """On XLA:CPU the chunk is a Python loop over a jitted step (a while-loop of
    convolutions runs slowly there): the same losses, stop at NaN and weights. A child
    process, as the suite's own Keras is on TensorFlow."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run(
        [sys.executable, "-c", JAX_CHILD],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("ok")


def test_live_points_fall_on_the_same_steps_however_the_clock_cut_the_chunks(monkeypatch):
    """Chunk sizes follow the clock (0.2 to 0.5 s a call), so two runs with one seed are
    cut differently; their points, and so their curves and a race's stated result, must
    not be: they fall every log_every steps. A slow chunk (compiling, long steps) still
    ends with a point."""
    from types import SimpleNamespace

    from resnet_core.training import chunks as chunks_module
    from resnet_core.training import engine
    from resnet_core.training.trainee import StepSums

    accuracy = np.linspace(0.1, 0.99, 20)

    def points(cuts, took=0.3):
        t = SimpleNamespace(
            step=0,
            images_this_epoch=0,
            chunk=StepSums(),
            epoch_sums=StepSums(),
            settings=SimpleNamespace(log_every=5),
            train_seconds=0.0,
            timed_images=0,
        )
        out = []

        def point(t, n_train, at=None):
            out.append((t.step, round(t.chunk.correct / t.chunk.images, 6)))
            t.chunk = StepSums()

        monkeypatch.setattr(engine, "_chunk_point", point)
        monkeypatch.setattr(engine, "_checkpoint_due", lambda t: False)
        start = 0
        for n in cuts:
            part = accuracy[start : start + n]
            r = chunks_module.ChunkResult(loss=np.ones(n), accuracy=part)
            engine._record(t, r, np.zeros((n, 4), dtype=int), (0.0, took), 80, first=False)
            start += n
        return out

    one = points([3, 4, 6, 7])
    assert one == points([1, 9, 2, 8]) == points([20])
    assert [s for s, _ in one] == [5, 10, 15, 20]
    slow = points([1, 1, 1], took=engine.LIVE_POINT_SECONDS)  # one long step a chunk
    assert [s for s, _ in slow] == [1, 2, 3]
