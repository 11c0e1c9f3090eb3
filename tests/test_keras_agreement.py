"""The tracer against Keras itself: names, output shapes and parameter counts."""

import pytest

from resnet_core import PRESETS, analyze, get_spec

from .conftest import built_preset


def assert_trace_matches_model(spec, model):
    a = analyze(spec)
    assert a.ok, a.error
    traced = {l.name: l for l in a.layers}
    keras_layers = {layer.name: layer for layer in model.layers}
    assert set(traced) == set(keras_layers)
    for name, layer in keras_layers.items():
        t = traced[name]
        assert tuple(layer.output.shape[1:]) == t.output_shape, name
        assert layer.count_params() == t.params, name
        trainable = sum(int(w.numpy().size) for w in layer.trainable_weights)
        assert trainable == t.trainable_params, name
    assert a.totals.total_params == model.count_params()
    assert a.totals.output_shape == tuple(model.output.shape[1:])


# Keras takes tens of seconds to build these (thousands of layers, or 88 M weights).
# The fast suite leaves out the slowest seconds: the VGGs and ResNet-101/152 (a few seconds
# each); `make test` builds every preset.
SLOW_TO_BUILD = {
    "cifar_resnet1202",
    "preact_resnet1001",
    "resnext101_32x8d",
    "resnet152v2",
    "resnet101v2",
    "wrn28_10",
    "seed_vgg16_slim",
    "vgg16",
    "resnet152",
    "resnet101",
}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_TO_BUILD else n for n in PRESETS]
)
def test_every_preset_matches_keras(name):
    assert_trace_matches_model(get_spec(name), built_preset(name))


def test_seed_resnet50_has_the_documented_parameter_counts():
    model = built_preset("seed_resnet50")
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    assert model.count_params() == 23_600_006
    assert trainable == 23_546_886
    assert model.count_params() - trainable == 53_120


def test_resnet50_matches_keras_applications():
    import keras

    reference = keras.applications.ResNet50(weights=None)
    ours = built_preset("resnet50")
    assert ours.count_params() == reference.count_params()
    ref_shapes = [
        tuple(l.output.shape[1:]) for l in reference.layers if type(l).__name__ == "Conv2D"
    ]
    our_shapes = [tuple(l.output.shape[1:]) for l in ours.layers if type(l).__name__ == "Conv2D"]
    # Keras's block order puts the projection first in each stage's first block, as ours.
    assert our_shapes == ref_shapes


def test_vgg16_matches_keras_applications():
    import keras

    reference = keras.applications.VGG16(weights=None)
    assert built_preset("vgg16").count_params() == reference.count_params()
