"""Spec → ``keras.Model``, and the blocks as functions on Keras tensors.

This is the only module of the analysis path that imports Keras; the explorer's pages
that do not train never import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from . import blocks
from . import layers as custom_layers
from .keras_internals import deep_graphs, operations_behind
from .network import forward
from .op_table import CUSTOM_LAYERS, OPS, layer_call
from .ops import Interpreter, Op, model_name
from .spec import ArchitectureSpec


def _layer_class(name: str):
    return getattr(custom_layers, name) if name in CUSTOM_LAYERS else getattr(keras.layers, name)


class KerasBuilder(Interpreter):
    """Interprets the vocabulary into Keras layers on (symbolic or eager) tensors."""

    def shape(self, x) -> tuple[int, ...]:
        return tuple(x.shape[1:])

    def apply(self, op: Op, inputs: Sequence[Any]):
        cls, kwargs = layer_call(op.kind, op.name, op.config)
        layer = _layer_class(cls)(**kwargs)
        return layer(list(inputs) if OPS[op.kind].list_input else inputs[0])


def build_model(spec: ArchitectureSpec) -> keras.Model:
    """Build the Keras functional model that ``spec`` describes (softmax output)."""
    with deep_graphs():  # Keras maps the graph recursively: ResNet-1202 needs it
        inputs = keras.Input(shape=spec.input_shape, name="input")
        outputs = forward(KerasBuilder(), spec, inputs)
        return keras.Model(inputs, outputs, name=model_name(spec.name))


# ------------------------------------------------------------ blocks on Keras tensors
def _default_name(kind: str, x) -> str:
    """``kind`` and the number of layers behind ``x``: ``basic1`` for a block on the
    input, and so on. It depends on this call alone (no counter kept between calls), and
    blocks chained one after another get distinct names; an eager tensor has no layers
    behind it. Two unnamed blocks on the same tensor clash: name them."""
    behind = operations_behind(x)
    return f"{kind}{behind}" if behind else kind


def _run(block_fn, x, name: str | None, **kwargs):
    name = name or _default_name(block_fn.__name__.removesuffix("_block"), x)
    ops = KerasBuilder()
    with ops.scope(name):
        return block_fn(ops, x, **kwargs)


def bottleneck_block(
    x,
    filters: int,
    kernel_size: int = 3,
    stride: int = 1,
    shortcut: str = "projection",
    expansion: int = 4,
    use_bias: bool = True,
    groups: int = 1,
    width: int = 0,
    se_ratio: int = 0,
    preact: bool = False,
    stride_conv: str = "1x1",
    name: str | None = None,
):
    """Bottleneck block on a Keras tensor; ``filters`` is the output channels.

    ``groups``, ``width``, ``se_ratio`` and ``preact`` make it ResNeXt's, a Wide ResNet's,
    SE-ResNet's or ResNet v2's block (see :func:`resnet_core.blocks.bottleneck_block`).
    """
    return _run(
        blocks.bottleneck_block,
        x,
        name,
        filters=filters,
        kernel_size=kernel_size,
        stride=stride,
        shortcut_kind=shortcut,
        expansion=expansion,
        use_bias=use_bias,
        groups=groups,
        width=width,
        se_ratio=se_ratio,
        preact=preact,
        stride_conv=stride_conv,
    )


def _document_filters(filters: Sequence[int]) -> tuple[int, int, int]:
    """Seed 000's ``[F1, F2, F3]``: the 1×1's, the f×f's and the output channels."""
    values = list(filters) if isinstance(filters, (list, tuple)) else [filters]
    if len(values) != 3 or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values
    ):
        raise ValueError(f"filters must be three positive integers [F1, F2, F3], got {values!r}")
    return values[0], values[1], values[2]


def identity_block(x, f: int, filters: Sequence[int], stage: int, block: str):
    """Seed 000's identity block: 1×1 to F1, f×f to F2, 1×1 to F3, plus the input (which
    must have F3 channels)."""
    f1, f2, f3 = _document_filters(filters)
    if x.shape[-1] != f3:
        raise ValueError(
            f"an identity block adds its input, so the input's {x.shape[-1]} "
            f"channels must equal F3 = {f3}; use convolutional_block"
        )
    return _run(
        blocks.bottleneck_block, x, f"res{stage}{block}", filters=f3, kernel_size=f, width=(f1, f2)
    )


def convolutional_block(x, f: int, filters: Sequence[int], stage: int, block: str, s: int = 2):
    """Seed 000's convolutional block: stride ``s`` on the first 1×1 and on the projection
    (1×1 conv and BN) of its shortcut, which is there wherever the shape changes (every
    use in the document); an input already of the output's shape is added as is."""
    f1, f2, f3 = _document_filters(filters)
    return _run(
        blocks.bottleneck_block,
        x,
        f"res{stage}{block}",
        filters=f3,
        kernel_size=f,
        stride=s,
        width=(f1, f2),
    )


def basic_block(
    x,
    filters: int,
    kernel_size: int = 3,
    stride: int = 1,
    shortcut: str = "conv",
    use_bias: bool = True,
    preact: bool = False,
    name: str | None = None,
):
    """Basic block (3×3 → 3×3). By default where the shape changes the shortcut is seed
    001's 1×1 strided conv without BatchNorm, so ``stride=2`` gives its downsampling
    block; ``shortcut="projection"`` adds the BN (He et al.'s option B)."""
    return _run(
        blocks.basic_block,
        x,
        name,
        filters=filters,
        kernel_size=kernel_size,
        stride=stride,
        shortcut_kind=shortcut,
        use_bias=use_bias,
        preact=preact,
    )


def relu_bn_block(
    x,
    filters: int,
    downsample: bool = False,
    kernel_size: int = 3,
    skip: bool = True,
    name: str | None = None,
):
    """Seed 002's residual block; ``skip=False`` gives its plain twin."""
    return _run(
        blocks.relu_bn_block,
        x,
        name,
        filters=filters,
        kernel_size=kernel_size,
        stride=2 if downsample else 1,
        shortcut_kind="conv" if skip else "none",
    )


def bias_bottleneck_block(
    x,
    filters: int,
    kernel_size: int = 3,
    stride: int = 1,
    expansion: int = 4,
    name: str | None = None,
):
    """Seed 003's BatchNorm-free bottleneck (projection when the shape changes)."""
    return _run(
        blocks.bias_bottleneck_block,
        x,
        name,
        filters=filters,
        kernel_size=kernel_size,
        stride=stride,
        expansion=expansion,
    )


def preact_block(x, filters: int, kernel_size: int = 3, stride: int = 1, name: str | None = None):
    """Seed 004's pre-activation block (BN → ELU → conv, twice, plus the input)."""
    return _run(
        blocks.preact_block, x, name, filters=filters, kernel_size=kernel_size, stride=stride
    )


def reduced_bottleneck_block(x, f: int = 32, r: int = 4, name: str | None = None):
    """Seed 004's ``residual_block(x, f, r)``: widths f//r, f//r, f, plus the input."""
    return _run(blocks.reduced_bottleneck_block, x, name, filters=f, expansion=r)


def inception_block(
    x, c1: int, c2: Sequence[int], c3: Sequence[int], c4: int, name: str | None = None
):
    """GoogLeNet's Inception block with seed 000's signature ``(c1, c2, c3, c4)``."""
    return _run(blocks.inception_block, x, name, filters=(c1, *c2, *c3, c4))


def vgg_stack(x, convs: int, filters: int, pool: bool = True, name: str | None = None):
    """``convs`` 3×3 conv + ReLU layers, then an optional 2×2 max-pool (a VGG stage)."""
    ops = KerasBuilder()
    name = name or _default_name("vgg", x)
    for i in range(convs):
        with ops.scope(name, f"conv{i + 1}"):
            x = blocks.vgg_conv(ops, x, filters=filters)
    if pool:
        with ops.scope(name):
            x = ops.pool(x, "max", 2, 2, name="pool")
    return x
