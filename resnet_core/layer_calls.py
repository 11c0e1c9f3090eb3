"""Which Keras layer each operation becomes, as a class name and keyword arguments.

One table serves both the Keras builder (which calls the class) and the code export
(which writes the call out), so the exported script builds exactly the model we build.
"""

from __future__ import annotations

from typing import Any

from .ops import Op

# Layers of our own, defined in resnet_core/layers.py (and copied into exported scripts).
CUSTOM_LAYERS = ("ChannelBias", "ChannelScale", "ZeroPadShortcut")
# Operations whose layer takes the list of its inputs (the others take one tensor).
LIST_INPUT_KINDS = ("add", "concat", "scale")


def _kernel_args(c: dict[str, Any]) -> dict[str, Any]:
    """Initialisers and L2 as Keras config dicts (plain literals, so the export can write
    them), and only where they differ from Keras's defaults."""
    out: dict[str, Any] = {}
    init = c.get("kernel_init", "glorot_uniform")
    if init == "truncated_normal":
        out["kernel_initializer"] = {"class_name": "TruncatedNormal",
                                     "config": {"stddev": c["init_stddev"]}}
    elif init != "glorot_uniform":
        out["kernel_initializer"] = init
    if c.get("bias_init", 0.0) and c["use_bias"]:
        out["bias_initializer"] = {"class_name": "Constant", "config": {"value": c["bias_init"]}}
    if c.get("l2", 0.0):
        out["kernel_regularizer"] = {"class_name": "L2", "config": {"l2": c["l2"]}}
    return out


def layer_call(op: Op) -> tuple[str, dict[str, Any]]:
    """Return ``(class_name, kwargs)`` of the Keras layer for ``op``; ``name`` included."""
    c = op.config
    kind = op.kind
    if kind == "conv":
        args = dict(filters=c["filters"], kernel_size=c["size"], strides=c["stride"],
                    padding=c["padding"], use_bias=c["use_bias"])
        if c.get("groups", 1) > 1:
            args["groups"] = c["groups"]
        call = ("Conv2D", {**args, **_kernel_args(c)})
    elif kind == "batchnorm":
        # The source's settings; a short training run may override the momentum (a
        # training option, applied by the engine, not part of the architecture).
        args = dict(momentum=c.get("momentum", 0.99), epsilon=c.get("epsilon", 1e-3))
        if not c.get("scale", True):
            args["scale"] = False
        call = ("BatchNormalization", args)
    elif kind == "activation":
        call = ("Activation", dict(activation=c["fn"]))
    elif kind in ("maxpool", "avgpool"):
        cls = "MaxPooling2D" if kind == "maxpool" else "AveragePooling2D"
        call = (cls, dict(pool_size=c["size"], strides=c["stride"], padding=c["padding"]))
    elif kind == "zeropad":
        call = ("ZeroPadding2D", dict(padding=c["amount"]))
    elif kind == "add":
        call = ("Add", {})
    elif kind == "concat":
        call = ("Concatenate", dict(axis=-1))
    elif kind == "bias":
        call = ("ChannelBias", {})
    elif kind == "pad_shortcut":
        call = ("ZeroPadShortcut", dict(channels=c["channels"], stride=c["stride"]))
    elif kind == "global_avgpool":
        call = ("GlobalAveragePooling2D", {})
    elif kind == "global_maxpool":
        call = ("GlobalMaxPooling2D", {})
    elif kind == "flatten":
        call = ("Flatten", {})
    elif kind == "dense":
        call = ("Dense", {**dict(units=c["units"], use_bias=c["use_bias"]), **_kernel_args(c)})
    elif kind == "scale":
        call = ("ChannelScale", {})
    elif kind == "dropout":
        call = ("Dropout", dict(rate=c["rate"]))
    else:  # pragma: no cover - every kind of ops.py is listed above
        raise ValueError(f"no Keras layer for operation {kind!r}")
    cls, kwargs = call
    kwargs["name"] = op.name
    return cls, kwargs
