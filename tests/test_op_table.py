"""The op table is the one home of an operation's meaning; names need no global state."""

import keras
import pytest

from resnet_core import PRESETS, build, get_spec, op_table
from resnet_core.trace import Tracer, trace_spec


@pytest.fixture(scope="module")
def traced_layers():
    return [l for name in PRESETS for l in trace_spec(get_spec(name)).layers]


def test_every_op_carries_exactly_the_keys_its_entry_declares(traced_layers):
    seen = set()
    for layer in traced_layers:
        if layer.kind == "input":
            continue
        seen.add(layer.kind)
        assert set(layer.config) == set(op_table.OPS[layer.kind].keys), layer.name
    # every entry is made by some preset except those only the vocabulary offers
    assert set(op_table.OPS) - seen <= {"global_maxpool", "avgpool"}


def test_every_entry_is_complete_and_its_keras_class_exists():
    for name, entry in op_table.OPS.items():
        assert entry.name == name
        if entry.custom:
            from resnet_core import layers

            assert hasattr(layers, entry.keras_class)
        else:
            assert hasattr(keras.layers, entry.keras_class)
        # a list-input layer takes several tensors; a sum names its skip input
        assert not entry.skip_second or entry.list_input


def test_the_vocabulary_and_the_table_cover_each_other():
    t = Tracer()
    x = t.input((8, 8, 4))
    flat = t.flatten(x)
    for make in (
        lambda: t.conv(x, 4, 3),
        lambda: t.batchnorm(x),
        lambda: t.activation(x, "relu"),
        lambda: t.pool(x, "max", 2, 2),
        lambda: t.pool(x, "avg", 2, 2),
        lambda: t.zeropad(x, 1),
        lambda: t.add(x, x),
        lambda: t.concat([x, x]),
        lambda: t.bias(x),
        lambda: t.pad_shortcut(x, 8, 2),
        lambda: t.global_pool(x, "avg"),
        lambda: t.global_pool(x, "max"),
        lambda: t.dense(flat, 3),
        lambda: t.scale(x, t.global_pool(x, "avg")),
        lambda: t.dropout(flat, 0.5),
    ):
        with t.scope(f"s{len(t.layers)}"):  # fresh names
            make()
    assert {l.kind for l in t.layers[1:]} == set(op_table.OPS)


def test_stage_layers_know_their_place_in_the_spec():
    spec = get_spec("resnet50")
    for layer in trace_spec(spec).layers:
        if layer.stage.startswith("stage"):
            assert spec.stages[layer.stage_index] is spec.stages[int(layer.stage[5:]) - 1]
        else:
            assert layer.stage_index is None


def test_unnamed_blocks_are_named_by_the_call_alone():
    def names():
        x_in = keras.Input((8, 8, 16), name="x")
        x = build.basic_block(x_in, 16)
        x = build.basic_block(x, 16)
        return [l.name for l in keras.Model(x_in, x).layers]

    first = names()
    assert first == names()  # no counter carried from the call before
    assert "basic1_conv1" in first and len(set(first)) == len(first)
