"""Spec ⇄ editor tables: the stem and stage tables of the Compose page, and their parsing.

Number cells are text cells: a grid's number cell would turn "3x3" into 33 and undo 0
(under its minimum) without a word. :func:`spec_from_form` reads each cell as typed,
refuses text that is not a whole number by quoting it ("'3x3' is not a whole number"),
and lets :class:`SpecError` say what else is wrong, field by field, in the form's words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import pandas as pd

from resnet_core import PRESETS, ArchitectureSpec, SpecError, Stage, StemLayer
from resnet_core.blocks import BLOCK_KINDS, kinds_reading
from resnet_core.limits import show_value
from resnet_core.stem_kinds import STEM_KINDS, stem_kinds_reading

# The columns are the spec's own fields, so a field added to Stage or StemLayer shows up here.
STEM_COLUMNS = [f.name for f in fields(StemLayer)]
STAGE_COLUMNS = [f.name for f in fields(Stage)]
# The fields that hold one whole number: text cells in the tables, read by read_whole.
WHOLE_NUMBER_TYPES = ("int", "int | None")
STEM_NUMBERS = [f.name for f in fields(StemLayer) if f.type in WHOLE_NUMBER_TYPES]
STAGE_NUMBERS = [f.name for f in fields(Stage) if f.type in WHOLE_NUMBER_TYPES]
MAX_DIGITS = 30  # more is no size a spec takes; int() of thousands of digits is slow

# The form's words for the spec's fields, so a message names what the person sees.
LABELS = {
    "name": "Name",
    "description": "Description",
    "conv_bias": "Conv bias",
    "input_shape": "Input",
    "input_shape[0]": "Height",
    "input_shape[1]": "Width",
    "input_shape[2]": "Channels",
    "head": "Head",
    "head.classes": "Classes",
    "head.pool": "Pooling",
    "head.pool_size": "Pool size",
    "head.pool_padding": "Pool padding",
    "head.hidden": "Hidden dense layers",
    "head.dropout": "Dropout",
    "head.classifier": "Classifier",
    "head.classifier_kernel": "Classifier kernel",
    "stages": "Stages",
    "stem": "Stem",
    "layer_settings.bn_momentum": "BN momentum",
    "layer_settings.bn_epsilon": "BN epsilon",
    "layer_settings.bn_scale": "BN scale",
    "layer_settings.l2": "L2 on kernels",
    "layer_settings.kernel_init": "Kernel initialiser",
    "layer_settings.init_stddev": "Its σ (truncated normal)",
    "layer_settings.bias_init": "Initial biases",
}
# The tables' column headers, where they are not the field's name (messages use them too).
STEM_TITLES = {"kernel_size": "kernel", "pool_size": "pool", "use_bias": "bias"}
STAGE_TITLES = {"kind": "block", "num_blocks": "blocks", "kernel_size": "kernel"}


def block_kinds_reading_text(field: str) -> str:
    """The block kinds that read the stage setting ``field`` (a column's help says so),
    from the registry: a new kind that reads it is named there too."""
    return ", ".join(kinds_reading(field)) or "no kind"


def stem_kinds_reading_text(field: str) -> str:
    """The stem layer kinds that read the StemLayer setting ``field``, from the registry
    (a stem column's help says so)."""
    return ", ".join(stem_kinds_reading(field)) or "no kind"


def stem_kind_help() -> str:
    """The stem table's kind column's help: each kind and its one line, from the
    registry."""
    return "  \n".join(f"**{k.name}**: {k.summary}" for k in STEM_KINDS.values())


def stem_kinds_without_settings_text() -> str:
    """The stem layer kinds that read none of the table's settings (their cells stay
    empty), as a sentence says them: "batchnorm, relu and elu"."""
    names = [k.name for k in STEM_KINDS.values() if not k.fields]
    return " and ".join(filter(None, [", ".join(names[:-1]), *names[-1:]]))


def as_text(value: Any) -> str | None:
    """A whole number as its cell shows it: ``3`` → ``"3"``; nothing stays nothing."""
    return None if value is None else str(value)


def stem_columns_read(kind: str) -> set[str]:
    """The stem table's columns a layer of ``kind`` reads (an unknown kind: ``kind``)."""
    return {"kind", *(STEM_KINDS[kind].fields if kind in STEM_KINDS else ())}


def stage_columns_read(kind: str) -> set[str]:
    """The stage table's columns a stage of ``kind`` reads (an unknown kind: ``kind``)."""
    return {"kind", "num_blocks", *(BLOCK_KINDS[kind].fields if kind in BLOCK_KINDS else ())}


def stem_frame(spec: ArchitectureSpec) -> pd.DataFrame:
    """One row per stem layer; a cell the layer's kind does not read is left empty."""
    rows = []
    for layer in spec.stem:
        used = stem_columns_read(layer.kind)
        row = {c: getattr(layer, c) if c in used else None for c in STEM_COLUMNS}
        row.update({c: as_text(row[c]) for c in STEM_NUMBERS})
        rows.append(row)
    return pd.DataFrame(rows, columns=STEM_COLUMNS, dtype=object)


def stage_frame(spec: ArchitectureSpec) -> pd.DataFrame:
    """One row per stage; a cell the block kind does not read is left empty."""
    rows = []
    for s in spec.stages:
        used = stage_columns_read(s.kind)
        row = {c: getattr(s, c) if c in used else None for c in STAGE_COLUMNS}
        row.update({c: as_text(row[c]) for c in STAGE_NUMBERS})
        row["filters"] = format_filters(s.filters)
        rows.append(row)
    return pd.DataFrame(rows, columns=STAGE_COLUMNS, dtype=object)


def clear_unused(
    edited: pd.DataFrame,
    base: pd.DataFrame,
    columns_read: Callable[[str], set[str]],
    new_row_kind: str | None = None,
) -> tuple[pd.DataFrame, bool]:
    """Rows whose ``kind`` changed since the editor was drawn lose the values their new
    kind does not read (``columns_read``: :func:`stem_columns_read` or
    :func:`stage_columns_read`): those were typed for the old kind, not refused settings
    of the new one. A row added since then counts as drawn with ``new_row_kind`` (the
    editor's default, whose defaults fill it). Returns the frame and whether any row
    changed kind (then the editor should be redrawn, to show those cells empty)."""
    out, changed = edited.copy(), False
    for i in out.index:
        new = out.at[i, "kind"]
        old = base.at[i, "kind"] if i in base.index else new_row_kind
        if old is None or new == old:
            continue
        changed = True
        keep = columns_read(new)
        for column in out.columns:
            if column not in keep:
                out[column] = out[column].astype(object)
                out.at[i, column] = None
    return out, changed


def format_filters(filters: int | tuple[int, ...]) -> str:
    return ", ".join(map(str, filters)) if isinstance(filters, tuple) else str(filters)


class NotWhole(ValueError):
    """Text in a number cell that is not a whole number; the message quotes it."""


def read_whole(text: Any) -> int | None:
    """A number cell as typed: empty → ``None`` (the default); ``" 3 "`` → ``3``;
    anything else raises :class:`NotWhole` ("'3x3' is not a whole number"): never read
    as another number, never dropped."""
    value = cell(text)
    if value is None or _is_int(value):
        return value
    stripped = str(value).strip()
    if not stripped:
        return None
    if re.fullmatch(r"[+-]?\d+", stripped, flags=re.ASCII) and len(stripped) <= MAX_DIGITS:
        return int(stripped)
    raise NotWhole(f"{show_value(value)} is not a whole number")


def read_whole_list(text: Any) -> list[int]:
    """``"4096, 4096"`` → ``[4096, 4096]`` (commas or semicolons); :class:`NotWhole` for
    an item that is not a whole number."""
    if cell(text) is None:
        return []
    if _is_int(cell(text)):
        return [cell(text)]
    parts = [p.strip() for p in str(text).replace(";", ",").split(",")]
    return [read_whole(p) for p in parts if p]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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


def _read_cells(row: dict, numbers: list[str], path: str, problems: list) -> dict:
    """``row`` with its number cells read; a cell that is not a whole number becomes a
    problem (and is left out, so that only its own message is shown for it)."""
    out = {}
    for key, value in row.items():
        if key in numbers or key == "filters":
            try:
                value = read_whole(value) if key in numbers else _filters(value)
            except NotWhole as exc:
                problems.append((f"{path}.{key}", str(exc)))
                continue
        if value is not None:  # an empty cell takes the spec's default
            out[key] = value
    return out


def _filters(text: Any) -> int | list[int] | None:
    values = read_whole_list(text)
    return values[0] if len(values) == 1 else values or None


def spec_from_form(
    base: ArchitectureSpec,
    *,
    name: str,
    input_shape: list,
    classes: Any,
    conv_bias: bool,
    stem: pd.DataFrame,
    stages: pd.DataFrame,
    head: dict,
    layer_settings: dict | None = None,
) -> ArchitectureSpec:
    """Build a spec from the form's values; raises :class:`SpecError` with every problem:
    text that is not a number first, then what the spec's check says of the rest."""
    # A value in a cell the kind ignores is kept, so the spec can refuse it by name
    # rather than drop it silently.
    problems: list[tuple[str, str]] = []
    stem_rows = [
        _read_cells(row, STEM_NUMBERS, f"stem[{i}]", problems) for i, row in enumerate(_rows(stem))
    ]
    stage_rows = [
        _read_cells(row, STAGE_NUMBERS, f"stages[{i}]", problems)
        for i, row in enumerate(_rows(stages))
    ]
    data = base.to_dict()
    data.update(
        name=name,
        input_shape=[cell(v) for v in input_shape],
        conv_bias=conv_bias,
        stem=stem_rows,
        stages=stage_rows,
    )
    data["head"] = {
        **data["head"],
        **{k: cell(v) for k, v in head.items()},
        "classes": cell(classes),
    }
    try:
        data["head"]["hidden"] = read_whole_list(head.get("hidden", ""))
    except NotWhole as exc:
        problems.append(
            ("head.hidden", f"{exc}; write the sizes separated by commas, e.g. 4096, 4096")
        )
        data["head"]["hidden"] = []
    if layer_settings is not None:
        data["layer_settings"] = {
            **data["layer_settings"],
            **{k: cell(v) for k, v in layer_settings.items()},
        }
    try:
        spec = ArchitectureSpec.from_dict(data)
    except SpecError as exc:
        # A cell left out for its text may also be "required": its own message says more.
        typed = {path for path, _ in problems}
        raise SpecError(problems + [(p, m) for p, m in exc.problems if p not in typed]) from None
    if problems:
        raise SpecError(problems)
    return spec


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
    for prefix, word, titles in (
        ("stages[", "Stage", STAGE_TITLES),
        ("stem[", "Stem row", STEM_TITLES),
        ("head.hidden[", "Hidden dense layers, number", {}),
    ):
        if path.startswith(prefix):
            i, _, field = path.removeprefix(prefix).partition("]")
            field = field.lstrip(".")
            return f"{word} {int(i) + 1}" + (f", {titles.get(field, field)}" if field else "")
    return LABELS.get(path, path)


SECTIONS = (
    ("stages", "stages"),
    ("stem", "stem"),
    ("head", "head"),
    ("input_shape", "input"),
    ("layer_settings", "layers"),
)


def group_problems(error: SpecError) -> dict[str, list[str]]:
    """Problems by the form section they belong to, each a sentence in the form's words
    ("Height must be at least 1, got 0")."""
    out: dict[str, list[str]] = {}
    for path, msg in error.problems:
        section = next((s for prefix, s in SECTIONS if path.startswith(prefix)), "general")
        # "Stage 1, stride must be at least 1"; "Stage 1, kernel: '3x3' is not a whole number"
        joint = " " if msg[:1].islower() else ": "
        out.setdefault(section, []).append(f"{label(path)}{joint}{msg}")
    return out
