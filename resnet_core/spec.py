"""The architecture spec: an immutable, JSON-serialisable description of a network.

A spec is the one value the whole project derives from: the tracer, the Keras builder,
the graph and the code export all read it. An :class:`ArchitectureSpec` is valid once
made: it checks itself (:mod:`spec_validation`: shape-independent problems; whether the
shapes work out is the tracer's job). Its parts and the words their fields take are in
:mod:`spec_parts`, its file format in :mod:`spec_format`; this module is their public
face, so ``from resnet_core.spec import Stage, SpecError`` keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from . import spec_format
from .ops import LayerSettings
from .spec_parts import (
    CLASSIFIERS,
    HEAD_OUTPUTS,
    HEAD_POOL_KINDS,
    HEAD_POOLS,
    KERNEL_INITS,
    PADDINGS,
    SHORTCUTS,
    STRIDE_BLOCKS,
    STRIDE_CONVS,
    Head,
    HeadPool,
    Stage,
    StemLayer,
)
from .spec_validation import SpecError, validate
from .stem_kinds import STEM_KINDS


@dataclass(frozen=True)
class ArchitectureSpec:
    """A whole network: input, stem layers, stages and head."""

    name: str
    input_shape: tuple[int, int, int]
    stem: tuple[StemLayer, ...]
    stages: tuple[Stage, ...]
    head: Head
    conv_bias: bool = True
    description: str = ""
    layer_settings: LayerSettings = LayerSettings()

    def __post_init__(self) -> None:
        problems = validate(self)
        if problems:
            raise SpecError(problems)

    # ------------------------------------------------------------------ conversion
    def to_dict(self) -> dict[str, Any]:
        """The JSON object of its spec file (:mod:`spec_format`)."""
        return spec_format.to_document(self)

    def to_json(self, indent: int | None = 2) -> str:
        return spec_format.to_json(self, indent)

    @classmethod
    def from_dict(cls, data: Any) -> ArchitectureSpec:
        """A spec from parsed JSON of this format or format 1; raises :class:`SpecError`."""
        return spec_format.from_document(data, cls)

    @classmethod
    def from_json(cls, text: str) -> ArchitectureSpec:
        """A spec from a spec file's text; raises :class:`SpecError`."""
        return spec_format.from_json(text, cls)

    def replace(self, **changes: Any) -> ArchitectureSpec:
        return replace(self, **changes)

    def with_stage(self, index: int, **changes: Any) -> ArchitectureSpec:
        stages = list(self.stages)
        stages[index] = replace(stages[index], **changes)
        return replace(self, stages=tuple(stages))


__all__ = [
    "CLASSIFIERS",
    "HEAD_OUTPUTS",
    "HEAD_POOL_KINDS",
    "HEAD_POOLS",
    "KERNEL_INITS",
    "PADDINGS",
    "SHORTCUTS",
    "STEM_KINDS",
    "STRIDE_BLOCKS",
    "STRIDE_CONVS",
    "ArchitectureSpec",
    "Head",
    "HeadPool",
    "LayerSettings",
    "SpecError",
    "Stage",
    "StemLayer",
]
