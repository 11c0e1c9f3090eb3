"""Spec ⇄ editor tables: the stem and stage tables of the Compose page, and their parsing.

Editor cells come back as floats, NaNs and strings; :func:`spec_from_form` turns them
into a spec dict and lets :class:`SpecError` say what is wrong, field by field.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

import pandas as pd

from resnet_core import PRESETS, ArchitectureSpec, SpecError, Stage, StemLayer
from resnet_core.blocks import BLOCK_KINDS
from resnet_core.spec import STEM_FIELDS

# The columns are the spec's own fields, so a field added to Stage or StemLayer shows up here.
STEM_COLUMNS = [f.name for f in fields(StemLayer)]
STAGE_COLUMNS = [f.name for f in fields(Stage)]

# The form's words for the spec's fields, so a message names what the person sees.
LABELS = {
    "name": "Name", "description": "Description", "conv_bias": "Conv bias",
    "input_shape": "Input", "input_shape[0]": "Height", "input_shape[1]": "Width",
    "input_shape[2]": "Channels", "head": "Head", "head.classes": "Classes",
    "head.pool": "Pooling", "head.pool_size": "Pool size", "head.pool_padding": "Pool padding",
    "head.hidden": "Hidden dense layers", "head.dropout": "Dropout",
    "head.classifier": "Classifier", "head.classifier_kernel": "Classifier kernel",
    "stages": "Stages", "stem": "Stem",
    "layer_settings.bn_momentum": "BN momentum", "layer_settings.bn_epsilon": "BN epsilon",
    "layer_settings.bn_scale": "BN scale", "layer_settings.l2": "L2 on kernels",
    "layer_settings.kernel_init": "Kernel initialiser",
    "layer_settings.init_stddev": "Its σ (truncated normal)",
    "layer_settings.bias_init": "Initial biases",
}
# The tables' column headers, where they are not the field's name (messages use them too).
STEM_TITLES = {"kernel_size": "kernel", "pool_size": "pool", "use_bias": "bias"}
STAGE_TITLES = {"kind": "block", "num_blocks": "blocks", "kernel_size": "kernel"}


def stem_frame(spec: ArchitectureSpec) -> pd.DataFrame:
    """One row per stem layer; a cell the layer's kind does not read is left empty."""
    rows = [{c: getattr(layer, c) if c == "kind" or c in STEM_FIELDS.get(layer.kind, ())
             else None for c in STEM_COLUMNS} for layer in spec.stem]
    return pd.DataFrame(rows, columns=STEM_COLUMNS)


def stage_frame(spec: ArchitectureSpec) -> pd.DataFrame:
    """One row per stage; a cell the block kind does not read is left empty."""
    rows = []
    for s in spec.stages:
        used = BLOCK_KINDS[s.kind].fields
        row = {c: getattr(s, c) if c in ("kind", "num_blocks") or c in used else None
               for c in STAGE_COLUMNS}
        row["filters"] = format_filters(s.filters)
        rows.append(row)
    return pd.DataFrame(rows, columns=STAGE_COLUMNS)


def clear_unused(edited: pd.DataFrame, base: pd.DataFrame, kind: str,
                 new_row_kind: str | None = None) -> tuple[pd.DataFrame, bool]:
    """Rows whose ``kind`` column changed since the editor was drawn lose the values their
    new kind does not use: those were typed for the old kind, not refused settings of the
    new one. A row added since then counts as drawn with ``new_row_kind`` (the editor's
    default, whose defaults fill it). Returns the frame and whether any row changed kind
    (then the editor should be redrawn, to show those cells empty)."""
    out, changed = edited.copy(), False
    for i in out.index:
        new = out.at[i, kind]
        old = base.at[i, kind] if i in base.index else new_row_kind
        if old is None or new == old:
            continue
        changed = True
        keep = {kind, "num_blocks", *BLOCK_KINDS[new].fields} if new in BLOCK_KINDS \
            else {kind, *STEM_FIELDS.get(new, ())}
        for column in out.columns:
            if column not in keep:
                out[column] = out[column].astype(object)
                out.at[i, column] = None
    return out, changed


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
    # An empty cell takes the spec's default; a value in a cell the kind ignores is kept,
    # so the spec can refuse it by name rather than drop it silently.
    stem_rows = [{k: v for k, v in row.items() if v is not None} for row in _rows(stem)]
    stage_rows = []
    for row in _rows(stages):
        row["filters"] = parse_filters(row.get("filters"))
        stage_rows.append({k: v for k, v in row.items() if v is not None})
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


def describe_edit(spec: ArchitectureSpec, preset: str) -> ArchitectureSpec:
    """``spec`` edited from ``preset``, no longer called by the preset's name and
    description (its exports would claim to be the preset): ``cifar_resnet20_edited``,
    "Edited from the preset cifar_resnet20." A name or description the person chose stays."""
    if preset not in PRESETS:
        return spec
    base = PRESETS[preset].spec()
    if spec.replace(name=base.name, description=base.description) == base:
        return spec
    changes = {}
    if spec.name == base.name:
        changes["name"] = f"{base.name}_edited"
    if spec.description == base.description:
        changes["description"] = f"Edited from the preset {base.name}."
    return spec.replace(**changes) if changes else spec


def label(path: str) -> str:
    """The form's words for a spec path: ``head.classes`` → ``Classes``,
    ``stages[1].kernel_size`` → ``Stage 2, kernel``, ``head.hidden[0]`` → ``Hidden dense
    layers, number 1``."""
    for prefix, word, titles in (("stages[", "Stage", STAGE_TITLES),
                                 ("stem[", "Stem row", STEM_TITLES),
                                 ("head.hidden[", "Hidden dense layers, number", {})):
        if path.startswith(prefix):
            i, _, field = path.removeprefix(prefix).partition("]")
            field = field.lstrip(".")
            return f"{word} {int(i) + 1}" + (f", {titles.get(field, field)}" if field else "")
    return LABELS.get(path, path)


SECTIONS = (("stages", "stages"), ("stem", "stem"), ("head", "head"), ("input_shape", "input"),
            ("layer_settings", "layers"))


def group_problems(error: SpecError) -> dict[str, list[str]]:
    """Problems by the form section they belong to, each a sentence in the form's words
    ("Height must be at least 1, got 0")."""
    out: dict[str, list[str]] = {}
    for path, msg in error.problems:
        section = next((s for prefix, s in SECTIONS if path.startswith(prefix)), "general")
        out.setdefault(section, []).append(f"{label(path)} {msg}")
    return out
