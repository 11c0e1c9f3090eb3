"""The stem's layer kinds, each applied once with the vocabulary of :mod:`ops`.

The ``STEM_KINDS`` registry says, per kind, what it is (one plain line), which
:class:`~resnet_core.spec_parts.StemLayer` fields it reads, any check of its own, and how
:mod:`resnet_core.network` applies it. Validation, the network walk (so the tracer, the
builder and the export), the format-1 reader and Compose's stem table (its choices and
help) all read it: a new stem layer kind is its entry here. As :mod:`blocks` is for
stages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .glossary import explain
from .ops import Interpreter

StemApply = Callable[[Interpreter, Any, Any, int], Any]
"""``(ops, x, layer, i) -> x``: the layer applied to ``x``; ``i`` is its place in the
stem, from 1 (its Keras name's number: ``stem_conv1``)."""
StemWords = Callable[[Any], str]
"""``layer -> words``: how Compare names the layer (``7×7 conv 64 stride 2``)."""
StemCheck = Callable[[list, str, Any], None]
"""``(problems, path, layer)``: appends ``(field path, message)`` for what is wrong with a
layer of this kind beyond its fields' types and ranges."""


@dataclass(frozen=True)
class StemKind:
    """What validation, the network walk and Compose need to know about one kind of stem
    layer."""

    name: str
    summary: str
    """One plain line for a newcomer: what the layer does (Compose's help for the kind)."""
    apply: StemApply
    fields: tuple[str, ...] = ()
    """The StemLayer settings this kind reads besides ``kind``: a size among them
    (``filters``, ``kernel_size``, ``pool_size``, ``pad``) is required; the spec refuses a
    non-default value in any other."""
    check: StemCheck | None = None
    """Checks of its own, after its fields' (``None``: none)."""
    words: StemWords | None = None
    """How Compare names a layer of this kind (``None``: the kind's name)."""

    def describe(self, layer) -> str:
        """The layer in a few words (Compare's stem line)."""
        return self.words(layer) if self.words else self.name


def _conv(ops: Interpreter, x, layer, i: int):
    return ops.conv(
        x,
        layer.filters,
        layer.kernel_size,
        layer.stride,
        layer.padding,
        layer.use_bias,
        name=f"conv{i}",
    )


def _batchnorm(ops: Interpreter, x, layer, i: int):
    return ops.batchnorm(x, name=f"bn{i}")


def _activation(fn: str) -> StemApply:
    def apply(ops: Interpreter, x, layer, i: int):
        return ops.activation(x, fn, name=f"{fn}{i}")

    return apply


def _pool(mode: str) -> StemApply:
    def apply(ops: Interpreter, x, layer, i: int):
        return ops.pool(x, mode, layer.pool_size, layer.stride, layer.padding, name=f"pool{i}")

    return apply


def _zeropad(ops: Interpreter, x, layer, i: int):
    return ops.zeropad(x, layer.pad, name=f"pad{i}")


def _stride(layer) -> str:
    return f" stride {layer.stride}" if layer.stride > 1 else ""


def _conv_words(layer) -> str:
    k = layer.kernel_size
    return f"{k}×{k} conv {layer.filters}{_stride(layer)}"


def _pool_words(mode: str) -> StemWords:
    return lambda layer: f"{layer.pool_size}×{layer.pool_size} {mode}-pool{_stride(layer)}"


_WINDOW = ("pool_size", "stride", "padding")

STEM_KINDS: dict[str, StemKind] = {
    k.name: k
    for k in (
        StemKind(
            "conv",
            explain("conv"),
            _conv,
            fields=("filters", "kernel_size", "stride", "padding", "use_bias"),
            words=_conv_words,
        ),
        StemKind("batchnorm", explain("BatchNorm"), _batchnorm, words=lambda _l: "BN"),
        StemKind("relu", explain("ReLU"), _activation("relu"), words=lambda _l: "ReLU"),
        StemKind("elu", explain("ELU"), _activation("elu"), words=lambda _l: "ELU"),
        StemKind(
            "maxpool",
            "The largest value of each window.",
            _pool("max"),
            fields=_WINDOW,
            words=_pool_words("max"),
        ),
        StemKind(
            "avgpool",
            "The mean value of each window.",
            _pool("avg"),
            fields=_WINDOW,
            words=_pool_words("avg"),
        ),
        StemKind(
            "zeropad",
            "A border of zeros, pad pixels on each side.",
            _zeropad,
            fields=("pad",),
            words=lambda layer: f"zero-pad {layer.pad}",
        ),
    )
}


def stem_kinds_reading(field: str) -> list[str]:
    """The stem layer kinds that read the StemLayer setting ``field`` (Compose says so in
    the column's help)."""
    return [k.name for k in STEM_KINDS.values() if field in k.fields]
