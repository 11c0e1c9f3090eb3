"""What each operation of the block vocabulary means: one entry per kind, read by all.

An :class:`OpKind` says, for one kind of layer, which config keys it carries, whether it
takes the list of its inputs, which Keras layer it becomes (for the builder and the code
export), how it changes shape, parameters, MACs and receptive field (for the tracer) and
how the graph labels it. The tracer, the Keras builder, the code export and the graph all
read :data:`OPS`, so an operation cannot mean one thing to one of them and another to
the next. Adding an operation: an entry here, and its method on
:class:`resnet_core.ops.Interpreter` so that blocks can call it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, NoReturn

from .limits import fmt_shape


class Key:
    """The config keys of the operations (the keys of ``Op.config``)."""

    FILTERS = "filters"
    SIZE = "size"
    STRIDE = "stride"
    PADDING = "padding"
    USE_BIAS = "use_bias"
    GROUPS = "groups"
    KERNEL_INIT = "kernel_init"
    INIT_STDDEV = "init_stddev"
    BIAS_INIT = "bias_init"
    L2 = "l2"
    MOMENTUM = "momentum"
    EPSILON = "epsilon"
    SCALE = "scale"
    FN = "fn"
    AMOUNT = "amount"
    CHANNELS = "channels"
    UNITS = "units"
    RATE = "rate"


KERNEL_KEYS = (Key.KERNEL_INIT, Key.INIT_STDDEV, Key.BIAS_INIT, Key.L2)
WINDOW_KEYS = (Key.SIZE, Key.STRIDE, Key.PADDING)


class Traced(NamedTuple):
    """What one layer does to its input, by Keras's rules."""

    shape: tuple[int, ...]
    params: int
    trainable: int
    macs: int
    rf: int  # receptive field side, in input pixels
    jump: int  # distance in input pixels between neighbouring outputs


# A trace rule: (config, inputs (with .shape, .rf, .jump), fail(message)) -> Traced.
Rule = Callable[[dict, Sequence[Any], Callable[[str], NoReturn]], Traced]


@dataclass(frozen=True)
class OpKind:
    """One operation of the vocabulary, as every interpreter and view sees it."""

    name: str
    keys: tuple[str, ...]  # its config keys
    keras_class: str  # a keras.layers class, or one of ours (custom=True)
    keras_args: Callable[[dict], dict[str, Any]]  # config -> the layer's kwargs, no name
    rule: Rule
    label: Callable[[dict], str] | None = None  # the graph's subtitle; None: the name
    list_input: bool = False  # the layer takes the list of its inputs
    image_input: bool = False  # needs a height×width×channels input
    skip_second: bool = False  # its second input is the skip connection (a sum)
    joins: bool = False  # joins paths: drawn as an ellipse
    weighted: bool = False  # has a kernel: counts towards the network's depth
    custom: bool = False  # keras_class is defined in resnet_core/layers.py

    def graph_label(self, config: dict) -> str:
        return self.label(config) if self.label else self.name


def spatial(n: int, size: int, stride: int, padding: str) -> int:
    """Output side of a window of ``size`` at ``stride`` over ``n`` pixels."""
    if padding == "same":
        return math.ceil(n / stride)
    return (n - size) // stride + 1


# ------------------------------------------------------------------- the trace rules
def _same(c, inputs, fail) -> Traced:
    x = inputs[0]
    return Traced(x.shape, 0, 0, 0, x.rf, x.jump)


def _window(c, inputs, fail) -> Traced:
    """Where a window (conv or pool) lands: output side, receptive field, jump."""
    x = inputs[0]
    h, w, ch = x.shape
    size, stride, pad = c[Key.SIZE], c[Key.STRIDE], c[Key.PADDING]
    oh, ow = spatial(h, size, stride, pad), spatial(w, size, stride, pad)
    if oh < 1 or ow < 1:
        fail(
            f"a {size}×{size} window with stride {stride} and '{pad}' padding leaves "
            f"nothing of {h}×{w}; use a larger input, 'same' padding or a smaller kernel "
            f"or stride"
        )
    return Traced((oh, ow, ch), 0, 0, 0, x.rf + (size - 1) * x.jump, x.jump * stride)


def _conv(c, inputs, fail) -> Traced:
    out = _window(c, inputs, fail)
    ch, size = inputs[0].shape[-1], c[Key.SIZE]
    f, g = c[Key.FILTERS], c.get(Key.GROUPS, 1)
    if ch % g or f % g:
        fail(
            f"{g} groups must divide the input channels ({ch}) and the filters ({f}); "
            f"change the stage's groups or width"
        )
    weights = size * size * (ch // g) * f + (f if c[Key.USE_BIAS] else 0)
    macs = out.shape[0] * out.shape[1] * size * size * (ch // g) * f
    return out._replace(shape=out.shape[:2] + (f,), params=weights, trainable=weights, macs=macs)


def _batchnorm(c, inputs, fail) -> Traced:
    x = inputs[0]
    ch = x.shape[-1]
    learned = (2 if c.get(Key.SCALE, True) else 1) * ch  # beta, and gamma if scaled
    return Traced(x.shape, learned + 2 * ch, learned, 0, x.rf, x.jump)  # + moving stats


def _bias(c, inputs, fail) -> Traced:
    x = inputs[0]
    return Traced(x.shape, x.shape[-1], x.shape[-1], 0, x.rf, x.jump)


def _zeropad(c, inputs, fail) -> Traced:
    x = inputs[0]
    h, w, ch = x.shape
    a = c[Key.AMOUNT]
    return Traced((h + 2 * a, w + 2 * a, ch), 0, 0, 0, x.rf, x.jump)


def _pad_shortcut(c, inputs, fail) -> Traced:
    x = inputs[0]
    h, w, ch = x.shape
    if c[Key.CHANNELS] < ch:
        fail(
            f"zero-padding cannot shrink {ch} channels to {c[Key.CHANNELS]}; use a "
            f"projection shortcut"
        )
    s = c[Key.STRIDE]
    return Traced((math.ceil(h / s), math.ceil(w / s), c[Key.CHANNELS]), 0, 0, 0, x.rf, x.jump * s)


def _add(c, inputs, fail) -> Traced:
    x = inputs[0]
    if len({t.shape for t in inputs}) != 1:
        fail(
            f"cannot add the main path {fmt_shape(inputs[0].shape)} and the skip "
            f"{fmt_shape(inputs[1].shape)}; give the stage a projection shortcut or "
            f"matching filters and stride"
        )
    return Traced(x.shape, 0, 0, 0, max(t.rf for t in inputs), x.jump)


def _scale(c, inputs, fail) -> Traced:
    x = inputs[0]
    if inputs[1].shape != x.shape[-1:]:
        fail(
            f"the gate {fmt_shape(inputs[1].shape)} must have one value per channel of "
            f"{fmt_shape(x.shape)}"
        )
    return Traced(x.shape, 0, 0, 0, x.rf, x.jump)  # elementwise, uncounted as add's


def _concat(c, inputs, fail) -> Traced:
    x = inputs[0]
    if len({t.shape[:-1] for t in inputs}) != 1:
        fail("the paths' spatial sizes differ: " + ", ".join(fmt_shape(t.shape) for t in inputs))
    ch = sum(t.shape[-1] for t in inputs)
    return Traced(x.shape[:-1] + (ch,), 0, 0, 0, max(t.rf for t in inputs), x.jump)


def _global_pool(c, inputs, fail) -> Traced:
    x = inputs[0]
    h, w, ch = x.shape
    return Traced((ch,), 0, 0, 0, x.rf + (max(h, w) - 1) * x.jump, x.jump)


def _flatten(c, inputs, fail) -> Traced:
    x = inputs[0]
    return Traced((math.prod(x.shape),), 0, 0, 0, x.rf + (max(x.shape[:2]) - 1) * x.jump, x.jump)


def _dense(c, inputs, fail) -> Traced:
    x = inputs[0]
    if len(x.shape) != 1:
        fail("needs a flat input; flatten or pool first")
    n, u = x.shape[0], c[Key.UNITS]
    weights = n * u + (u if c[Key.USE_BIAS] else 0)
    return Traced((u,), weights, weights, n * u, x.rf, x.jump)


# ---------------------------------------------------------------- the Keras arguments
def _kernel_args(c: dict[str, Any]) -> dict[str, Any]:
    """Initialisers and L2 as Keras config dicts (plain literals, so the export can write
    them), and only where they differ from Keras's defaults."""
    out: dict[str, Any] = {}
    init = c.get(Key.KERNEL_INIT, "glorot_uniform")
    if init == "truncated_normal":
        out["kernel_initializer"] = {
            "class_name": "TruncatedNormal",
            "config": {"stddev": c[Key.INIT_STDDEV]},
        }
    elif init != "glorot_uniform":
        out["kernel_initializer"] = init
    if c.get(Key.BIAS_INIT, 0.0) and c[Key.USE_BIAS]:
        out["bias_initializer"] = {"class_name": "Constant", "config": {"value": c[Key.BIAS_INIT]}}
    if c.get(Key.L2, 0.0):
        out["kernel_regularizer"] = {"class_name": "L2", "config": {"l2": c[Key.L2]}}
    return out


def _conv_args(c) -> dict[str, Any]:
    args = dict(
        filters=c[Key.FILTERS],
        kernel_size=c[Key.SIZE],
        strides=c[Key.STRIDE],
        padding=c[Key.PADDING],
        use_bias=c[Key.USE_BIAS],
    )
    if c.get(Key.GROUPS, 1) > 1:
        args["groups"] = c[Key.GROUPS]
    return {**args, **_kernel_args(c)}


def _batchnorm_args(c) -> dict[str, Any]:
    # The source's settings; a short training run may override the momentum (a training
    # option, applied by the engine, not part of the architecture).
    args = dict(momentum=c.get(Key.MOMENTUM, 0.99), epsilon=c.get(Key.EPSILON, 1e-3))
    if not c.get(Key.SCALE, True):
        args["scale"] = False
    return args


def _pool_args(c) -> dict[str, Any]:
    return dict(pool_size=c[Key.SIZE], strides=c[Key.STRIDE], padding=c[Key.PADDING])


def _none(c) -> dict[str, Any]:
    return {}


# ------------------------------------------------------------------------ the table
def _window_label(kind: str) -> Callable[[dict], str]:
    return lambda c: f"{kind} {c[Key.SIZE]}×{c[Key.SIZE]}/{c[Key.STRIDE]}"


CONV = OpKind(
    "conv",
    (Key.FILTERS, *WINDOW_KEYS, Key.USE_BIAS, Key.GROUPS, *KERNEL_KEYS),
    "Conv2D",
    _conv_args,
    _conv,
    image_input=True,
    weighted=True,
    label=lambda c: f"conv {c[Key.SIZE]}×{c[Key.SIZE]}/{c[Key.STRIDE]}, {c[Key.FILTERS]}",
)
BATCHNORM = OpKind(
    "batchnorm",
    (Key.MOMENTUM, Key.EPSILON, Key.SCALE),
    "BatchNormalization",
    _batchnorm_args,
    _batchnorm,
)
ACTIVATION = OpKind(
    "activation",
    (Key.FN,),
    "Activation",
    lambda c: dict(activation=c[Key.FN]),
    _same,
    label=lambda c: c[Key.FN],
)
MAXPOOL = OpKind(
    "maxpool",
    WINDOW_KEYS,
    "MaxPooling2D",
    _pool_args,
    _window,
    image_input=True,
    label=_window_label("maxpool"),
)
AVGPOOL = OpKind(
    "avgpool",
    WINDOW_KEYS,
    "AveragePooling2D",
    _pool_args,
    _window,
    image_input=True,
    label=_window_label("avgpool"),
)
ZEROPAD = OpKind(
    "zeropad",
    (Key.AMOUNT,),
    "ZeroPadding2D",
    lambda c: dict(padding=c[Key.AMOUNT]),
    _zeropad,
    image_input=True,
)
ADD = OpKind("add", (), "Add", _none, _add, list_input=True, skip_second=True, joins=True)
CONCAT = OpKind(
    "concat", (), "Concatenate", lambda c: dict(axis=-1), _concat, list_input=True, joins=True
)
BIAS = OpKind("bias", (), "ChannelBias", _none, _bias, custom=True)
PAD_SHORTCUT = OpKind(  # He et al.'s option A
    "pad_shortcut",
    (Key.CHANNELS, Key.STRIDE),
    "ZeroPadShortcut",
    lambda c: dict(channels=c[Key.CHANNELS], stride=c[Key.STRIDE]),
    _pad_shortcut,
    image_input=True,
    custom=True,
    label=lambda c: f"subsample /{c[Key.STRIDE]}, zero-pad to {c[Key.CHANNELS]} ch",
)
GLOBAL_AVGPOOL = OpKind(
    "global_avgpool", (), "GlobalAveragePooling2D", _none, _global_pool, image_input=True
)
GLOBAL_MAXPOOL = OpKind(
    "global_maxpool", (), "GlobalMaxPooling2D", _none, _global_pool, image_input=True
)
FLATTEN = OpKind("flatten", (), "Flatten", _none, _flatten, image_input=True)
DENSE = OpKind(
    "dense",
    (Key.UNITS, Key.USE_BIAS, *KERNEL_KEYS),
    "Dense",
    lambda c: {**dict(units=c[Key.UNITS], use_bias=c[Key.USE_BIAS]), **_kernel_args(c)},
    _dense,
    weighted=True,
    label=lambda c: f"dense {c[Key.UNITS]}",
)
SCALE = OpKind("scale", (), "ChannelScale", _none, _scale, list_input=True, custom=True)
DROPOUT = OpKind("dropout", (Key.RATE,), "Dropout", lambda c: dict(rate=c[Key.RATE]), _same)

OPS: dict[str, OpKind] = {
    o.name: o
    for o in (
        CONV,
        BATCHNORM,
        ACTIVATION,
        MAXPOOL,
        AVGPOOL,
        ZEROPAD,
        ADD,
        CONCAT,
        BIAS,
        PAD_SHORTCUT,
        GLOBAL_AVGPOOL,
        GLOBAL_MAXPOOL,
        FLATTEN,
        DENSE,
        SCALE,
        DROPOUT,
    )
}
# The vocabulary's pooling modes (``ops.pool(x, "max", ...)``) and their kinds.
POOLS = {"max": MAXPOOL, "avg": AVGPOOL}
GLOBAL_POOLS = {"avg": GLOBAL_AVGPOOL, "max": GLOBAL_MAXPOOL}
CUSTOM_LAYERS = frozenset(o.keras_class for o in OPS.values() if o.custom)
WEIGHTED = tuple(o.name for o in OPS.values() if o.weighted)


def layer_call(kind: str, name: str, config: dict) -> tuple[str, dict[str, Any]]:
    """``(class_name, kwargs)`` of the Keras layer for one op; ``name`` included."""
    entry = OPS.get(kind)
    if entry is None:
        raise ValueError(f"no Keras layer for operation {kind!r}")
    return entry.keras_class, {**entry.keras_args(config), "name": name}
