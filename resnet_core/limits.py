"""Limits and how values read: the leaf every other module may import.

The upper bounds that keep a hostile or mistyped spec (from a URL, say) from hanging the
app, and the few functions that show a value in a message or a table (a shape as
``32×32×3``, a count as ``3.86 G``, any value shortened). It imports nothing of ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_SIDE = 4096
MAX_CHANNELS = 65536
MAX_STAGES = 64
MAX_BLOCKS_PER_STAGE = 512
MAX_TOTAL_BLOCKS = 2048
MAX_STEM_LAYERS = 32
MAX_HIDDEN = 8
MAX_KERNEL = 31
MAX_STRIDE = 8
MAX_PAD = 64  # a zeropad's pixels on each side
MAX_CLASSES = 100_000  # a head's classes
# Layers (the tracer counts them): ResNet-1202 (4,209) and ResNet-1001 fit; Keras walks
# its graph recursively (see keras_internals.deep_graphs), and the pages draw every layer.
MAX_LAYERS = 5000
MAX_NAME_CHARS = 100
MAX_DESCRIPTION_CHARS = 2000
MAX_LISTED = 20  # unknown fields named one by one in a message; the rest are counted
MAX_SPEC_MB = 1  # a spec file or text, however it comes (Code page, command line)
MAX_SPEC_BYTES = MAX_SPEC_MB * 1024 * 1024


def is_int(v: Any) -> bool:
    """An integer that is not a bool (``True`` is an ``int`` to Python)."""
    return isinstance(v, int) and not isinstance(v, bool)


def show_value(value: Any, depth: int = 0) -> str:
    """``value`` for a message, short: a hostile value (a 5,000-digit integer, whose
    ``repr`` fails; a long string; a deep list) must neither fail nor flood the page."""
    if is_int(value) and value.bit_length() > 64:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1:,} digits"
    if isinstance(value, str):
        return repr(value[:40]) + "…" if len(value) > 40 else repr(value)
    if isinstance(value, (list, tuple)):
        if len(value) > 8 or depth > 1:
            return f"a list of {len(value):,} items"
        return "[" + ", ".join(show_value(v, depth + 1) for v in value) + "]"
    if isinstance(value, dict):
        return f"an object of {len(value):,} fields"
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def fmt_shape(shape: Sequence[int]) -> str:
    """A shape as people write it: ``(32, 32, 3)`` is ``32×32×3``."""
    return "×".join(str(v) for v in shape)


def human(n: float, unit: str = "") -> str:
    """``3.86 G``-style figure for MACs and bytes."""
    for factor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= factor:
            return f"{n / factor:.2f} {suffix}{unit}"
    return f"{n:g} {unit}".strip()
