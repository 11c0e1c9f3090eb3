"""The one walk from a spec to a network: stem, stages, head, in the vocabulary of ``ops``.

Both interpreters (the Keras builder and the tracer) run exactly this function.
"""

from __future__ import annotations

from .blocks import BLOCK_KINDS
from .ops import Interpreter
from .spec import HEAD_POOL_KINDS, ArchitectureSpec, Head, StemLayer
from .stem_kinds import STEM_KINDS


def forward(ops: Interpreter, spec: ArchitectureSpec, x):
    """Apply the whole network described by ``spec`` to the input ``x``."""
    ops.use_settings(spec.layer_settings)
    with ops.scope("stem"):
        for i, layer in enumerate(spec.stem, start=1):
            x = stem_layer(ops, x, layer, i)
    for index, stage in enumerate(spec.stages, start=1):
        x = BLOCK_KINDS[stage.kind].build_stage(ops, x, stage, index, spec.conv_bias)
    with ops.scope("head"):
        x = head(ops, x, spec.head)
    return x


def stem_layer(ops: Interpreter, x, layer: StemLayer, i: int):
    """The ``i``-th stem layer (from 1) applied to ``x``, as its kind's entry says."""
    kind = STEM_KINDS.get(layer.kind)
    if kind is None:
        raise ValueError(f"unknown stem layer kind {layer.kind!r}")
    return kind.apply(ops, x, layer, i)


def head(ops: Interpreter, x, h: Head):
    if h.bn_relu:  # a pre-activation network's last blocks end on a sum, unnormalised
        x = ops.activation(ops.batchnorm(x, name="post_bn"), "relu", name="post_relu")
    if h.classifier == "conv":
        # Seed 004: a conv to one map per class, BN, then the spatial mean.
        x = ops.conv(x, h.classes, h.classifier_kernel, use_bias=False, name="conv")
        x = ops.batchnorm(x, name="bn")
        x = ops.global_pool(x, "avg", name="gap")
        return _output(ops, x, h)
    pool = HEAD_POOL_KINDS[h.pool]
    if pool.windowed:
        x = ops.pool(x, pool.reduce, h.pool_size, h.pool_size, h.pool_padding, name=pool.layer)
        x = ops.flatten(x)
    elif pool.reduce:
        x = ops.global_pool(x, pool.reduce, name=pool.layer)
    else:
        x = ops.flatten(x)
    for i, units in enumerate(h.hidden, start=1):
        x = ops.activation(ops.dense(x, units, name=f"fc{i}"), "relu", name=f"fc{i}_relu")
        if h.dropout:
            x = ops.dropout(x, h.dropout, name=f"dropout{i}")
    return _output(ops, ops.dense(x, h.classes, name="predictions"), h)


def _output(ops: Interpreter, x, h: Head):
    return x if h.output == "logits" else ops.activation(x, "softmax", name="softmax")
