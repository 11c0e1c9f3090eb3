"""Where this project reaches past Keras's public API or sets process-wide state.

Each is one small function here, so a Keras upgrade that moves a private attribute fails
one test (``tests/test_keras_internals.py``) instead of renaming layers in silence, and
process-wide settings are set for a ``with`` block and put back after it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import keras

from .limits import MAX_LAYERS


def operations_behind(x) -> int:
    """How many operations (layers) the symbolic tensor ``x`` was computed by, its
    ``keras.Input`` included; 0 for an eager tensor, which keeps no history.

    Keras 3 has no public way to walk back from a tensor: this reads the tensor's
    ``_keras_history`` (operation, node index) and each operation's ``_inbound_nodes``.
    A symbolic tensor without them means Keras has changed: refused loudly."""
    if not isinstance(x, keras.KerasTensor):
        return 0
    seen: set[int] = set()
    stack = [x]
    while stack:
        tensor = stack.pop()
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            raise RuntimeError(
                "this Keras keeps no _keras_history on symbolic tensors; "
                "resnet_core.keras_internals.operations_behind needs updating"
            )
        if id(history.operation) in seen:
            continue
        seen.add(id(history.operation))
        node = history.operation._inbound_nodes[history.node_index]
        stack.extend(node.input_tensors)
    return len(seen)


# Keras maps a functional graph (building, loading) by recursing once per layer on the
# longest path, so ResNet-1202 (4,209 layers) fails with RecursionError at Python's
# default limit of 1,000. Pure-Python recursion uses no C stack (3.11+), so a higher limit
# is safe while Keras needs it.
DEEP_GRAPH_RECURSION = 3 * MAX_LAYERS + 2000
_deep = {"open": 0, "before": 0}
_deep_lock = threading.Lock()


@contextmanager
def deep_graphs() -> Iterator[None]:
    """Python's recursion limit raised for the largest network we accept, for the block;
    the limit before is back once the last such block (of any thread) has ended."""
    with _deep_lock:
        if _deep["open"] == 0:
            _deep["before"] = sys.getrecursionlimit()
            if _deep["before"] < DEEP_GRAPH_RECURSION:
                sys.setrecursionlimit(DEEP_GRAPH_RECURSION)
        _deep["open"] += 1
    try:
        yield
    finally:
        with _deep_lock:
            _deep["open"] -= 1
            if _deep["open"] == 0:
                sys.setrecursionlimit(_deep["before"])


@contextmanager
def precision_policy(name: str | None) -> Iterator[None]:
    """Keras's global dtype policy (``"mixed_float16"``) for the block, the one before
    put back after it; ``None`` changes nothing."""
    if name is None:
        yield
        return
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)
