"""The parts of an architecture spec: stem layers, stages and the head, and the words
their fields may hold.

Plain frozen data; nothing here judges a value. :mod:`spec_validation` does, and
:class:`~resnet_core.spec.ArchitectureSpec`, the whole built of these parts, validates
itself when made: so the parts sit below validation and the whole above it.
"""

from __future__ import annotations

from dataclasses import dataclass

# A stem layer's kinds, and the fields each reads, are in stem_kinds.STEM_KINDS.
PADDINGS = ("same", "valid")
SHORTCUTS = ("projection", "conv", "zeropad", "subsample", "none")
STRIDE_BLOCKS = ("first", "last")
STRIDE_CONVS = ("1x1", "3x3")
HEAD_OUTPUTS = ("softmax", "logits")
# Kernel initialisers by name; "truncated_normal" takes the spec's ``init_stddev``.
KERNEL_INITS = ("glorot_uniform", "he_normal", "he_uniform", "truncated_normal")
CLASSIFIERS = ("dense", "conv")


@dataclass(frozen=True)
class HeadPool:
    """One way a head pools before its dense layers: the one table that the builder
    (:mod:`network`), the words (:mod:`compare`), the checks and the Compose page read.

    ``reduce`` is the vocabulary's pool (``"avg"``, ``"max"``; ``None``: none), ``windowed``
    says it pools a ``pool_size`` window and flattens (else one value per channel),
    ``layer`` names its layer, ``words`` reads it (``{window}``: the window, ``2×2``).
    """

    reduce: str | None
    windowed: bool
    layer: str
    words: str


HEAD_POOL_KINDS = {
    "global_avg": HeadPool("avg", False, "gap", "global average pool"),
    "global_max": HeadPool("max", False, "gmp", "global max pool"),
    "avg": HeadPool("avg", True, "pool", "{window} average pool, flatten"),
    "max": HeadPool("max", True, "pool", "{window} max-pool, flatten"),
    "flatten": HeadPool(None, False, "flatten", "flatten"),
}
HEAD_POOLS = tuple(HEAD_POOL_KINDS)


@dataclass(frozen=True)
class StemLayer:
    """One stem layer, in Keras's words: ``kernel_size`` (conv), ``pool_size`` (maxpool,
    avgpool), ``pad`` (zeropad: pixels added on each side). Each kind's entry in
    :data:`~resnet_core.stem_kinds.STEM_KINDS` says which fields it reads; the others
    stay at their defaults."""

    kind: str
    filters: int | None = None
    kernel_size: int | None = None
    pool_size: int | None = None
    pad: int | None = None
    stride: int = 1
    padding: str = "same"
    use_bias: bool = True


@dataclass(frozen=True)
class Stage:
    """A stage: ``num_blocks`` blocks of one ``kind`` (a key of ``BLOCK_KINDS``); one of
    them carries the stride.

    ``filters`` is the block's output channels (an int), except for ``inception`` blocks
    where it is the six path widths ``(c1, c2_reduce, c2, c3_reduce, c3, c4)``.
    ``expansion`` is the ratio of output channels to the bottleneck width.

    Variations of a block are parameters of it, as in timm (bottleneck unless said):
    ``groups`` splits the k×k conv into groups (ResNeXt); ``width`` sets the k×k conv's
    channels (0: ``filters // expansion``; Wide ResNet, ResNeXt); ``se_ratio`` adds
    squeeze-and-excitation with ``filters / se_ratio`` hidden units (0: none);
    ``preact`` puts BN and ReLU before each conv (ResNet v2; bottleneck and basic);
    ``stride_block`` says which block strides ("last": Keras's ResNetV2);
    ``stride_conv`` which conv of a bottleneck strides ("3x3": torchvision's v1.5).
    """

    kind: str
    num_blocks: int
    filters: int | tuple[int, ...]
    stride: int = 1
    kernel_size: int = 3
    shortcut: str = "projection"
    expansion: int = 4
    groups: int = 1
    width: int = 0
    se_ratio: int = 0
    preact: bool = False
    stride_block: str = "first"
    stride_conv: str = "1x1"


@dataclass(frozen=True)
class Head:
    """The classifier: pooling, hidden dense layers, dropout, classes."""

    classes: int
    pool: str = "global_avg"
    pool_size: int = 2
    pool_padding: str = "valid"
    hidden: tuple[int, ...] = ()
    dropout: float = 0.0
    classifier: str = "dense"
    classifier_kernel: int = 3
    bn_relu: bool = False  # BN and ReLU before pooling: the end of a pre-activation net
    output: str = "softmax"  # "logits": no softmax (seed 004's slim VGG-16)
