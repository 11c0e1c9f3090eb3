"""Format 1 of the spec file, read by putting it in format 2's words.

Format 1 named a stage's ``kind`` and ``num_blocks`` ``block`` and ``blocks``, and gave
every stem layer one ``size`` (kernel, window or padding by its kind) where format 2
has ``kernel_size``, ``pool_size`` and ``pad``. :mod:`spec_format` reads the upgraded
dict as any other and names its problems back in format 1's words
(:func:`in_v1_words`), so the message points at what the file says.
"""

from __future__ import annotations

from typing import Any

from .limits import MAX_STAGES, MAX_STEM_LAYERS, show_value
from .limits import is_int as _is_int
from .stem_kinds import STEM_KINDS

# Format 2's names of fields that format 1 called otherwise, by where they sit.
_V1_STAGE_NAMES = {"kind": "block", "num_blocks": "blocks"}
_V1_STEM_NAMES = {"kernel_size": "size", "pool_size": "size", "pad": "size"}
_V1_SIZE_DEFAULT = 1


def upgrade_v1(data: dict) -> tuple[dict, list[tuple[str, str]]]:
    """A format-1 spec dict (without its format keys) in format 2's words, and the
    problems that only format 1 has words for (a ``size`` on a kind that reads none).
    Whatever is not a list or object where one belongs is left for the reader to explain."""
    data, problems = dict(data), []
    stages, stem = data.get("stages"), data.get("stem")
    if isinstance(stages, list) and len(stages) <= MAX_STAGES:
        renames = {old: new for new, old in _V1_STAGE_NAMES.items()}
        for i, stage in enumerate(stages):  # format 2's name in a format-1 file: ambiguous
            for new in set(stage) & set(_V1_STAGE_NAMES) if isinstance(stage, dict) else ():
                problems.append(
                    (
                        f"stages[{i}].{new}",
                        f"is format 2's name; this file is "
                        f"format 1, where it is {_V1_STAGE_NAMES[new]!r}",
                    )
                )
        data["stages"] = [
            {renames.get(k, k): v for k, v in stage.items() if k not in _V1_STAGE_NAMES}
            if isinstance(stage, dict)
            else stage
            for stage in stages
        ]
    if isinstance(stem, list) and len(stem) <= MAX_STEM_LAYERS:
        data["stem"] = [_v1_layer(layer, f"stem[{i}]", problems) for i, layer in enumerate(stem)]
    return data, problems


def has_v1_names(data: dict) -> bool:
    """Whether a spec without ``format_version`` uses format 1's stage or stem names."""
    stages, stem = data.get("stages"), data.get("stem")
    return any(
        isinstance(s, dict) and not set(_V1_STAGE_NAMES.values()).isdisjoint(s)
        for s in (stages[:MAX_STAGES] if isinstance(stages, list) else ())
    ) or any(
        isinstance(layer, dict) and not set(_V1_STEM_NAMES.values()).isdisjoint(layer)
        for layer in (stem[:MAX_STEM_LAYERS] if isinstance(stem, list) else ())
    )


def _v1_layer(layer: Any, path: str, problems: list) -> Any:
    if not isinstance(layer, dict):
        return layer
    layer = dict(layer)
    for new in sorted(set(layer) & set(_V1_STEM_NAMES)):  # which size counts is not guessed
        problems.append(
            (f"{path}.{new}", "is format 2's name; this file is format 1, where it is 'size'")
        )
        del layer[new]
    size = layer.pop("size", _V1_SIZE_DEFAULT)
    kind = layer.get("kind")
    if not isinstance(kind, str) or kind not in STEM_KINDS:
        return layer  # the reader says what is wrong with the kind
    # The one field of format 2 that takes the size: the one of the kind's that format 1
    # called ``size``.
    size_field = next((f for f in STEM_KINDS[kind].fields if f in _V1_STEM_NAMES), None)
    if size_field is not None:
        layer[size_field] = size
    elif not (_is_int(size) and size == _V1_SIZE_DEFAULT):
        problems.append(
            (
                f"{path}.size",
                f"is not used by {kind} layers; leave it empty "
                f"(default {_V1_SIZE_DEFAULT}), got {show_value(size)}",
            )
        )
    return layer


def in_v1_words(path: str, message: str) -> tuple[str, str]:
    """A problem of an upgraded format-1 spec, in that spec's words."""
    at, _, field = path.rpartition(".")
    if at.startswith("stages[") and at.endswith("]"):
        names = _V1_STAGE_NAMES
    elif at.startswith("stem[") and at.endswith("]"):
        names = _V1_STEM_NAMES
    else:
        return path, message
    head, sep, listed = message.partition("expected one of ")
    if sep:  # an unknown field: the fields format 1 expects
        message = head + sep + ", ".join(dict.fromkeys(names.get(n, n) for n in listed.split(", ")))
    return f"{at}.{names.get(field, field)}", message
