"""Spec → per-layer table, per-stage roll-up, totals, receptive fields and memory.

Everything here is read off the tracer, so it costs milliseconds and agrees with Keras.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from . import op_table
from .limits import fmt_shape, human
from .spec import ArchitectureSpec
from .trace import Trace, TracedLayer, trace_spec

BYTES_PER_VALUE = 4  # float32
WEIGHTED = op_table.WEIGHTED  # kinds with a kernel: they count towards the depth


@dataclass(frozen=True)
class StageSummary:
    """The roll-up of one stage (``stem``, ``stage1`` …, ``head``)."""

    stage: str
    layers: int
    num_blocks: int
    params: int
    macs: int
    output_shape: tuple[int, ...]
    receptive_field: int
    depth: int
    stage_index: int | None = None  # its place in spec.stages; None: stem, head


@dataclass(frozen=True)
class Totals:
    total_params: int
    trainable_params: int
    non_trainable_params: int
    macs: int
    depth: int
    output_shape: tuple[int, ...]


@dataclass(frozen=True)
class Memory:
    """A training-memory estimate in bytes (float32, Adam's two slots per weight)."""

    batch_size: int
    weights: int
    gradients: int
    optimizer: int
    activations: int

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer + self.activations


@dataclass
class Analysis:
    """What the explorer shows of a spec; ``error`` is set when the spec cannot be built."""

    spec: ArchitectureSpec
    trace: Trace

    @property
    def layers(self) -> list[TracedLayer]:
        return self.trace.layers

    @property
    def ok(self) -> bool:
        return self.trace.ok

    @property
    def error(self) -> str | None:
        return None if self.trace.ok else str(self.trace.error)

    @property
    def totals(self) -> Totals:
        layers = self.layers
        total = sum(l.params for l in layers)
        trainable = sum(l.trainable_params for l in layers)
        return Totals(
            total,
            trainable,
            total - trainable,
            sum(l.macs for l in layers),
            depth(layers),
            layers[-1].output_shape if self.ok else (),
        )

    def stages(self) -> list[StageSummary]:
        """The per-stage roll-up in network order."""
        groups: dict[str, list[TracedLayer]] = {}
        for layer in self.layers:
            if layer.kind != "input":
                groups.setdefault(layer.stage, []).append(layer)
        out = []
        for stage, ls in groups.items():
            last = ls[-1]
            out.append(
                StageSummary(
                    stage,
                    len(ls),
                    len({l.block_name for l in ls if l.block_name}),
                    sum(l.params for l in ls),
                    sum(l.macs for l in ls),
                    last.output_shape,
                    last.rf,
                    depth(ls),
                    last.stage_index,
                )
            )
        return out

    def memory(self, batch_size: int = 32) -> Memory:
        """Weights, gradients, optimizer slots, and the activations kept for backprop."""
        t = self.totals
        acts = sum(prod(l.output_shape) for l in self.layers) * batch_size
        return Memory(
            batch_size,
            t.total_params * BYTES_PER_VALUE,
            t.trainable_params * BYTES_PER_VALUE,
            2 * t.trainable_params * BYTES_PER_VALUE,
            acts * BYTES_PER_VALUE,
        )

    def rows(self) -> list[dict]:
        """The per-layer table as plain dicts (for pandas, JSON, CSV)."""
        return [layer_row(l) for l in self.layers]


def layer_row(l: TracedLayer) -> dict:
    return {
        "name": l.name,
        "kind": l.kind,
        "stage": l.stage,
        "block_name": l.block_name,
        "output_shape": list(l.output_shape),
        "params": l.params,
        "trainable": l.trainable_params,
        "non_trainable": l.non_trainable_params,
        "macs": l.macs,
        "receptive_field": l.rf,
        "skip_path": l.role == "shortcut",
    }


def depth(layers) -> int:
    """Weighted layers on the main path, as the papers count them (ResNet-50 → 50)."""
    return sum(1 for l in layers if l.kind in WEIGHTED and l.role == "main")


def analyze(spec: ArchitectureSpec) -> Analysis:
    """Trace ``spec`` and wrap the result; never raises for shape problems."""
    return Analysis(spec, trace_spec(spec))


def summary_dict(a: Analysis, batch_size: int = 32) -> dict:
    """The JSON summary the command line prints."""
    t = a.totals
    m = a.memory(batch_size)
    return {
        "name": a.spec.name,
        "input_shape": list(a.spec.input_shape),
        "output_shape": list(t.output_shape) if a.ok else None,
        "total_params": t.total_params,
        "trainable_params": t.trainable_params,
        "non_trainable_params": t.non_trainable_params,
        "macs": t.macs,
        "depth": t.depth,
        "error": a.error,
        "stages": [
            {
                "stage": s.stage,
                "num_blocks": s.num_blocks,
                "params": s.params,
                "macs": s.macs,
                "output_shape": list(s.output_shape),
                "receptive_field": s.receptive_field,
            }
            for s in a.stages()
        ],
        "memory_bytes": {
            "batch_size": batch_size,
            "weights": m.weights,
            "gradients": m.gradients,
            "optimizer": m.optimizer,
            "activations": m.activations,
            "total": m.total,
        },
        "layers": a.rows(),
    }


__all__ = [
    "Analysis",
    "Memory",
    "StageSummary",
    "Totals",
    "analyze",
    "fmt_shape",
    "human",
    "summary_dict",
]
