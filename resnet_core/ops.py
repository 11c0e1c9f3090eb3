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


@dataclass(frozen=True)
class Op:
    """One call of the vocabulary: what a layer is, where it sits and what it does."""

    kind: str
    name: str
    config: dict[str, Any] = field(default_factory=dict)
    stage: str = ""
    block: str = ""
    role: str = "main"  # "main" or "shortcut" (the skip path of a residual block)


class Interpreter:
    """Base of the interpreters: scoping, naming and the vocabulary's methods."""

    def __init__(self) -> None:
        self._stage = ""
        self._block = ""
        self._role = "main"

    # -- to implement ----------------------------------------------------------
    def apply(self, op: Op, inputs: Sequence[Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def shape(self, x: Any) -> tuple[int, ...]:  # pragma: no cover - abstract
        """Shape of ``x`` without the batch axis."""
        raise NotImplementedError

    # -- scoping -----------------------------------------------------------------
    @contextmanager
    def scope(self, stage: str, block: str = "") -> Iterator[None]:
        saved = self._stage, self._block
        self._stage, self._block = stage, block
        try:
            yield
        finally:
            self._stage, self._block = saved

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
        prefix = "_".join(p for p in (self._stage, self._block) if p)
        full = f"{prefix}_{name}" if prefix else name
        op = Op(kind, full, config, self._stage, self._block, self._role)
        return self.apply(op, inputs)

    # -- the vocabulary ------------------------------------------------------------
    def conv(self, x, filters: int, size: int, stride: int = 1, padding: str = "same",
             use_bias: bool = True, name: str = "conv"):
        return self._op("conv", [x], name, filters=filters, size=size, stride=stride,
                        padding=padding, use_bias=use_bias)

    def batchnorm(self, x, name: str = "bn"):
        return self._op("batchnorm", [x], name)

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
        return self._op("dense", [x], name, units=units, use_bias=use_bias)

    def dropout(self, x, rate: float, name: str = "dropout"):
        return self._op("dropout", [x], name, rate=rate)
