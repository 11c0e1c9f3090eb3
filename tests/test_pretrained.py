"""Keras Applications' weights in our presets: same weights, same outputs.

The sources are randomly initialised ``keras.applications`` models (``weights=None``: no
download), with random BatchNorm statistics so that epsilon and every BN matter.
"""

import keras
import numpy as np
import pytest

from resnet_core.pretrained import KERAS_APPLICATIONS, WeightsUnavailable, from_keras_applications

# Each comparison builds a Keras Applications model and ours (seconds to tens of seconds):
# slow, so `make test` compares every one and `make test-fast` none.
SLOW = set(KERAS_APPLICATIONS)


def _randomised(class_name):
    source = getattr(keras.applications, class_name)(weights=None)
    rng = np.random.default_rng(0)
    for layer in source.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, gamma.shape),
                    rng.normal(0, 0.1, beta.shape),
                    rng.normal(0, 0.1, mean.shape),
                    rng.uniform(0.5, 1.5, var.shape),
                ]
            )
    return source


def _with_features(model, name):
    """``model`` answering its output and layer ``name``'s: one eager call for both
    (``predict`` would trace a graph per model first, seconds for ResNet-152)."""
    return keras.Model(model.input, [model.output, model.get_layer(name).output])


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in KERAS_APPLICATIONS],
)
def test_outputs_equal_keras_applications_with_the_same_weights(name):
    source = _randomised(KERAS_APPLICATIONS[name][0])
    ours = from_keras_applications(name, source=source)
    x = np.random.default_rng(1).uniform(0, 255, (2, 224, 224, 3)).astype("float32")
    theirs_last = "flatten" if name == "vgg16" else "avg_pool"
    ours_last = "head_flatten" if name == "vgg16" else "head_gap"
    mine, a = (np.asarray(t) for t in _with_features(ours, ours_last)(x, training=False))
    theirs, b = (np.asarray(t) for t in _with_features(source, theirs_last)(x, training=False))
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-4)
    # The features before the classifier too, where values are large enough to tell.
    assert np.abs(a - b).max() <= 1e-4 * max(1.0, np.abs(b).max())


@pytest.mark.parametrize(
    "name",
    [
        "resnet50v2",
        pytest.param("resnet101v2", marks=pytest.mark.slow),
        pytest.param("resnet152v2", marks=pytest.mark.slow),
    ],
)
def test_v2_per_block_shapes_equal_keras_applications(name):
    from .conftest import built_preset

    reference = getattr(keras.applications, KERAS_APPLICATIONS[name][0])(weights=None)
    ours = built_preset(name)
    assert ours.count_params() == reference.count_params()
    theirs = [tuple(l.output.shape) for l in reference.layers if l.name.endswith("_out")]
    mine = [
        tuple(l.output.shape)
        for l in ours.layers
        if l.name.startswith("stage") and l.name.endswith("_add")
    ]
    assert mine == theirs and len(mine) == sum(s.num_blocks for s in _spec(name).stages)


def _spec(name):
    from resnet_core import get_spec

    return get_spec(name)


def test_offline_without_cached_weights_says_what_to_do(monkeypatch):
    def offline(*args, **kwargs):
        raise Exception(
            "URL fetch failure on https://storage.googleapis.com/...: None -- "
            "[Errno -3] Temporary failure in name resolution"
        )

    from keras.src.utils import file_utils

    monkeypatch.setattr(file_utils, "get_file", offline)
    with pytest.raises(
        WeightsUnavailable,
        match=r"not in Keras's cache \(~/.keras/models\) "
        r"and could not be downloaded .*pass source=",
    ):
        from_keras_applications("vgg16")


def test_a_preset_without_a_keras_twin_is_refused_by_name():
    with pytest.raises(KeyError, match="'cifar_resnet20' has no Keras Applications twin"):
        from_keras_applications("cifar_resnet20")


def test_a_source_of_another_architecture_names_the_layer_that_differs():
    source = keras.applications.ResNet50(weights=None)
    with pytest.raises(ValueError, match="layer .* has no counterpart in resnet50|holds shapes"):
        from_keras_applications("resnet50v2", source=source)


# ------------------------------------------------------------------ fine-tuning
def test_the_keras_twin_ignores_what_follows_the_data_and_nothing_else():
    from resnet_core.pretrained import keras_twin

    spec = _spec("resnet50")
    head = spec.head.__class__(**{**spec.head.__dict__, "classes": 7})
    assert keras_twin(spec.replace(name="mine", input_shape=(32, 32, 3), head=head)) == "resnet50"
    assert keras_twin(_spec("resnet101v2")) == "resnet101v2"
    assert keras_twin(_spec("vgg16")) == "vgg16"
    assert keras_twin(spec.with_stage(0, num_blocks=2)) is None  # changed in Compose
    max_pooled = spec.head.__class__(**{**spec.head.__dict__, "pool": "global_max"})
    assert keras_twin(spec.replace(head=max_pooled)) is None  # the head's body counts too
    assert keras_twin(_spec("cifar_resnet20")) is None


@pytest.mark.slow
def test_fine_tuning_keeps_the_body_and_replaces_the_classifier():
    from dataclasses import replace

    from resnet_core.pretrained import CLASSIFIER, fine_tuning_model

    source = _randomised("ResNet50")
    spec = _spec("resnet50")
    spec = spec.replace(head=replace(spec.head, classes=5))
    for mode in ("imagenet", "imagenet_frozen"):
        model = fine_tuning_model(spec, mode, source=source)
        for ours, theirs in (
            ("stage3_block2_conv2", "conv4_block2_2_conv"),
            ("stem_bn3", "conv1_bn"),
        ):
            for a, b in zip(
                model.get_layer(ours).get_weights(), source.get_layer(theirs).get_weights()
            ):
                np.testing.assert_array_equal(a, b)
        assert model.get_layer(CLASSIFIER).get_weights()[0].shape == (2048, 5)
        trainable = {l.name for l in model.layers if l.trainable and l.weights}
        assert trainable == (
            {CLASSIFIER}
            if mode == "imagenet_frozen"
            else {l.name for l in model.layers if l.weights}
        )
    assert (
        model.count_params() - sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        > 23_000_000
    )


def test_initial_weights_are_refused_where_they_do_not_apply():
    from resnet_core.training import SettingsError, TrainSettings, check_feasible

    with pytest.raises(
        SettingsError,
        match="ImageNet weights exist for resnet50, .*vgg16 "
        "as presets; cifar_resnet20 is not one of them",
    ):
        check_feasible(
            _spec("cifar_resnet20"), TrainSettings(initial_weights="imagenet", batch_size=8), 100
        )
    small = _spec("resnet50").replace(input_shape=(32, 32, 3))
    with pytest.raises(
        SettingsError, match="learnt on 224×224×3 images but this run feeds 32×32×3; choose 'resize"
    ):
        check_feasible(small, TrainSettings(initial_weights="imagenet_frozen", batch_size=8), 100)
    with pytest.raises(SettingsError, match="initial weights must be one of none, imagenet"):
        TrainSettings(initial_weights="cifar").check()


def test_a_run_without_the_weights_is_refused_before_it_is_queued(tmp_path, weights_offline):
    from resnet_core.data import DataChoice
    from resnet_core.training import RunStore, SettingsError
    from resnet_core.training.submit import plan_run, submit_run

    store = RunStore(tmp_path / "home")
    plan = plan_run(
        _spec("resnet50"),
        DataChoice(source="shapes", fit="resize", subset=10, options={"count": 50, "size": 16}),
    )
    with pytest.raises(
        SettingsError,
        match=r"ImageNet weights of ResNet50 are not in Keras's "
        r"cache .*could not be downloaded",
    ):
        submit_run(store, plan, {"initial_weights": "imagenet", "batch_size": 4})
    assert store.list() == []
