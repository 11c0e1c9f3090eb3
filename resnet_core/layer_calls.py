"""Which Keras layer each operation becomes, as a class name and keyword arguments.

One table serves both the Keras builder (which calls the class) and the code export
(which writes the call out), so the exported script builds exactly the model we build.
"""

from __future__ import annotations

from typing import Any

from .ops import Op

# Layers of our own, defined in resnet_core/layers.py (and copied into exported scripts).
CUSTOM_LAYERS = ("ChannelBias", "ZeroPadShortcut")


def layer_call(op: Op) -> tuple[str, dict[str, Any]]:
    """Return ``(class_name, kwargs)`` of the Keras layer for ``op``; ``name`` included."""
    c = op.config
    kind = op.kind
    if kind == "conv":
        call = ("Conv2D", dict(filters=c["filters"], kernel_size=c["size"], strides=c["stride"],
                               padding=c["padding"], use_bias=c["use_bias"]))
    elif kind == "batchnorm":
        # momentum 0.9 (PyTorch's 0.1): short runs need moving statistics that settle fast
        call = ("BatchNormalization", dict(momentum=0.9))
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
        call = ("Dense", dict(units=c["units"], use_bias=c["use_bias"]))
    elif kind == "dropout":
        call = ("Dropout", dict(rate=c["rate"]))
    else:  # pragma: no cover - every kind of ops.py is listed above
        raise ValueError(f"no Keras layer for operation {kind!r}")
    cls, kwargs = call
    kwargs["name"] = op.name
    return cls, kwargs
