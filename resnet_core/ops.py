"""The operation vocabulary every block is written against, and its interpreter base.

A block is a plain function ``block(ops, x, ...) -> x`` that calls ``ops.conv``,
``ops.batchnorm``, ``ops.add`` and so on. Interpreters subclass :class:`Interpreter` and
implement :meth:`Interpreter.apply`: :mod:`resnet_core.build` turns each call into a
Keras layer, :mod:`resnet_core.trace` into shapes, parameters and MACs. Naming and
scoping live here once, so both give every layer the same deterministic name, such as
``stage3_block2_conv1``.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from .spec import LayerSettings


@dataclass(frozen=True)
class Op:
    """One call of the vocabulary: what a layer is, where it sits and what it does."""

    kind: str
    name: str
    config: dict[str, Any] = field(default_factory=dict)
    stage: str = ""
    block: str = ""
    role: str = "main"  # "main" or "shortcut" (the skip path of a residual block)


def _kernel_config(settings: LayerSettings) -> dict[str, Any]:
    """The conv and dense ops' initialiser and regulariser entries."""
    return dict(kernel_init=settings.kernel_init, init_stddev=settings.init_stddev,
                bias_init=settings.bias_init, l2=settings.l2)


class Interpreter:
    """Base of the interpreters: scoping, naming and the vocabulary's methods."""

    def __init__(self, settings: LayerSettings | None = None) -> None:
        self._stage = ""
        self._block = ""
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
    def scope(self, stage: str, block: str = "") -> Iterator[None]:
        saved = self._stage, self._block, self._prefix
        self._stage, self._block = stage, block
        self._prefix = "_".join(p for p in (stage, block) if p)
        try:
            yield
        finally:
            self._stage, self._block, self._prefix = saved

    @contextmanager
    def shortcut(self) -> Iterator[None]:
        saved, self._role = self._role, "shortcut"
        try:
            yield
        finally:
            self._role = saved

    def channels(self, x: Any) -> int:
        return int(self.shape(x)[-1])

    def _op(self, kind: str, inputs: Sequence[Any], name: str, **config: Any) -> Any:
        full = f"{self._prefix}_{name}" if self._prefix else name
        op = Op(kind, full, config, self._stage, self._block, self._role)
        return self.apply(op, inputs)

    # -- the vocabulary ------------------------------------------------------------
    def conv(self, x, filters: int, size: int, stride: int = 1, padding: str = "same",
             use_bias: bool = True, name: str = "conv", groups: int = 1):
        return self._op("conv", [x], name, filters=filters, size=size, stride=stride,
                        padding=padding, use_bias=use_bias, groups=groups,
                        **self._kernel)

    def batchnorm(self, x, name: str = "bn"):
        s = self.settings
        return self._op("batchnorm", [x], name, momentum=s.bn_momentum, epsilon=s.bn_epsilon,
                        scale=s.bn_scale)

    def activation(self, x, fn: str, name: str | None = None):
        return self._op("activation", [x], name or fn, fn=fn)

    def pool(self, x, mode: str, size: int, stride: int, padding: str = "valid",
             name: str = "pool"):
        return self._op(f"{mode}pool", [x], name, size=size, stride=stride, padding=padding)

    def zeropad(self, x, amount: int, name: str = "pad"):
        return self._op("zeropad", [x], name, amount=amount)

    def add(self, main, skip, name: str = "add"):
        """``main + skip``; the second input is the skip connection."""
        return self._op("add", [main, skip], name)

    def concat(self, xs: Sequence[Any], name: str = "concat"):
        return self._op("concat", list(xs), name)

    def bias(self, x, name: str = "bias"):
        """A learnable per-channel bias, as added after the sum in seed 003."""
        return self._op("bias", [x], name)

    def pad_shortcut(self, x, channels: int, stride: int, name: str = "shortcut_pad"):
        """He et al.'s option A: subsample by ``stride``, zero-pad the extra channels."""
        return self._op("pad_shortcut", [x], name, channels=channels, stride=stride)

    def global_pool(self, x, mode: str, name: str = "gap"):
        return self._op(f"global_{mode}pool", [x], name)

    def flatten(self, x, name: str = "flatten"):
        return self._op("flatten", [x], name)

    def dense(self, x, units: int, use_bias: bool = True, name: str = "dense"):
        return self._op("dense", [x], name, units=units, use_bias=use_bias,
                        **self._kernel)

    def scale(self, x, gate, name: str = "scale"):
        """``x`` times a per-channel gate (squeeze-and-excitation)."""
        return self._op("scale", [x, gate], name)

    def dropout(self, x, rate: float, name: str = "dropout"):
        return self._op("dropout", [x], name, rate=rate)
