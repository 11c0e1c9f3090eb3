"""The tracer: an interpreter that computes shapes, parameters, MACs and receptive fields.

It builds no Keras model (so it is fast enough for every keystroke) and reproduces
Keras's shape and parameter rules (each op's, in :mod:`resnet_core.op_table`). When a
layer cannot be built it raises :class:`TraceError` naming the layer, and the layers
traced so far stay available.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .limits import MAX_LAYERS, fmt_shape
from .network import forward
from .op_table import OPS, Traced
from .ops import Interpreter, Op
from .spec import ArchitectureSpec


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
    block_name: str  # "block2" inside a stage's second block; "" outside blocks
    role: str
    inputs: tuple[str, ...]
    skip_inputs: tuple[bool, ...]
    output_shape: tuple[int, ...]
    params: int
    trainable_params: int
    macs: int
    rf: int
    config: dict = field(default_factory=dict)
    stage_index: int | None = None  # its stage's place in spec.stages; None: stem, head

    @property
    def non_trainable_params(self) -> int:
        return self.params - self.trainable_params


class TraceError(ValueError):
    """A layer that cannot be built; ``op`` is where, ``input_shapes`` what it got."""

    def __init__(self, op: Op, message: str, input_shapes: Sequence[tuple[int, ...]]):
        self.op = op
        self.input_shapes = [tuple(s) for s in input_shapes]
        self.reason = message
        where = op.stage + (f" {op.block_name}" if op.block_name else "")
        shapes = ", ".join(fmt_shape(s) for s in self.input_shapes)
        super().__init__(f"{where}, layer {op.name}: {message} (input {shapes})")


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
        self.layers.append(
            TracedLayer(name, "input", "input", "", "main", (), (), t.shape, 0, 0, 0, 1, {})
        )
        return t

    def apply(self, op: Op, inputs: Sequence[Tensor]) -> Tensor:
        if op.name in self._names:  # Keras refuses duplicate names too
            raise TraceError(op, "duplicate layer name", [t.shape for t in inputs])
        if len(self.layers) > MAX_LAYERS:  # stop early: a huge spec must not hang a page
            raise TraceError(
                op,
                f"the network has more than {MAX_LAYERS:,} layers (the "
                "largest of the papers, ResNet-1202, has 4,209); use fewer "
                "blocks",
                [t.shape for t in inputs],
            )
        shape, params, trainable, macs, rf, jump = self._rules(op, inputs)
        skip = op.role == "shortcut"
        if skip:
            skip_inputs = (True,) * len(inputs)
        elif OPS[op.kind].skip_second:  # a sum: its second input is the skip connection
            skip_inputs = (False, True)
        else:
            skip_inputs = (False,) * len(inputs)
        self._names.add(op.name)
        # op.config is shared, not copied: an Op is never changed once made.
        self.layers.append(
            TracedLayer(
                op.name,
                op.kind,
                op.stage,
                op.block_name,
                op.role,
                tuple(t.source for t in inputs),
                skip_inputs,
                shape,
                params,
                trainable,
                macs,
                rf,
                op.config,
                op.stage_index,
            )
        )
        return Tensor(shape, op.name, rf, jump, skip)

    # -- Keras's rules, layer by layer: each op's entry in op_table ---------------------
    def _rules(self, op: Op, inputs: Sequence[Tensor]) -> Traced:
        shapes = [t.shape for t in inputs]

        def fail(msg):
            raise TraceError(op, msg, shapes)

        entry = OPS.get(op.kind)
        if entry is None:  # pragma: no cover - the vocabulary makes only kinds of OPS
            fail(f"unknown operation {op.kind!r}")
        if entry.image_input and len(inputs[0].shape) != 3:
            fail("needs an image (height×width×channels) input")
        return entry.rule(op.config, inputs, fail)


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
