"""What reaches past Keras's public API, and the process-wide settings set for a block."""

import sys
import threading

import keras
import numpy as np
import pytest

from resnet_core import build
from resnet_core.keras_internals import (
    DEEP_GRAPH_RECURSION,
    deep_graphs,
    operations_behind,
    precision_policy,
)


def test_the_private_walk_back_from_a_tensor_still_works_on_this_keras():
    """Fails when Keras moves ``_keras_history`` or ``_inbound_nodes``: blocks used on
    Keras tensors would otherwise be named by a count that silently stays 0."""
    x = keras.Input((8, 8, 3))
    assert operations_behind(x) == 1  # the Input
    y = keras.layers.Conv2D(4, 3)(x)
    z = keras.layers.Add()([keras.layers.ReLU()(y), y])  # a diamond: y counted once
    assert operations_behind(y) == 2 and operations_behind(z) == 4
    assert operations_behind(np.zeros((1, 8, 8, 3))) == 0  # eager: no history
    names = [layer.name for layer in keras.Model(x, build.basic_block(z, 4)).layers]
    assert "basic4_conv1" in names  # blocks on Keras tensors are named by it


def test_a_symbolic_tensor_without_history_is_refused_loudly(monkeypatch):
    x = keras.Input((4,))
    monkeypatch.delattr(type(x), "_keras_history", raising=False)
    monkeypatch.delattr(x, "_keras_history", raising=False)
    with pytest.raises(RuntimeError, match="keeps no _keras_history"):
        operations_behind(x)


def test_the_recursion_limit_is_raised_for_the_block_and_put_back():
    before = sys.getrecursionlimit()
    assert before < DEEP_GRAPH_RECURSION  # else this test shows nothing
    with deep_graphs():
        assert sys.getrecursionlimit() == DEEP_GRAPH_RECURSION
        with deep_graphs():  # nested (load_checkpoint inside a training run)
            pass
        assert sys.getrecursionlimit() == DEEP_GRAPH_RECURSION
    assert sys.getrecursionlimit() == before
    with pytest.raises(ValueError), deep_graphs():
        raise ValueError("a failed build")
    assert sys.getrecursionlimit() == before

    build.build_model(build_spec())  # building no longer leaves it raised
    assert sys.getrecursionlimit() == before


def test_the_limit_stays_raised_while_another_thread_still_needs_it():
    before = sys.getrecursionlimit()
    inside, leave = threading.Event(), threading.Event()

    def other():
        with deep_graphs():
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=other)
    t.start()
    inside.wait(10)
    with deep_graphs():
        pass
    assert sys.getrecursionlimit() == DEEP_GRAPH_RECURSION  # the other block is open
    leave.set()
    t.join(10)
    assert sys.getrecursionlimit() == before


def test_the_dtype_policy_is_set_for_the_block_and_put_back():
    before = keras.mixed_precision.global_policy().name
    with precision_policy("mixed_float16"):
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
        assert keras.layers.Dense(2).compute_dtype == "float16"
    assert keras.mixed_precision.global_policy().name == before
    with pytest.raises(KeyError), precision_policy("mixed_float16"):
        raise KeyError("a failed run")
    assert keras.mixed_precision.global_policy().name == before
    with precision_policy(None):
        assert keras.mixed_precision.global_policy().name == before


def build_spec():
    from resnet_core import get_spec

    return get_spec("cifar_resnet20")
