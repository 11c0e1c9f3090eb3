"""The model a run trains: the spec's network, with augmentation in front and the output
a float32 probability, compiled with the run's loss, metric and optimizer."""

from __future__ import annotations

from ..spec import ArchitectureSpec
from .optimizers import make_optimizer
from .settings import SHORT_RUN_MOMENTUM, TrainSettings


def _augmenter(shape):
    import keras

    layers = [keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", name="aug_shift")]
    if shape[-1] == 3:
        layers.append(keras.layers.RandomFlip("horizontal", name="aug_flip"))
    return layers


def build_training_model(
    spec: ArchitectureSpec,
    augment: bool,
    mixed: bool,
    bn_momentum: float | None = SHORT_RUN_MOMENTUM,
    initial_weights: str = "none",
):
    """The spec's model, with augmentation in front and a float32 output when mixed.

    ``bn_momentum`` (a training setting; None: the network's own) replaces the BatchNorm
    layers' momentum (the default is the short-run one the runs use); a network
    that ends on logits gets a softmax here, as its source's loss applies one.
    ``initial_weights`` other than "none" starts from Keras Applications' ImageNet
    weights with a new classifier (:func:`resnet_core.pretrained.fine_tuning_model`).
    """
    import keras

    from ..build import build_model
    from ..pretrained import fine_tuning_model

    base = (
        build_model(spec) if initial_weights == "none" else fine_tuning_model(spec, initial_weights)
    )
    if bn_momentum is not None:
        for layer in base.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = bn_momentum
    logits = spec.head.output == "logits"
    if not augment and not mixed and not logits:
        return base
    inputs = keras.Input(spec.input_shape, name="images")
    x = inputs
    if augment:
        for layer in _augmenter(spec.input_shape):
            x = layer(x)
    x = base(x)
    if logits:
        x = keras.layers.Activation("softmax", name="softmax_of_logits")(x)
    if mixed:
        x = keras.layers.Activation("linear", dtype="float32", name="float32_output")(x)
    return keras.Model(inputs, x, name=f"{base.name}_training")


def compile_model(model, settings: TrainSettings, steps_per_epoch: int, jit: bool) -> None:
    """Loss, metric and optimizer (its schedule spans the whole run)."""
    model.compile(
        optimizer=make_optimizer(settings, settings.total_steps(steps_per_epoch)),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=jit,
    )
