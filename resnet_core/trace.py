"""The tracer: an interpreter that computes shapes, parameters, MACs and receptive fields.

It builds no Keras model (so it is fast enough for every keystroke) and reproduces
Keras's shape and parameter rules. When a layer cannot be built it raises
:class:`TraceError` naming the layer, and the layers traced so far stay available.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from .network import forward
from .ops import Interpreter, Op
from .spec import MAX_LAYERS, ArchitectureSpec


@dataclass(frozen=True)
class Tensor:
    """A traced tensor: shape without the batch axis, producing layer, receptive field."""

    shape: tuple[int, ...]
    source: str
    rf: int = 1  # receptive field side, in input pixels
    jump: int = 1  # distance in input pixels between neighbouring outputs
    skip: bool = False  # produced on (or is) a skip path


@dataclass(frozen=True)
class TracedLayer:
    """One layer of the traced network."""

    name: str
    kind: str
    stage: str
    block: str
    role: str
    inputs: tuple[str, ...]
    skip_inputs: tuple[bool, ...]
    output_shape: tuple[int, ...]
    params: int
    trainable_params: int
    macs: int
    rf: int
    config: dict = field(default_factory=dict)

    @property
    def non_trainable_params(self) -> int:
        return self.params - self.trainable_params


class TraceError(ValueError):
    """A layer that cannot be built; ``op`` is where, ``input_shapes`` what it got."""

    def __init__(self, op: Op, message: str, input_shapes: Sequence[tuple[int, ...]]):
        self.op = op
        self.input_shapes = [tuple(s) for s in input_shapes]
        self.reason = message
        where = op.stage + (f" {op.block}" if op.block else "")
        shapes = ", ".join(fmt_shape(s) for s in self.input_shapes)
        super().__init__(f"{where}, layer {op.name}: {message} (input {shapes})")


def fmt_shape(shape: Sequence[int]) -> str:
    return "×".join(str(v) for v in shape)


def _spatial(n: int, size: int, stride: int, padding: str) -> int:
    if padding == "same":
        return math.ceil(n / stride)
    return (n - size) // stride + 1


class Tracer(Interpreter):
    """Interprets the vocabulary into :class:`TracedLayer` records."""

    def __init__(self) -> None:
        super().__init__()
        self.layers: list[TracedLayer] = []
        self._names: set[str] = set()

    def shape(self, x: Tensor) -> tuple[int, ...]:
        return x.shape

    def input(self, shape: tuple[int, ...], name: str = "input") -> Tensor:
        t = Tensor(tuple(shape), name)
        self.layers.append(TracedLayer(name, "input", "input", "", "main", (), (), t.shape,
                                       0, 0, 0, 1, {}))
        return t

    def apply(self, op: Op, inputs: Sequence[Tensor]) -> Tensor:
        if op.name in self._names:  # Keras refuses duplicate names too
            raise TraceError(op, "duplicate layer name", [t.shape for t in inputs])
        if len(self.layers) > MAX_LAYERS:  # stop early: a huge spec must not hang a page
            raise TraceError(op, f"the network has more than {MAX_LAYERS:,} layers (the "
                             "largest of the papers, ResNet-1202, has 4,209); use fewer "
                             "blocks", [t.shape for t in inputs])
        shape, params, trainable, macs, rf, jump = self._rules(op, inputs)
        skip = op.role == "shortcut"
        if skip:
            skip_inputs = (True,) * len(inputs)
        else:  # the second input of an add is the skip connection
            skip_inputs = (False, True) if op.kind == "add" else (False,) * len(inputs)
        self._names.add(op.name)
        # op.config is shared, not copied: an Op is never changed once made.
        self.layers.append(TracedLayer(
            op.name, op.kind, op.stage, op.block, op.role, tuple(t.source for t in inputs),
            skip_inputs, shape, params, trainable, macs, rf, op.config))
        return Tensor(shape, op.name, rf, jump, skip)

    # -- Keras's rules, layer by layer -------------------------------------------------
    def _rules(self, op: Op, inputs: Sequence[Tensor]):
        c = op.config
        x = inputs[0]
        shapes = [t.shape for t in inputs]

        def fail(msg):
            raise TraceError(op, msg, shapes)

        kind = op.kind
        if kind in ("conv", "maxpool", "avgpool", "zeropad", "pad_shortcut", "batchnorm",
                    "global_avgpool", "global_maxpool", "flatten", "bias"):
            if len(x.shape) != 3 and kind not in ("batchnorm", "bias"):
                fail("needs an image (height×width×channels) input")
        if kind in ("conv", "maxpool", "avgpool"):
            h, w, ch = x.shape
            size, stride, pad = c["size"], c["stride"], c["padding"]
            oh, ow = _spatial(h, size, stride, pad), _spatial(w, size, stride, pad)
            if oh < 1 or ow < 1:
                fail(f"a {size}×{size} window with stride {stride} and '{pad}' padding "
                     f"leaves nothing of {h}×{w}; use a larger input, 'same' padding or "
                     f"a smaller kernel or stride")
            rf, jump = x.rf + (size - 1) * x.jump, x.jump * stride
            if kind == "conv":
                f, g = c["filters"], c.get("groups", 1)
                if ch % g or f % g:
                    fail(f"{g} groups must divide the input channels ({ch}) and the "
                         f"filters ({f}); change the stage's groups or width")
                weights = size * size * (ch // g) * f + (f if c["use_bias"] else 0)
                macs = oh * ow * size * size * (ch // g) * f
                return (oh, ow, f), weights, weights, macs, rf, jump
            return (oh, ow, ch), 0, 0, 0, rf, jump
        if kind == "batchnorm":
            ch = x.shape[-1]
            learned = (2 if c.get("scale", True) else 1) * ch  # beta, and gamma if scaled
            return x.shape, learned + 2 * ch, learned, 0, x.rf, x.jump  # + moving stats
        if kind in ("activation", "dropout"):
            return x.shape, 0, 0, 0, x.rf, x.jump
        if kind == "bias":
            return x.shape, x.shape[-1], x.shape[-1], 0, x.rf, x.jump
        if kind == "zeropad":
            h, w, ch = x.shape
            a = c["amount"]
            return (h + 2 * a, w + 2 * a, ch), 0, 0, 0, x.rf, x.jump
        if kind == "pad_shortcut":
            h, w, ch = x.shape
            if c["channels"] < ch:
                fail(f"zero-padding cannot shrink {ch} channels to {c['channels']}; "
                     f"use a projection shortcut")
            s = c["stride"]
            return (math.ceil(h / s), math.ceil(w / s), c["channels"]), 0, 0, 0, x.rf, x.jump * s
        if kind == "add":
            if len({t.shape for t in inputs}) != 1:
                fail(f"cannot add the main path {fmt_shape(inputs[0].shape)} and the skip "
                     f"{fmt_shape(inputs[1].shape)}; give the stage a projection shortcut "
                     f"or matching filters and stride")
            return x.shape, 0, 0, 0, max(t.rf for t in inputs), x.jump
        if kind == "scale":
            if inputs[1].shape != x.shape[-1:]:
                fail(f"the gate {fmt_shape(inputs[1].shape)} must have one value per "
                     f"channel of {fmt_shape(x.shape)}")
            return x.shape, 0, 0, 0, x.rf, x.jump  # elementwise, uncounted as add's
        if kind == "concat":
            if len({t.shape[:-1] for t in inputs}) != 1:
                fail("the paths' spatial sizes differ: "
                     + ", ".join(fmt_shape(t.shape) for t in inputs))
            ch = sum(t.shape[-1] for t in inputs)
            return x.shape[:-1] + (ch,), 0, 0, 0, max(t.rf for t in inputs), x.jump
        if kind in ("global_avgpool", "global_maxpool"):
            h, w, ch = x.shape
            return (ch,), 0, 0, 0, x.rf + (max(h, w) - 1) * x.jump, x.jump
        if kind == "flatten":
            return (math.prod(x.shape),), 0, 0, 0, x.rf + (max(x.shape[:2]) - 1) * x.jump, x.jump
        if kind == "dense":
            if len(x.shape) != 1:
                fail("needs a flat input; flatten or pool first")
            n, u = x.shape[0], c["units"]
            weights = n * u + (u if c["use_bias"] else 0)
            return (u,), weights, weights, n * u, x.rf, x.jump
        fail(f"unknown operation {kind!r}")  # pragma: no cover


@dataclass
class Trace:
    """The result of tracing a spec: the layers, and the error that stopped it, if any."""

    spec: ArchitectureSpec
    layers: list[TracedLayer]
    error: TraceError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def trace_spec(spec: ArchitectureSpec) -> Trace:
    """Trace ``spec`` without Keras; never raises for shape problems."""
    tracer = Tracer()
    x = tracer.input(spec.input_shape)
    try:
        forward(tracer, spec, x)
    except TraceError as exc:
        return Trace(spec, tracer.layers, exc)
    return Trace(spec, tracer.layers)
