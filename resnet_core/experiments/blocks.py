"""Which blocks of a network can be deleted: those whose input and output shapes agree.

Read from the tracer (no Keras) through the walk's block hook
(:meth:`resnet_core.ops.Interpreter.block`), so a residual network and its plain twin
list the same blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..network import forward
from ..spec import ArchitectureSpec
from ..trace import TraceError, Tracer


@dataclass(frozen=True)
class BlockShape:
    """One block of a stage: its name (``stage2_block3``) and its input and output shapes."""

    name: str
    stage: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]

    @property
    def deletable(self) -> bool:
        """Whether the block can be left out (its output replaced by its input)."""
        return self.input_shape == self.output_shape


class _BlockTracer(Tracer):
    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[BlockShape] = []

    def block(self, function, x, **kwargs):
        y = function(self, x, **kwargs)
        self.blocks.append(BlockShape(self.block_prefix, self._stage, x.shape, y.shape))
        return y


def block_shapes(spec: ArchitectureSpec) -> list[BlockShape]:
    """Every block of ``spec`` in network order; raises ValueError when it cannot be
    built."""
    tracer = _BlockTracer()
    try:
        forward(tracer, spec, tracer.input(spec.input_shape))
    except TraceError as exc:
        raise ValueError(f"{spec.name} cannot be built: {exc}") from None
    return tracer.blocks


def deletable_blocks(spec: ArchitectureSpec) -> list[str]:
    """The names of the blocks a lesion study may delete, in network order."""
    return [b.name for b in block_shapes(spec) if b.deletable]
