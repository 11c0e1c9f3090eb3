"""Keras Applications' weights in our presets: the same network, the same numbers out.

:func:`from_keras_applications` builds a preset and copies into it, layer by layer, the
weights of the matching ``keras.applications`` model: ImageNet's (from Keras's cache,
``~/.keras/models``, or downloaded) or those of a model you pass. Layers are matched by
name (ours ``stage2_block1_conv1`` is Keras's ``conv3_block1_1_conv``), and every shape
is checked, so a mismatch says which layer differs instead of copying by position.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .limits import fmt_shape
from .presets import get_spec

# Preset → (keras.applications class, how our layer names read in Keras's).
_BLOCK_LAYERS = {
    "conv1": "1_conv",
    "conv2": "2_conv",
    "conv3": "3_conv",
    "bn1": "1_bn",
    "bn2": "2_bn",
    "bn3": "3_bn",
    "shortcut_conv": "0_conv",
    "shortcut_bn": "0_bn",
    "preact_bn": "preact_bn",
}


def _resnet_name(ours: str) -> str | None:
    m = re.fullmatch(r"stage(\d+)_block(\d+)_(\w+)", ours)
    if m and m.group(3) in _BLOCK_LAYERS:
        return f"conv{int(m.group(1)) + 1}_block{m.group(2)}_{_BLOCK_LAYERS[m.group(3)]}"
    if re.fullmatch(r"stem_conv\d+", ours):
        return "conv1_conv"
    if re.fullmatch(r"stem_bn\d+", ours):
        return "conv1_bn"
    return {"head_post_bn": "post_bn", "head_predictions": "predictions"}.get(ours)


def _vgg_name(ours: str) -> str | None:
    m = re.fullmatch(r"stage(\d+)_block(\d+)_conv", ours)
    if m:
        return f"block{m.group(1)}_conv{m.group(2)}"
    return {"head_fc1": "fc1", "head_fc2": "fc2", "head_predictions": "predictions"}.get(ours)


KERAS_APPLICATIONS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    **{f"resnet{d}": (f"ResNet{d}", _resnet_name) for d in (50, 101, 152)},
    **{f"resnet{d}v2": (f"ResNet{d}V2", _resnet_name) for d in (50, 101, 152)},
    "vgg16": ("VGG16", _vgg_name),
}


class WeightsUnavailable(RuntimeError):
    """ImageNet weights that are neither in Keras's cache nor downloadable."""


def from_keras_applications(name: str, source: Any = None):
    """The preset ``name``'s Keras model carrying a ``keras.applications`` model's weights.

    Args:
        name: a preset with a Keras Applications twin: ``resnet50``, ``resnet101``,
            ``resnet152``, ``resnet50v2``, ``resnet101v2``, ``resnet152v2`` or ``vgg16``.
        source: the Keras Applications model to copy from; ``None`` loads its ImageNet
            weights (Keras's cache, else a download).

    Returns:
        A ``keras.Model`` built from the preset's spec, whose outputs equal the source's.

    Raises:
        KeyError: ``name`` has no Keras Applications twin.
        WeightsUnavailable: no ``source`` and the ImageNet weights cannot be had.
        ValueError: ``source`` is not that architecture (names the first layer that differs).
    """
    if name not in KERAS_APPLICATIONS:
        raise KeyError(
            f"{name!r} has no Keras Applications twin; weights can be copied into "
            f"{', '.join(KERAS_APPLICATIONS)}"
        )
    from .build import build_model

    class_name, translate = KERAS_APPLICATIONS[name]
    if source is None:
        try:
            source = imagenet_model(class_name)
        except WeightsUnavailable as exc:  # in Python, one more way out
            raise WeightsUnavailable(
                f"{exc} Or pass source=<a {class_name} model with the weights>."
            ) from None
    model = build_model(get_spec(name))
    copy_weights(source, model, translate)
    return model


def imagenet_model(class_name: str):
    """``keras.applications.<class_name>`` with its ImageNet weights, or a clear refusal."""
    import keras

    try:
        return getattr(keras.applications, class_name)(weights="imagenet")
    except Exception as exc:  # noqa: BLE001 - Keras's get_file raises a bare Exception
        raise WeightsUnavailable(
            f"the ImageNet weights of {class_name} are not in Keras's cache "
            f"(~/.keras/models) and could not be downloaded ({exc}). Run "
            f"keras.applications.{class_name}(weights='imagenet') once on a machine with "
            "internet access and copy ~/.keras/models here."
        ) from None


def copy_weights(
    source, model, translate: Callable[[str], str | None], keep: tuple[str, ...] = ()
) -> int:
    """Copy every weighted layer of ``model`` from its namesake in ``source``.

    Layers named in ``keep`` stay as built (a fine-tuning run's new classifier).
    Returns the number of layers copied; raises ``ValueError`` naming the first layer
    that has no counterpart or whose shapes differ.
    """
    theirs = {layer.name: layer for layer in source.layers}
    copied = kept = 0
    for layer in model.layers:
        if layer.weights and layer.name in keep:
            kept += 1
        if not layer.weights or layer.name in keep:
            continue
        other = theirs.get(translate(layer.name) or "")
        if other is None:
            raise ValueError(f"layer {layer.name} has no counterpart in {source.name}")
        ours = [tuple(w.shape) for w in layer.weights]
        got = [tuple(w.shape) for w in other.weights]
        if ours != got:
            raise ValueError(
                f"layer {layer.name} holds shapes {ours} but {other.name} of "
                f"{source.name} holds {got}"
            )
        layer.set_weights(other.get_weights())
        copied += 1
    weighted = sum(1 for layer in source.layers if layer.weights)
    if copied + kept != weighted:
        raise ValueError(
            f"{source.name} has {weighted} layers with weights, this preset "
            f"{copied}: not the same architecture"
        )
    return copied


# ------------------------------------------------------------------ fine-tuning
CLASSIFIER = "head_predictions"  # the layer a fine-tuning run replaces (the data's classes)
INITIAL_WEIGHTS = ("none", "imagenet", "imagenet_frozen")


def keras_twin(spec) -> str | None:
    """The preset with a Keras Applications twin that ``spec`` is, or None.

    The same network whatever its name, description, input size and number of classes
    (those follow the data): a preset changed in Compose has no twin.
    """

    def body(s) -> dict:
        d = s.to_dict()
        for key in ("name", "description", "input_shape"):
            d.pop(key)
        d["head"].pop("classes")
        return d

    mine = body(spec)
    return next((name for name in KERAS_APPLICATIONS if body(get_spec(name)) == mine), None)


def initial_weights_problem(spec, initial_weights: str) -> str:
    """Why ``spec`` cannot start from ``initial_weights`` (empty when it can)."""
    if initial_weights == "none":
        return ""
    twin = keras_twin(spec)
    if twin is None:
        return (
            f"ImageNet weights exist for {', '.join(KERAS_APPLICATIONS)} as presets; "
            f"{spec.name} is not one of them (or is a changed copy of one), so start "
            "it from random weights (initial weights: none)"
        )
    size = tuple(get_spec(twin).input_shape)
    if tuple(spec.input_shape) != size:
        return (
            f"ImageNet weights were learnt on {fmt_shape(size)} images but "
            f"this run feeds {fmt_shape(spec.input_shape)}; choose 'resize "
            "the data to the network's input' (fit: resize)"
        )
    return ""


def required_fit(spec, initial_weights: str) -> str | None:
    """The fit a run of ``spec`` from ``initial_weights`` must take, or None (any fit):
    ImageNet weights were learnt at the network's own input, so the data is resized to
    it ("resize"), whatever fit was chosen for random weights."""
    if initial_weights != "none" and keras_twin(spec):
        return "resize"
    return None


def ensure_weights(spec, initial_weights: str) -> None:
    """Fetch the ImageNet weights a run will start from (Keras's cache, else a download),
    so that a run that cannot have them is refused before it is queued.

    Keras is imported only in a child process, so the Streamlit server (which calls this
    at the Train click) never imports TensorFlow. Raises :class:`WeightsUnavailable`.
    """
    if initial_weights != "none":
        _fetch(KERAS_APPLICATIONS[keras_twin(spec)][0])


# The child that fills Keras's cache (a list, so a test can put a stand-in here). A
# refusal is one "error: ..." line on its stderr.
FETCH_COMMAND = [
    sys.executable,
    "-c",
    (
        "import sys\n"
        "from resnet_core.pretrained import WeightsUnavailable, imagenet_model\n"
        "try:\n"
        "    imagenet_model(sys.argv[1])\n"
        "except WeightsUnavailable as exc:\n"
        "    print('error: ' + str(exc), file=sys.stderr)\n"
        "    sys.exit(2)\n"
    ),
]
_fetched: set[str] = set()


def _fetch(class_name: str) -> None:
    if class_name in _fetched:  # once per process: then they are in Keras's cache
        return
    try:
        done = subprocess.run(
            [*FETCH_COMMAND, class_name],
            capture_output=True,
            text=True,
            timeout=3600,
            cwd=Path(__file__).resolve().parents[1],
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
    except subprocess.TimeoutExpired:
        raise WeightsUnavailable(
            f"fetching the ImageNet weights of {class_name} took over "
            "an hour; copy ~/.keras/models from a machine that has "
            "them"
        ) from None
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
        raise WeightsUnavailable(
            said[-1].removeprefix("error: ")
            if said
            else f"fetching the ImageNet weights of {class_name} failed (exit {done.returncode})"
        )
    _fetched.add(class_name)


def fine_tuning_model(spec, initial_weights: str, source: Any = None):
    """``spec``'s model starting from its Keras twin's ImageNet weights (or ``source``'s).

    Every layer is copied but the classifier, which is new, sized to ``spec``'s classes.
    ``imagenet_frozen`` freezes all the rest: only the classifier trains, and BatchNorm
    keeps ImageNet's statistics (a frozen Keras BatchNorm runs in inference mode).
    """
    problem = initial_weights_problem(spec, initial_weights)
    if problem or initial_weights == "none":
        raise ValueError(problem or "initial_weights 'none' needs no fine-tuning model")
    from .build import build_model

    class_name, translate = KERAS_APPLICATIONS[keras_twin(spec)]
    if source is None:
        source = imagenet_model(class_name)
    model = build_model(spec)
    copy_weights(source, model, translate, keep=(CLASSIFIER,))
    if initial_weights == "imagenet_frozen":
        for layer in model.layers:
            layer.trainable = layer.name == CLASSIFIER
    return model
