"""Spec ⇄ editor tables: the stem and stage tables of the Compose page, and their parsing.

Editor cells come back as floats, NaNs and strings; :func:`spec_from_form` turns them
into a spec dict and lets :class:`SpecError` say what is wrong, field by field.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from resnet_core import ArchitectureSpec, SpecError

STEM_COLUMNS = ["kind", "filters", "size", "stride", "padding", "use_bias"]
STAGE_COLUMNS = ["block", "blocks", "filters", "stride", "kernel_size", "shortcut", "expansion",
                 "groups", "width", "se_ratio", "preact", "stride_block", "stride_conv"]


def stem_frame(spec: ArchitectureSpec) -> pd.DataFrame:
    rows = [{c: getattr(layer, c) for c in STEM_COLUMNS} for layer in spec.stem]
    return pd.DataFrame(rows, columns=STEM_COLUMNS)


def stage_frame(spec: ArchitectureSpec) -> pd.DataFrame:
    rows = []
    for s in spec.stages:
        row = {c: getattr(s, c) for c in STAGE_COLUMNS}
        row["filters"] = format_filters(s.filters)
        rows.append(row)
    return pd.DataFrame(rows, columns=STAGE_COLUMNS)


def format_filters(filters: int | tuple[int, ...]) -> str:
    return ", ".join(map(str, filters)) if isinstance(filters, tuple) else str(filters)


def parse_int_list(text: Any) -> Any:
    """``"4096, 4096"`` → ``[4096, 4096]``; anything unreadable is returned as is."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return []
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    try:
        return [int(p) for p in parts]
    except ValueError:
        return str(text)


def parse_filters(text: Any) -> Any:
    values = parse_int_list(text)
    if isinstance(values, list) and len(values) == 1:
        return values[0]
    if isinstance(values, list) and not values:
        return None
    return values


def cell(value: Any) -> Any:
    """A cell as JSON would have it: NaN → None, 3.0 → 3, numpy scalars → Python."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return int(value)
    return value


def _rows(frame: pd.DataFrame) -> list[dict]:
    return [{k: cell(v) for k, v in row.items()} for row in frame.to_dict("records")]


def spec_from_form(base: ArchitectureSpec, *, name: str, input_shape: list, classes: Any,
                   conv_bias: bool, stem: pd.DataFrame, stages: pd.DataFrame,
                   head: dict, layer_settings: dict | None = None) -> ArchitectureSpec:
    """Build a spec from the form's values; raises :class:`SpecError` with every problem."""
    stem_rows = []
    for row in _rows(stem):
        kind = row.get("kind")
        layer = {"kind": kind}
        for key in ("filters", "size", "stride", "padding", "use_bias"):
            if row.get(key) is not None:
                layer[key] = row[key]
        if kind != "conv":
            layer.pop("filters", None)
        stem_rows.append(layer)
    stage_rows = []
    for row in _rows(stages):
        row["filters"] = parse_filters(row.get("filters"))
        stage_rows.append(row)
    data = base.to_dict()
    data.update(name=name, input_shape=[cell(v) for v in input_shape], conv_bias=conv_bias,
                stem=stem_rows, stages=stage_rows)
    data["head"] = {**data["head"], **{k: cell(v) for k, v in head.items()},
                    "classes": cell(classes)}
    data["head"]["hidden"] = parse_int_list(head.get("hidden", ""))
    if layer_settings is not None:
        data["layer_settings"] = {**data["layer_settings"],
                                  **{k: cell(v) for k, v in layer_settings.items()}}
    return ArchitectureSpec.from_dict(data)


def group_problems(error: SpecError) -> dict[str, list[str]]:
    """Problems by the form section they belong to, phrased for a person."""
    out: dict[str, list[str]] = {}
    for path, msg in error.problems:
        if path.startswith("stages["):
            i, _, field = path[7:].partition("]")
            section = "stages"
            text = f"Stage {int(i) + 1}, {field.lstrip('.') or 'row'}: {msg}"
        elif path.startswith("stem["):
            i, _, field = path[5:].partition("]")
            section = "stem"
            text = f"Stem row {int(i) + 1}, {field.lstrip('.') or 'row'}: {msg}"
        elif path.startswith("head"):
            section, text = "head", f"{path}: {msg}"
        elif path.startswith("input_shape"):
            section, text = "input", f"{path}: {msg}"
        elif path.startswith("layer_settings."):
            section, text = "layers", f"{path.partition('.')[2]}: {msg}"
        else:
            section, text = "general", f"{path}: {msg}"
        out.setdefault(section, []).append(text)
    return out
