"""The block library, each block written once against the vocabulary of :mod:`ops`.

Every block reads top to bottom like its figure in the source documents. The
``BLOCK_KINDS`` registry says, per kind, what it is, where it comes from, how a stage of
it is laid out, what its ``filters`` must look like and how :mod:`resnet_core.build`
calls it on a Keras tensor. Validation, the network walk (so the tracer, the builder
and the export), Compose's table and help, and the Block gallery all read it: a new
kind is a function here and its entry.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .limits import MAX_CHANNELS, show_value
from .ops import Interpreter

# ------------------------------------------------------------------------ shortcut
SHORTCUT_FORMS = ("identity", "projection", "conv", "zeropad", "subsample", "none")
"""What a block's skip path is once its shapes are known (:func:`shortcut_form`)."""


def shortcut_form(kind: str, in_channels: int, out_channels: int, stride: int) -> str:
    """The skip path a block with the stage's shortcut ``kind`` makes: ``identity`` when
    the shapes already match, ``none`` for a plain block, else ``kind`` itself, but
    ``subsample`` projects where the channels change. :func:`shortcut` builds what this
    says, so the Compare page and the command line name skips as the network has them."""
    if kind == "none":
        return "none"
    if stride == 1 and in_channels == out_channels:
        return "identity"
    if kind == "subsample" and in_channels != out_channels:
        return "projection"
    return kind


def shortcut(
    ops: Interpreter,
    x,
    out_channels: int,
    stride: int,
    kind: str,
    use_bias: bool,
    with_bn: bool,
    conv_input=None,
):
    """The skip path of a residual block, or ``None`` for a plain block.

    Identity when the shapes already match; otherwise ``kind`` says how to match them:
    ``projection`` (1×1 strided conv, then BN when the block normalises), ``conv`` (the 1×1
    strided conv alone), ``zeropad`` (option A: subsample and pad channels with zeros) or
    ``subsample`` (a projection where the channels change, else keep every stride-th
    pixel, as Keras's ResNetV2). ``conv_input`` is what a conv reads (a pre-activation
    block's normalised input); identity and subsampling read ``x``.
    """
    form = shortcut_form(kind, ops.channels(x), out_channels, stride)
    if form == "none":
        return None
    if form == "identity":
        return x
    with ops.shortcut():
        if form == "zeropad":
            return ops.pad_shortcut(x, out_channels, stride)
        if form == "subsample":
            return ops.pool(x, "max", 1, stride, name="shortcut_pool")
        src = x if conv_input is None else conv_input
        s = ops.conv(
            src, out_channels, 1, stride, padding="valid", use_bias=use_bias, name="shortcut_conv"
        )
        if form == "projection" and with_bn:
            s = ops.batchnorm(s, name="shortcut_bn")
        return s


def _merge(ops: Interpreter, y, skip):
    return y if skip is None else ops.add(y, skip)


def _bn_relu(ops: Interpreter, x, tag: str):
    return ops.activation(ops.batchnorm(x, name=f"bn{tag}"), "relu", name=f"relu{tag}")


def _preactivate(ops: Interpreter, x, filters: int, stride: int, kind: str, use_bias: bool):
    """A pre-activation block's opening: BN → ReLU of the input, and the skip (a
    projection reads the normalised input; no BN after it)."""
    pre = ops.activation(ops.batchnorm(x, name="preact_bn"), "relu", name="preact_relu")
    return pre, shortcut(ops, x, filters, stride, kind, use_bias, with_bn=False, conv_input=pre)


def _conv_kxk(
    ops: Interpreter,
    x,
    filters: int,
    size: int,
    stride: int,
    use_bias: bool,
    name: str,
    groups: int = 1,
):
    """A k×k conv; strided, it pads k // 2 on every side first (as PyTorch and Keras's
    ResNetV2 do) where 'same' would pad only the bottom and right."""
    if stride == 1:
        return ops.conv(x, filters, size, 1, use_bias=use_bias, name=name, groups=groups)
    x = ops.zeropad(x, size // 2, name=f"{name}_pad")
    return ops.conv(
        x, filters, size, stride, padding="valid", use_bias=use_bias, name=name, groups=groups
    )


def squeeze_excite(ops: Interpreter, x, ratio: int):
    """Squeeze-and-excitation (Hu et al. 2018, as timm's SEModule): the channels' means
    through a ``channels / ratio`` bottleneck (rounded to a multiple of 8) and a sigmoid
    gate that rescales each channel."""
    channels = ops.channels(x)
    hidden = max(8, int(channels / ratio + 4) // 8 * 8)
    g = ops.global_pool(x, "avg", name="se_pool")
    g = ops.activation(ops.dense(g, hidden, name="se_reduce"), "relu", name="se_relu")
    g = ops.activation(ops.dense(g, channels, name="se_expand"), "sigmoid", name="se_gate")
    return ops.scale(x, g, name="se_scale")


# -------------------------------------------------------------------------- blocks
def bottleneck_block(
    ops: Interpreter,
    x,
    filters: int,
    kernel_size: int = 3,
    stride: int = 1,
    shortcut_kind: str = "projection",
    expansion: int = 4,
    use_bias: bool = True,
    groups: int = 1,
    width: int | tuple[int, int] = 0,
    se_ratio: int = 0,
    preact: bool = False,
    stride_conv: str = "1x1",
):
    """1×1 → k×k → 1×1 to ``filters`` channels, and the skip (seed 000, Keras, timm).

    Post-activation (``preact=False``, ResNet v1): BN after each conv, ReLU after the sum.
    Pre-activation (ResNet v2, He et al. 2016): BN → ReLU before each conv, the sum
    returned as is; the convs that BN follows carry no bias there (as Keras's ResNetV2).
    ``width`` is the inner channels (0: ``filters // expansion``; a pair gives the 1×1
    and the k×k their own, as seed 000's ``[F1, F2, F3]``); ``groups`` groups the k×k
    conv (ResNeXt); ``se_ratio`` > 0 adds squeeze-and-excitation before the sum;
    ``stride_conv`` is the conv that strides ("1x1": Keras's v1, "3x3": torchvision's).
    """
    w1, w2 = bottleneck_widths(filters, expansion, width)
    s1, s2 = (stride, 1) if stride_conv == "1x1" else (1, stride)
    inner_bias = use_bias and not preact
    if preact:
        pre, skip = _preactivate(ops, x, filters, stride, shortcut_kind, use_bias)
        y = ops.conv(pre, w1, 1, s1, padding="valid", use_bias=False, name="conv1")
    else:
        skip = shortcut(ops, x, filters, stride, shortcut_kind, use_bias, with_bn=True)
        y = ops.conv(x, w1, 1, s1, padding="valid", use_bias=use_bias, name="conv1")
    y = _bn_relu(ops, y, "1")
    y = _conv_kxk(ops, y, w2, kernel_size, s2, inner_bias, "conv2", groups)
    y = _bn_relu(ops, y, "2")
    y = ops.conv(y, filters, 1, 1, padding="valid", use_bias=use_bias, name="conv3")
    if not preact:
        y = ops.batchnorm(y, name="bn3")
    if se_ratio:
        y = squeeze_excite(ops, y, se_ratio)
    y = _merge(ops, y, skip)
    return y if preact else ops.activation(y, "relu", name="out_relu")


def bottleneck_widths(filters: int, expansion: int, width: int | tuple[int, int] = 0):
    """A bottleneck's inner channels ``(1×1, k×k)``: ``width`` (a pair gives each its own),
    else ``filters // expansion``."""
    return width if isinstance(width, tuple) else (width or filters // expansion,) * 2


def basic_block(
    ops: Interpreter,
    x,
    filters: int,
    kernel_size: int = 3,
    stride: int = 1,
    shortcut_kind: str = "projection",
    use_bias: bool = True,
    preact: bool = False,
):
    """k×k (stride) → k×k and the skip (seed 001; He et al.'s ResNet-18/34 and CIFAR).

    Post-activation: BN after each conv, ReLU after the sum. Pre-activation (He et al.
    2016, Wide ResNets): BN → ReLU before each conv, the sum returned as is.
    """
    if preact:
        pre, skip = _preactivate(ops, x, filters, stride, shortcut_kind, use_bias)
        y = _bn_relu(ops, _conv_kxk(ops, pre, filters, kernel_size, stride, use_bias, "conv1"), "1")
        y = ops.conv(y, filters, kernel_size, 1, use_bias=use_bias, name="conv2")
        return _merge(ops, y, skip)
    skip = shortcut(ops, x, filters, stride, shortcut_kind, use_bias, with_bn=True)
    y = ops.conv(x, filters, kernel_size, stride, use_bias=use_bias, name="conv1")
    y = _bn_relu(ops, y, "1")
    y = ops.conv(y, filters, kernel_size, 1, use_bias=use_bias, name="conv2")
    y = ops.batchnorm(y, name="bn2")
    return ops.activation(_merge(ops, y, skip), "relu", name="out_relu")


def relu_bn_block(
    ops: Interpreter,
    x,
    filters: int,
    kernel_size: int = 3,
    stride: int = 1,
    shortcut_kind: str = "conv",
    use_bias: bool = True,
):
    """Post-activation block of seed 002: conv → ReLU → BN → conv, add, ReLU → BN."""
    skip = shortcut(ops, x, filters, stride, shortcut_kind, use_bias, with_bn=True)
    y = ops.conv(x, filters, kernel_size, stride, use_bias=use_bias, name="conv1")
    y = ops.batchnorm(ops.activation(y, "relu", name="relu1"), name="bn1")
    y = ops.conv(y, filters, kernel_size, 1, use_bias=use_bias, name="conv2")
    y = _merge(ops, y, skip)
    return ops.batchnorm(ops.activation(y, "relu", name="out_relu"), name="out_bn")


def bias_bottleneck_block(
    ops: Interpreter,
    x,
    filters: int,
    kernel_size: int = 3,
    stride: int = 1,
    shortcut_kind: str = "conv",
    expansion: int = 4,
):
    """Seed 003's block without BatchNorm: biased convs with ReLU, a bias after the sum.

    The projection conv has no bias of its own; the bias added after the sum plays its part.
    (Always biased, so the spec's ``conv_bias`` does not apply.)
    """
    width = filters // expansion
    skip = shortcut(ops, x, filters, stride, shortcut_kind, use_bias=False, with_bn=False)
    y = ops.conv(x, width, 1, stride, use_bias=True, name="conv1")
    y = ops.activation(y, "relu", name="relu1")
    y = ops.conv(y, width, kernel_size, 1, use_bias=True, name="conv2")
    y = ops.activation(y, "relu", name="relu2")
    y = ops.conv(y, filters, 1, 1, use_bias=True, name="conv3")
    y = ops.activation(y, "relu", name="relu3")
    if skip is not None:
        y = ops.bias(ops.add(y, skip), name="add_bias")
    return ops.activation(y, "relu", name="out_relu")


def preact_block(
    ops: Interpreter,
    x,
    filters: int,
    kernel_size: int = 3,
    stride: int = 1,
    shortcut_kind: str = "projection",
    use_bias: bool = True,
):
    """Pre-activation block of seed 004: BN → ELU → conv → BN → ELU → conv, plus the input."""
    skip = shortcut(ops, x, filters, stride, shortcut_kind, use_bias, with_bn=False)
    y = ops.activation(ops.batchnorm(x, name="bn1"), "elu", name="elu1")
    y = ops.conv(y, filters, kernel_size, stride, use_bias=use_bias, name="conv1")
    y = ops.activation(ops.batchnorm(y, name="bn2"), "elu", name="elu2")
    y = ops.conv(y, filters, kernel_size, 1, use_bias=use_bias, name="conv2")
    return _merge(ops, y, skip)


def reduced_bottleneck_block(
    ops: Interpreter,
    x,
    filters: int,
    kernel_size: int = 3,
    stride: int = 1,
    shortcut_kind: str = "projection",
    expansion: int = 4,
    use_bias: bool = True,
):
    """Seed 004's ``residual_block(x, f, r)``: 1×1 to f//r → k×k to f//r → 1×1 to f, add.

    Each conv is followed by BN (and ReLU but the last); the sum is returned as is. (The
    document never defines its ``conv2d`` helper: this reads it as the usual Keras one,
    conv → BN → ReLU.)
    """
    width = max(1, filters // expansion)
    skip = shortcut(ops, x, filters, stride, shortcut_kind, use_bias, with_bn=True)
    y = ops.conv(x, width, 1, stride, use_bias=use_bias, name="conv1")
    y = ops.activation(ops.batchnorm(y, name="bn1"), "relu", name="relu1")
    y = ops.conv(y, width, kernel_size, 1, use_bias=use_bias, name="conv2")
    y = ops.activation(ops.batchnorm(y, name="bn2"), "relu", name="relu2")
    y = ops.conv(y, filters, 1, 1, use_bias=use_bias, name="conv3")
    y = ops.batchnorm(y, name="bn3")
    return _merge(ops, y, skip)


def inception_block(ops: Interpreter, x, filters: tuple[int, ...], use_bias: bool = True):
    """GoogLeNet's four paths, concatenated on channels (seed 000).

    ``filters = (c1, c2_reduce, c2, c3_reduce, c3, c4)``: 1×1; 1×1 → 3×3; 1×1 → 5×5;
    3×3 max-pool → 1×1. Every conv is followed by ReLU.
    """
    c1, c2r, c2, c3r, c3, c4 = filters

    def conv_relu(t, f, k, name):
        return ops.activation(
            ops.conv(t, f, k, use_bias=use_bias, name=name), "relu", name=f"{name}_relu"
        )

    p1 = conv_relu(x, c1, 1, "p1_conv")
    p2 = conv_relu(conv_relu(x, c2r, 1, "p2_reduce"), c2, 3, "p2_conv")
    p3 = conv_relu(conv_relu(x, c3r, 1, "p3_reduce"), c3, 5, "p3_conv")
    p4 = conv_relu(ops.pool(x, "max", 3, 1, padding="same", name="p4_pool"), c4, 1, "p4_conv")
    return ops.concat([p1, p2, p3, p4])


def vgg_conv(ops: Interpreter, x, filters: int, kernel_size: int = 3, use_bias: bool = True):
    """One VGG layer: a k×k 'same' conv and ReLU."""
    return ops.activation(ops.conv(x, filters, kernel_size, use_bias=use_bias, name="conv"), "relu")


# ---------------------------------------------------------------------- registry
_RESIDUAL = ("filters", "stride", "kernel_size", "shortcut", "stride_block")
_WITH_EXPANSION = (*_RESIDUAL, "expansion")
# GoogLeNet's block 3a: (c1, c2_reduce, c2, c3_reduce, c3, c4), 256 channels out.
INCEPTION_3A = (64, 96, 128, 16, 32, 32)

LibraryCall = Callable[[Any, int], "str | None"]
"""``(filters, stride) -> source``: the one-line call of :mod:`resnet_core.build` that
makes one block on a Keras tensor ``x``, or ``None`` where that stride has none."""


@dataclass(frozen=True)
class BlockKind:
    """What a stage editor and the network walk need to know about one kind of block."""

    name: str
    title: str
    source: str
    function: Callable[..., Any]
    summary: str = ""
    """One plain line for a newcomer: what the block is and where it comes from."""
    fields: tuple[str, ...] = _RESIDUAL
    """The Stage settings this kind reads besides ``kind`` and ``num_blocks`` (which all
    kinds read); the spec refuses a non-default value in any other."""
    residual: bool = True
    uses_conv_bias: bool = True  # False: the block fixes its own biases (seed 003)
    inception: bool = False
    vgg: bool = False
    preact: bool = False  # normalises before each conv whatever the stage says (seed 004)
    library_call: LibraryCall | None = None
    """How :mod:`resnet_core.build` makes one such block on a Keras tensor ``x`` (the
    Block gallery shows it); ``None``: the library has no function of its own for it."""

    @property
    def uses_expansion(self) -> bool:
        """Whether its stages read ``expansion`` (filters a multiple of it): said once, in
        :attr:`fields`."""
        return "expansion" in self.fields

    def example_filters(self, width: int):
        """The stage's ``filters`` for a block of ``width`` output channels (inception:
        GoogLeNet 3a's six path widths, scaled to sum to about ``width``)."""
        if self.inception:
            return tuple(max(1, round(v * width / 256)) for v in INCEPTION_3A)
        return width

    @property
    def default_shortcut(self) -> str:
        """The shortcut the block's own function defaults to (its source document's)."""
        p = inspect.signature(self.function).parameters.get("shortcut_kind")
        return p.default if p is not None else "projection"

    def call_source(self, filters, stride: int) -> str | None:
        """:attr:`library_call`'s source for ``filters`` and ``stride`` (``None``: none)."""
        return None if self.library_call is None else self.library_call(filters, stride)

    def check_filters(self, problems: list, path: str, stage) -> None:
        f = stage.filters
        if self.inception:
            if (
                not isinstance(f, tuple)
                or len(f) != 6
                or not all(
                    isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_CHANNELS
                    for v in f
                )
            ):
                problems.append(
                    (
                        f"{path}.filters",
                        "inception blocks take six positive "
                        "integers (c1, c2_reduce, c2, c3_reduce, c3, c4), got "
                        f"{show_value(f)}",
                    )
                )
            return
        if not isinstance(f, int) or isinstance(f, bool):
            problems.append((f"{path}.filters", f"must be a positive integer, got {show_value(f)}"))
        elif f <= 0:
            problems.append((f"{path}.filters", f"must be at least 1, got {f}"))
        elif f > MAX_CHANNELS:
            problems.append(
                (f"{path}.filters", f"must be at most {MAX_CHANNELS}, got {show_value(f)}")
            )
        elif (
            self.uses_expansion
            and isinstance(stage.expansion, int)
            and stage.expansion > 0
            and f % stage.expansion
        ):
            problems.append(
                (
                    f"{path}.filters",
                    f"must be a multiple of expansion "
                    f"{stage.expansion} for {self.name} blocks, got {f}",
                )
            )

    def block_strides(self, stage) -> list[int]:
        """Each block's stride: one block carries the stage's, the first or (Keras's
        ResNetV2) the last; inception and VGG stages stride with a max-pool instead."""
        strides = [1] * stage.num_blocks
        if not (self.inception or self.vgg) and strides:
            strides[0 if stage.stride_block == "first" else -1] = stage.stride
        return strides

    def conv_width(self, stage) -> int | None:
        """The channels of the block's k×k conv (the one ``groups`` splits); ``None`` for
        inception blocks, whose paths each have their own."""
        if self.inception:
            return None
        if "width" in self.fields:
            return bottleneck_widths(stage.filters, stage.expansion, stage.width)[1]
        if self.uses_expansion:
            return max(1, stage.filters // stage.expansion)
        return stage.filters

    def preactivated(self, stage) -> bool:
        """Whether the block normalises and activates before each conv (ResNet v2)."""
        return self.preact or ("preact" in self.fields and stage.preact)

    def build_stage(self, ops: Interpreter, x, stage, index: int, use_bias: bool):
        """Lay out one stage: ``stage.num_blocks`` blocks, one of them carrying the stride."""
        name, at = f"stage{index}", index - 1  # at: its place in spec.stages
        # The kind's own settings, under its function's argument names (the stride is
        # the layout's, below).
        kwargs = {
            _ARGUMENT.get(f, f): getattr(stage, f)
            for f in self.fields
            if f not in ("stride", "stride_block")
        }
        if self.uses_conv_bias:
            kwargs["use_bias"] = use_bias
        if self.inception or self.vgg:
            # No strided block here: the stride is a max-pool, before (inception, as in
            # GoogLeNet) or after (VGG) the stage's blocks.
            if self.inception and stage.stride > 1:
                with ops.scope(name, index=at):
                    x = ops.pool(x, "max", 3, stage.stride, padding="same", name="pool")
            for b in range(stage.num_blocks):
                with ops.scope(name, f"block{b + 1}", at):
                    x = ops.block(self.function, x, **kwargs)
            if self.vgg and stage.stride > 1:
                with ops.scope(name, index=at):
                    x = ops.pool(x, "max", stage.stride, stage.stride, name="pool")
            return x
        for b, stride in enumerate(self.block_strides(stage)):
            with ops.scope(name, f"block{b + 1}", at):
                x = ops.block(self.function, x, stride=stride, **kwargs)
        return x


# Stage fields whose block-function argument has another name.
_ARGUMENT = {"shortcut": "shortcut_kind"}


BLOCK_KINDS: dict[str, BlockKind] = {
    k.name: k
    for k in (
        BlockKind(
            "bottleneck",
            "Bottleneck 1×1 → k×k → 1×1 (BN, ReLU)",
            "seed 000; Keras ResNet50/101/152",
            bottleneck_block,
            summary="1×1 conv to a narrow width, k×k, 1×1 back, plus the input: "
            "ResNet-50's block; its settings make ResNeXt, Wide ResNet, SE-ResNet and "
            "ResNet v2 of it.",
            fields=(*_WITH_EXPANSION, "groups", "width", "se_ratio", "preact", "stride_conv"),
            library_call=lambda f, s: f"build.bottleneck_block(x, {f}, stride={s})",
        ),
        BlockKind(
            "basic",
            "Basic k×k → k×k (BN, ReLU)",
            "seed 001; He et al. ResNet-18/34 and CIFAR",
            basic_block,
            summary="Two 3×3 convs with BatchNorm and ReLU, plus the input: the block of "
            "ResNet-18/34 and the CIFAR ResNets (He et al. 2015); pre-activated, of "
            "Wide ResNets.",
            fields=(*_RESIDUAL, "preact"),
            # build.basic_block's own default is seed 001's conv shortcut (no BN).
            library_call=lambda f, s: (
                f"build.basic_block(x, {f}, stride={s}, shortcut='projection')"
            ),
        ),
        BlockKind(
            "relu_bn",
            "Post-activation conv → ReLU → BN",
            "seed 002 (CIFAR-10 ResNet and its plain twin)",
            relu_bn_block,
            summary="Two convs, each followed by ReLU then BatchNorm, plus the input: the "
            "block of the 'Building a ResNet in Keras' CIFAR-10 tutorial.",
            # The document's block halves the size or keeps it, nothing else.
            library_call=lambda f, s: (
                f"build.relu_bn_block(x, {f}, downsample={s == 2})" if s <= 2 else None
            ),
        ),
        BlockKind(
            "bias_bottleneck",
            "Bottleneck with biases, no BatchNorm",
            "seed 003 (MNIST ResNet)",
            bias_bottleneck_block,
            summary="A bottleneck without BatchNorm: biased convs with ReLU and a bias "
            "after the sum, from a low-level TensorFlow MNIST tutorial.",
            fields=_WITH_EXPANSION,
            uses_conv_bias=False,
            library_call=lambda f, s: f"build.bias_bottleneck_block(x, {f}, stride={s})",
        ),
        BlockKind(
            "preact",
            "Pre-activation BN → ELU → conv",
            "seed 004",
            preact_block,
            summary="Normalises and activates before each conv (BN → ELU → conv, twice), "
            "then adds the input untouched: the pre-activation ResNet (He et al. 2016).",
            preact=True,
            library_call=lambda f, s: f"build.preact_block(x, {f}, stride={s})",
        ),
        BlockKind(
            "reduced_bottleneck",
            "Bottleneck to f // r and back to f",
            "seed 004 residual_block(x, f, r)",
            reduced_bottleneck_block,
            summary="1×1 down to filters ÷ expansion, a k×k conv, 1×1 back up, plus the "
            "input, with no activation after the sum (a TensorFlow tutorial's block).",
            fields=_WITH_EXPANSION,
            # The document's residual_block(x, f, r) never strides.
            library_call=lambda f, s: (
                f"build.reduced_bottleneck_block(x, f={f}, r=4)" if s == 1 else None
            ),
        ),
        BlockKind(
            "inception",
            "Inception: four paths, concatenated",
            "seed 000 (GoogLeNet)",
            inception_block,
            summary="Not residual: four paths side by side (1×1, 3×3, 5×5, pooling) whose "
            "outputs are stacked: GoogLeNet's block (Szegedy et al. 2014).",
            fields=("filters", "stride"),
            residual=False,
            inception=True,
            library_call=lambda f, s: (
                "build.inception_block(x, {}, ({}, {}), ({}, {}), {})".format(*f)
                if s == 1
                else None
            ),
        ),
        BlockKind(
            "vgg",
            "Plain conv + ReLU (VGG)",
            "seed 004 (VGG-16)",
            vgg_conv,
            summary="Not residual: one conv and ReLU, with a max-pool after the stage when "
            "its stride is above 1: the layers of VGG-16 (Simonyan & Zisserman 2014).",
            fields=("filters", "stride", "kernel_size"),
            residual=False,
            vgg=True,
            library_call=lambda f, s: (
                f"build.vgg_stack(x, 1, {f}, pool={s > 1})" if s in (1, 2) else None
            ),
        ),
    )
}


def kinds_reading(field: str) -> list[str]:
    """The block kinds whose stages read the Stage setting ``field`` (Compose says so in
    the column's help)."""
    return [k.name for k in BLOCK_KINDS.values() if field in k.fields]
