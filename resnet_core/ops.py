"""The operation vocabulary every block is written against, and its interpreter base.

A block is a plain function ``block(ops, x, ...) -> x`` that calls ``ops.conv``,
``ops.batchnorm``, ``ops.add`` and so on. Interpreters subclass :class:`Interpreter` and
implement :meth:`Interpreter.apply`: :mod:`resnet_core.build` turns each call into a
Keras layer, :mod:`resnet_core.trace` into shapes, parameters and MACs, both by reading
the op's entry in :mod:`resnet_core.op_table`. Naming and scoping live here once, so
both give every layer the same deterministic name, such as ``stage3_block2_conv1``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .op_table import (
    ACTIVATION,
    ADD,
    BATCHNORM,
    BIAS,
    CONCAT,
    CONV,
    DENSE,
    DROPOUT,
    FLATTEN,
    GLOBAL_POOLS,
    PAD_SHORTCUT,
    POOLS,
    SCALE,
    ZEROPAD,
    OpKind,
)
from .op_table import (
    Key as K,
)


@dataclass(frozen=True)
class LayerSettings:
    """What every BatchNorm, conv and dense layer of a network shares, as its source has
    it. The defaults are Keras's layers' own (BatchNorm momentum 0.99, epsilon 1e-3, with
    scale; Glorot-uniform kernels, zero biases, no L2)."""

    bn_momentum: float = 0.99
    bn_epsilon: float = 1e-3
    bn_scale: bool = True
    kernel_init: str = "glorot_uniform"
    init_stddev: float = 0.05  # of "truncated_normal"
    bias_init: float = 0.0
    l2: float = 0.0


# TensorFlow's pattern for a root name scope, which a model's name becomes when it
# trains (``tf.name_scope(model.name)``): ASCII only, not starting with "_" or "-".
SCOPE_NAME = re.compile(r"[A-Za-z0-9.][A-Za-z0-9_.\-]*")
MAX_MODEL_NAME = 64


def model_name(name: str) -> str:
    """The Keras model name of a spec named ``name`` (the builder's and the export's), the
    same every time: its letters without their accents ("Réseau 20" → "Reseau_20"), every
    other run of characters one "_", starting with a letter or digit; "model" when
    nothing is left (an emoji). The spec keeps its name as written for what people read."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]+", "_", folded)
    cleaned = re.sub(r"^[^A-Za-z0-9]+", "", cleaned)[:MAX_MODEL_NAME].rstrip("_.-")
    return cleaned or "model"


@dataclass(frozen=True)
class Op:
    """One call of the vocabulary: what a layer is, where it sits and what it does."""

    kind: str  # a key of op_table.OPS
    name: str
    config: dict[str, Any] = field(default_factory=dict)
    stage: str = ""
    block_name: str = ""  # "block2" inside a stage's second block; "" outside blocks
    role: str = "main"  # "main" or "shortcut" (the skip path of a residual block)
    stage_index: int | None = None  # its stage's place in spec.stages; None: stem, head


def _kernel_config(settings: LayerSettings) -> dict[str, Any]:
    """The conv and dense ops' initialiser and regulariser entries."""
    return {
        K.KERNEL_INIT: settings.kernel_init,
        K.INIT_STDDEV: settings.init_stddev,
        K.BIAS_INIT: settings.bias_init,
        K.L2: settings.l2,
    }


class Interpreter:
    """Base of the interpreters: scoping, naming and the vocabulary's methods."""

    def __init__(self, settings: LayerSettings | None = None) -> None:
        self._stage = ""
        self._stage_index: int | None = None
        self._block_name = ""
        self._role = "main"
        self._prefix = ""
        self.use_settings(settings or LayerSettings())

    # -- to implement ----------------------------------------------------------
    def apply(self, op: Op, inputs: Sequence[Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def shape(self, x: Any) -> tuple[int, ...]:  # pragma: no cover - abstract
        """Shape of ``x`` without the batch axis."""
        raise NotImplementedError

    def use_settings(self, settings: LayerSettings) -> None:
        """Give every later BatchNorm, conv and dense layer these settings."""
        self.settings = settings
        self._kernel = _kernel_config(settings)  # made once: the tracer runs per keystroke

    # -- scoping -----------------------------------------------------------------
    @contextmanager
    def scope(self, stage: str, block_name: str = "", index: int | None = None) -> Iterator[None]:
        """Name the ops made inside ``stage_block_...``; ``index``: the stage's place in
        ``spec.stages`` (None for the stem, the head and blocks used on their own)."""
        saved = self._stage, self._block_name, self._prefix, self._stage_index
        self._stage, self._block_name, self._stage_index = stage, block_name, index
        self._prefix = "_".join(p for p in (stage, block_name) if p)
        try:
            yield
        finally:
            self._stage, self._block_name, self._prefix, self._stage_index = saved

    @contextmanager
    def shortcut(self) -> Iterator[None]:
        saved, self._role = self._role, "shortcut"
        try:
            yield
        finally:
            self._role = saved

    def block(self, function, x, **kwargs):
        """Apply one block of a stage (called inside its scope): ``function(self, x,
        **kwargs)``. An interpreter may watch a block's input and output here, or leave
        a block out (a lesion study: its output is its input)."""
        return function(self, x, **kwargs)

    @property
    def block_prefix(self) -> str:
        """The current block's name, such as ``stage2_block3`` (inside :meth:`block`)."""
        return self._prefix

    def channels(self, x: Any) -> int:
        return int(self.shape(x)[-1])

    def _op(self, kind: OpKind, inputs: Sequence[Any], name: str, config: dict[str, Any]):
        full = f"{self._prefix}_{name}" if self._prefix else name
        op = Op(
            kind.name, full, config, self._stage, self._block_name, self._role, self._stage_index
        )
        return self.apply(op, inputs)

    # -- the vocabulary: what each op means is its entry in op_table.OPS ----------------
    def conv(
        self,
        x,
        filters: int,
        size: int,
        stride: int = 1,
        padding: str = "same",
        use_bias: bool = True,
        name: str = "conv",
        groups: int = 1,
    ):
        return self._op(
            CONV,
            [x],
            name,
            {
                K.FILTERS: filters,
                K.SIZE: size,
                K.STRIDE: stride,
                K.PADDING: padding,
                K.USE_BIAS: use_bias,
                K.GROUPS: groups,
                **self._kernel,
            },
        )

    def batchnorm(self, x, name: str = "bn"):
        s = self.settings
        return self._op(
            BATCHNORM,
            [x],
            name,
            {K.MOMENTUM: s.bn_momentum, K.EPSILON: s.bn_epsilon, K.SCALE: s.bn_scale},
        )

    def activation(self, x, fn: str, name: str | None = None):
        return self._op(ACTIVATION, [x], name or fn, {K.FN: fn})

    def pool(
        self, x, mode: str, size: int, stride: int, padding: str = "valid", name: str = "pool"
    ):
        """``mode``: "max" or "avg"."""
        return self._op(
            POOLS[mode], [x], name, {K.SIZE: size, K.STRIDE: stride, K.PADDING: padding}
        )

    def zeropad(self, x, amount: int, name: str = "pad"):
        return self._op(ZEROPAD, [x], name, {K.AMOUNT: amount})

    def add(self, main, skip, name: str = "add"):
        """``main + skip``; the second input is the skip connection."""
        return self._op(ADD, [main, skip], name, {})

    def concat(self, xs: Sequence[Any], name: str = "concat"):
        return self._op(CONCAT, list(xs), name, {})

    def bias(self, x, name: str = "bias"):
        """A learnable per-channel bias, as added after the sum in seed 003."""
        return self._op(BIAS, [x], name, {})

    def pad_shortcut(self, x, channels: int, stride: int, name: str = "shortcut_pad"):
        """He et al.'s option A: subsample by ``stride``, zero-pad the extra channels."""
        return self._op(PAD_SHORTCUT, [x], name, {K.CHANNELS: channels, K.STRIDE: stride})

    def global_pool(self, x, mode: str, name: str = "gap"):
        """``mode``: "max" or "avg"."""
        return self._op(GLOBAL_POOLS[mode], [x], name, {})

    def flatten(self, x, name: str = "flatten"):
        return self._op(FLATTEN, [x], name, {})

    def dense(self, x, units: int, use_bias: bool = True, name: str = "dense"):
        return self._op(DENSE, [x], name, {K.UNITS: units, K.USE_BIAS: use_bias, **self._kernel})

    def scale(self, x, gate, name: str = "scale"):
        """``x`` times a per-channel gate (squeeze-and-excitation)."""
        return self._op(SCALE, [x, gate], name, {})

    def dropout(self, x, rate: float, name: str = "dropout"):
        return self._op(DROPOUT, [x], name, {K.RATE: rate})
