"""The block gallery: one block of each kind on its own, traced and measured.

For a chosen input and width, each kind of :data:`~resnet_core.blocks.BLOCK_KINDS` becomes a
one-block network (no stem, a small head to make it a model); the tracer counts the block
alone, :mod:`graph` draws it and :mod:`codegen` writes the Keras script that builds it.
"""

from __future__ import annotations

from .analysis import Analysis
from .blocks import BLOCK_KINDS, BlockKind
from .codegen import to_python
from .documents import plain_sources
from .graph import to_graph
from .limits import fmt_shape
from .spec import ArchitectureSpec, Head, SpecError, Stage
from .trace import Trace, trace_spec

# The inputs the gallery offers (inclusive): small enough that every kind traces at once.
SIDE = (1, 512)  # input height and width
CHANNELS = (1, 2048)  # input channels
WIDTH = (4, 4096)  # output channels: a multiple of 4 (a bottleneck's expansion)


def block_spec(
    kind: BlockKind, shape: tuple[int, int, int], width: int, stride: int
) -> ArchitectureSpec:
    """One block of ``kind`` on an input of ``shape``, with a small head to make a model.

    Raises :class:`SpecError` when the block cannot take these values.
    """
    return ArchitectureSpec(
        name=f"{kind.name}_block",
        input_shape=shape,
        stem=(),
        stages=(
            Stage(
                kind.name, 1, kind.example_filters(width), stride, shortcut=kind.default_shortcut
            ),
        ),
        head=Head(classes=10),
        description=f"one {kind.title} block ({plain_sources(kind.source)})",
    )


def gallery_entry(name: str, shape: tuple[int, int, int], width: int, stride: int) -> dict:
    """The block of kind ``name`` measured: ``params``, ``macs``, ``output`` (its shape as
    text), ``layers``, ``skips`` (its adds), ``dot`` (its graph, DOT source) and ``script``
    (the Keras code; None when the whole model cannot be built). ``{"error": why}`` when
    the block cannot be made or traced for these values."""
    kind = BLOCK_KINDS[name]
    try:
        spec = block_spec(kind, shape, width, stride)
    except SpecError as exc:
        return {"error": str(exc)}
    trace = trace_spec(spec)
    block = [l for l in trace.layers if l.stage == "stage1"]
    if not trace.ok and trace.error.op.stage == "stage1":
        return {"error": f"cannot be built here: {trace.error.reason}"}
    only_block = Analysis(spec, Trace(spec, [trace.layers[0], *block]))
    graph = to_graph(only_block, level="layer", direction="TB")
    graph.attr(label=f"{kind.title}", size="7,9")
    return {
        "params": sum(l.params for l in block),
        "macs": sum(l.macs for l in block),
        "output": fmt_shape(block[-1].output_shape),
        "layers": len(block),
        "skips": sum(1 for l in block if l.kind == "add"),
        "dot": graph.source,
        "script": to_python(spec) if trace.ok else None,
    }
