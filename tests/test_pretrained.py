"""Keras Applications' weights in our presets: same weights, same outputs.

The sources are randomly initialised ``keras.applications`` models (``weights=None``: no
download), with random BatchNorm statistics so that epsilon and every BN matter.
"""

import keras
import numpy as np
import pytest

from resnet_core.pretrained import (KERAS_APPLICATIONS, WeightsUnavailable,
                                    from_keras_applications)

SLOW = {"resnet101", "resnet152", "resnet101v2", "resnet152v2"}


def _randomised(class_name):
    source = getattr(keras.applications, class_name)(weights=None)
    rng = np.random.default_rng(0)
    for layer in source.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.1, beta.shape),
                               rng.normal(0, 0.1, mean.shape), rng.uniform(0.5, 1.5, var.shape)])
    return source


def _features(model, name):
    return keras.Model(model.input, model.get_layer(name).output)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n
                                  for n in KERAS_APPLICATIONS])
def test_outputs_equal_keras_applications_with_the_same_weights(name):
    source = _randomised(KERAS_APPLICATIONS[name][0])
    ours = from_keras_applications(name, source=source)
    x = np.random.default_rng(1).uniform(0, 255, (2, 224, 224, 3)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), source.predict(x, verbose=0),
                               rtol=0, atol=1e-4)
    # The features before the classifier too, where values are large enough to tell.
    theirs_last = "flatten" if name == "vgg16" else "avg_pool"
    ours_last = "head_flatten" if name == "vgg16" else "head_gap"
    a = _features(ours, ours_last).predict(x, verbose=0)
    b = _features(source, theirs_last).predict(x, verbose=0)
    assert np.abs(a - b).max() <= 1e-4 * max(1.0, np.abs(b).max())


@pytest.mark.parametrize("name", ["resnet50v2", pytest.param("resnet101v2", marks=pytest.mark.slow),
                                  pytest.param("resnet152v2", marks=pytest.mark.slow)])
def test_v2_per_block_shapes_equal_keras_applications(name):
    from .conftest import built_preset

    reference = getattr(keras.applications, KERAS_APPLICATIONS[name][0])(weights=None)
    ours = built_preset(name)
    assert ours.count_params() == reference.count_params()
    theirs = [tuple(l.output.shape) for l in reference.layers if l.name.endswith("_out")]
    mine = [tuple(l.output.shape) for l in ours.layers
            if l.name.startswith("stage") and l.name.endswith("_add")]
    assert mine == theirs and len(mine) == sum(s.blocks for s in _spec(name).stages)


def _spec(name):
    from resnet_core import get_spec
    return get_spec(name)


def test_offline_without_cached_weights_says_what_to_do(monkeypatch):
    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- "
                        "[Errno -3] Temporary failure in name resolution")

    from keras.src.utils import file_utils
    monkeypatch.setattr(file_utils, "get_file", offline)
    with pytest.raises(WeightsUnavailable, match=r"not in Keras's cache \(~/.keras/models\) "
                       r"and could not be downloaded .*pass source="):
        from_keras_applications("vgg16")


def test_a_preset_without_a_keras_twin_is_refused_by_name():
    with pytest.raises(KeyError, match="'cifar_resnet20' has no Keras Applications twin"):
        from_keras_applications("cifar_resnet20")


def test_a_source_of_another_architecture_names_the_layer_that_differs():
    source = keras.applications.ResNet50(weights=None)
    with pytest.raises(ValueError, match="layer .* has no counterpart in resnet50|holds shapes"):
        from_keras_applications("resnet50v2", source=source)
