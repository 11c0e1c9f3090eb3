"""The blocks stay usable on Keras tensors, as in the source documents."""

import keras
import numpy as np
import pytest

from resnet_core import ArchitectureSpec, Head, Stage, analyze, build
from resnet_core.blocks import BLOCK_KINDS


def test_seed000_blocks_on_keras_tensors():
    x_in = keras.Input((15, 15, 64))
    x = build.convolutional_block(x_in, 3, [64, 64, 256], stage=2, block="a", s=1)
    x = build.identity_block(x, 3, [64, 64, 256], stage=2, block="b")
    x = build.convolutional_block(x, 3, [128, 128, 512], stage=3, block="a", s=2)
    model = keras.Model(x_in, x)
    assert tuple(model.output.shape) == (None, 8, 8, 512)
    assert model.get_layer("res2b_add") is not None


def test_every_block_function_runs_eagerly():
    x = np.random.default_rng(0).normal(size=(2, 16, 16, 8)).astype("float32")
    outs = {
        "basic": build.basic_block(x, 16, stride=2),
        "relu_bn": build.relu_bn_block(x, 16, downsample=True),
        "plain": build.relu_bn_block(x, 8, skip=False),
        "bias": build.bias_bottleneck_block(x, 32, stride=2),
        "preact": build.preact_block(x, 8),
        "reduced": build.reduced_bottleneck_block(x, f=8, r=4),
        "inception": build.inception_block(x, 4, (4, 8), (2, 4), 4),
        "vgg": build.vgg_stack(x, 2, 8),
        "bottleneck": build.bottleneck_block(x, 32, stride=2, shortcut="zeropad"),
    }
    shapes = {k: tuple(v.shape) for k, v in outs.items()}
    assert shapes == {
        "basic": (2, 8, 8, 16),
        "relu_bn": (2, 8, 8, 16),
        "plain": (2, 16, 16, 8),
        "bias": (2, 8, 8, 32),
        "preact": (2, 16, 16, 8),
        "reduced": (2, 16, 16, 8),
        "inception": (2, 16, 16, 20),
        "vgg": (2, 8, 8, 8),
        "bottleneck": (2, 8, 8, 32),
    }
    # identity shortcut: a block whose body is zero returns relu(x) for basic blocks
    assert all(np.isfinite(np.asarray(v)).all() for v in outs.values())


def test_zero_pad_shortcut_keeps_the_input_in_its_channels():
    from resnet_core.layers import ZeroPadShortcut

    x = np.arange(2 * 4 * 4 * 2, dtype="float32").reshape(2, 4, 4, 2)
    y = np.asarray(ZeroPadShortcut(6, 2)(x))
    assert y.shape == (2, 2, 2, 6)
    np.testing.assert_array_equal(y[..., 2:4], x[:, ::2, ::2, :])
    assert not y[..., :2].any() and not y[..., 4:].any()


def test_seed000_blocks_take_the_documents_filter_lists():
    x_in = keras.Input((8, 8, 6))
    x = build.convolutional_block(x_in, 3, [64, 128, 256], stage=1, block="a", s=1)
    x = build.identity_block(x, 3, [32, 16, 256], stage=1, block="b")
    model = keras.Model(x_in, x)
    widths = {l.name: l.filters for l in model.layers if isinstance(l, keras.layers.Conv2D)}
    assert widths == {
        "res1a_conv1": 64,
        "res1a_conv2": 128,
        "res1a_conv3": 256,
        "res1a_shortcut_conv": 256,
        "res1b_conv1": 32,
        "res1b_conv2": 16,
        "res1b_conv3": 256,
    }


@pytest.mark.parametrize("filters", [[2, 3], [2, 0, 6], [2, 3.5, 6], "64"])
def test_seed000_blocks_refuse_malformed_filter_lists(filters):
    with pytest.raises(ValueError, match=r"three positive integers \[F1, F2, F3\]"):
        build.convolutional_block(keras.Input((8, 8, 6)), 3, filters, stage=1, block="a")


def test_identity_block_needs_an_input_of_its_output_channels():
    with pytest.raises(ValueError, match="must equal F3 = 6; use convolutional_block"):
        build.identity_block(keras.Input((8, 8, 4)), 3, [2, 3, 6], stage=1, block="a")


def test_basic_block_with_stride_2_is_seed_001s_downsampling_block():
    # Seed 001: 3×3/2 conv, BN, ReLU, 3×3 conv, BN; the shortcut a 1×1/2 conv, no BN.
    x_in = keras.Input((16, 16, 64))
    model = keras.Model(x_in, build.basic_block(x_in, 128, stride=2, name="down"))
    conv = 3 * 3 * 64 * 128 + 128 + 3 * 3 * 128 * 128 + 128 + 64 * 128 + 128
    assert model.count_params() == conv + 2 * 4 * 128
    assert not any("shortcut_bn" in l.name for l in model.layers)


def test_block_functions_refuse_settings_they_do_not_use():
    with pytest.raises(TypeError, match="expansion"):
        build.basic_block(keras.Input((8, 8, 4)), 8, expansion=2)
    from resnet_core import blocks
    from resnet_core.trace import Tracer

    tracer = Tracer()
    with pytest.raises(TypeError, match="groups"):
        blocks.relu_bn_block(tracer, tracer.input((8, 8, 4)), 8, groups=2)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("name", list(BLOCK_KINDS))
def test_each_kinds_library_call_builds_the_block_its_stage_traces(name, stride):
    """The Block gallery shows ``BlockKind.library_call`` as the code of the block it
    measures: on a Keras tensor it makes that block (its parameters, its output shape),
    shortcut included (8 channels in, 16 out)."""
    kind = BLOCK_KINDS[name]
    filters = kind.example_filters(16)
    call = kind.call_source(filters, stride)
    if call is None:  # the library has no call for this stride: the gallery shows none
        return
    spec = ArchitectureSpec(
        name="one_block",
        input_shape=(8, 8, 8),
        stem=(),
        head=Head(classes=2),
        stages=(Stage(name, 1, filters, stride, shortcut=kind.default_shortcut),),
    )
    block = [l for l in analyze(spec).layers if l.stage == "stage1"]
    x_in = keras.Input((8, 8, 8))
    y = eval(call, {"build": build, "x": x_in})  # noqa: S307 - the registry's own text
    model = keras.Model(x_in, y)
    assert model.count_params() == sum(l.params for l in block), call
    assert tuple(model.output.shape[1:]) == block[-1].output_shape, call
