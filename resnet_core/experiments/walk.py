"""A trained network run along its spec, layer by layer, on real images (Keras, eager).

:class:`TrainedWalk` is an interpreter of the vocabulary (like the builder) whose layers
are the trained model's own, looked up by their deterministic names: the same walk from
the spec, so a block can be left out (a lesion: its output is its input) and what flows
through each block and layer can be watched. Inference mode: BatchNorm uses its moving
statistics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..network import forward
from ..ops import Interpreter, Op
from ..spec import ArchitectureSpec

ACTIVATION_BUDGET = 256 * 2**20  # bytes of one layer's output for a whole batch


def batch_size_for(spec: ArchitectureSpec, most: int = 256) -> int:
    """Images per forward pass: at most ``most``, fewer for a network whose largest
    layer output (float32) would pass :data:`ACTIVATION_BUDGET` for the batch (a 224×224
    ResNet-50: 80 images), so memory stays bounded whatever the run."""
    from ..trace import trace_spec

    largest = max((math.prod(l.output_shape) for l in trace_spec(spec).layers), default=1)
    return max(1, min(most, ACTIVATION_BUDGET // (4 * largest)))


def layers_by_name(model) -> dict[str, Any]:
    """Every layer of ``model``, nested models opened (a run's model may wrap the
    network in augmentation or a softmax of its logits)."""
    import keras

    found: dict[str, Any] = {}
    stack = [model]
    while stack:
        m = stack.pop()
        for layer in m.layers:
            if isinstance(layer, keras.Model):
                stack.append(layer)
            else:
                found.setdefault(layer.name, layer)
    return found


@dataclass
class BlockRecord:
    """What one block saw, for the images walked: input, output, and for a residual
    block the branch (the sum's first input) and the skip (its second)."""

    name: str
    input: Any
    output: Any
    branch: Any = None
    skip: Any = None
    deleted: bool = False


@dataclass
class Watch:
    """What a walk records: block records, and the outputs of the named layers."""

    blocks: bool = False
    layers: frozenset[str] = frozenset()
    block_records: list[BlockRecord] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, list] = field(default_factory=dict)  # layer name → its inputs' names


class TrainedWalk(Interpreter):
    """Applies the trained layers (by name) to concrete tensors, as the spec lays them."""

    def __init__(
        self,
        layers: dict[str, Any],
        delete: frozenset[str] = frozenset(),
        watch: Watch | None = None,
    ):
        super().__init__()
        self.layers = layers
        self.delete = delete
        self.watch = watch
        self._adds: list[tuple[Any, Any]] = []
        self._names: dict[int, str] = {}  # id of an output tensor → its layer's name
        self._alive: list[Any] = []  # keeps those tensors (and so their ids) alive

    def shape(self, x) -> tuple[int, ...]:
        return tuple(x.shape[1:])

    def apply(self, op: Op, inputs: Sequence[Any]):
        from ..op_table import OPS

        layer = self.layers.get(op.name)
        if layer is None:
            raise KeyError(
                f"the trained model has no layer {op.name!r}: the run's network "
                "and its checkpoint disagree"
            )
        out = layer(list(inputs) if OPS[op.kind].list_input else inputs[0])
        if op.kind == "add":
            self._adds.append((inputs[0], inputs[1]))
        w = self.watch
        if w is not None and op.name in w.layers:
            w.outputs[op.name] = out
            w.inputs[op.name] = [self._names.get(id(t), "") for t in inputs]
            self._names[id(out)] = op.name
            self._alive.append(out)
        return out

    def block(self, function, x, **kwargs):
        name = self.block_prefix
        if name in self.delete:
            y, branch, skip = x, None, None
        else:
            self._adds = []
            y = function(self, x, **kwargs)
            # A block's own sum is its last: squeeze-and-excitation has none of its own.
            branch, skip = self._adds[-1] if self._adds else (None, None)
        if self.watch is not None and self.watch.blocks:
            self.watch.block_records.append(
                BlockRecord(name, x, y, branch, skip, name in self.delete)
            )
        return y


def run_spec(
    spec: ArchitectureSpec,
    layers: dict[str, Any],
    x: np.ndarray,
    delete: frozenset[str] = frozenset(),
    watch: Watch | None = None,
):
    """The network's output for the images ``x`` (float32, scaled as in training), with
    the blocks ``delete`` left out; ``watch`` collects what it asks for."""
    walk = TrainedWalk(layers, delete, watch)
    return forward(walk, spec, x)


def predict(
    spec: ArchitectureSpec,
    layers: dict[str, Any],
    x: np.ndarray,
    delete: frozenset[str] = frozenset(),
    batch_size: int = 0,
) -> np.ndarray:
    """Class probabilities (or logits, for a network that ends on them), in batches
    (default: :func:`batch_size_for`)."""
    import keras

    batch_size = batch_size or batch_size_for(spec)
    outs = [
        keras.ops.convert_to_numpy(run_spec(spec, layers, x[i : i + batch_size], delete))
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(outs) if outs else np.zeros((0, spec.head.classes), np.float32)
