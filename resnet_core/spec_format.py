"""The spec file: an architecture spec as a JSON object, written in this format and read
in it or in format 1 (:mod:`spec_format_v1`).

Reading names every problem of a file at once: unknown, missing and unreadable fields
of every part, and the value problems of the parts that could be read. Each reader below
returns what it could read with its problems, rather than raising, so that the whole
spec's reader can gather them; only :func:`from_document` raises (:class:`SpecError`).

This module sits below :class:`~resnet_core.spec.ArchitectureSpec`, whose ``to_dict``,
``from_dict``, ``to_json`` and ``from_json`` call it: the class is passed in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import MISSING, asdict, fields
from types import SimpleNamespace
from typing import Any

from .limits import MAX_LISTED, MAX_STAGES, MAX_STEM_LAYERS, show_value
from .limits import is_int as _is_int
from .ops import LayerSettings
from .spec_format_v1 import has_v1_names, in_v1_words, upgrade_v1
from .spec_parts import Head, Stage, StemLayer
from .spec_validation import SpecError, validate

FORMAT = "resnet-explorer/spec"
# 2: a stage's ``block`` and ``blocks`` became ``kind`` and ``num_blocks``; a stem layer's
# ``size`` became ``kernel_size``, ``pool_size`` or ``pad`` by its kind. Format 1 is read.
FORMAT_VERSION = 2

Problems = list[tuple[str, str]]
# A field's reader: (JSON value, its path) -> (what could be read of it, its problems).
Reader = Callable[[Any, str], tuple[Any, Problems]]


# ---------------------------------------------------------------------- writing
def to_document(spec: Any) -> dict[str, Any]:
    """The JSON object of a spec file: its format keys, then the spec's fields."""
    return {"format": FORMAT, "format_version": FORMAT_VERSION, **_lists(asdict(spec))}


def to_json(spec: Any, indent: int | None = 2) -> str:
    return json.dumps(to_document(spec), indent=indent)


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


# ---------------------------------------------------------------------- reading
def from_json(text: str, spec_type: type) -> Any:
    """A ``spec_type`` (``ArchitectureSpec``) from the text of a spec file; raises
    :class:`SpecError` naming what is wrong."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SpecError([("(json)", f"not valid JSON: {exc}")]) from None
    except ValueError:  # Python refuses to read integers of over 4,300 digits
        raise SpecError(
            [("(json)", "holds an integer thousands of digits long; no field of a spec takes one")]
        ) from None
    return from_document(data, spec_type)


def from_document(data: Any, spec_type: type) -> Any:
    """A validated ``spec_type`` (``ArchitectureSpec``) from parsed JSON, in this format
    or format 1; raises :class:`SpecError`."""
    if not isinstance(data, dict):
        raise SpecError([("(spec)", f"must be a JSON object, got {type(data).__name__}")])
    data = dict(data)
    fmt = data.pop("format", FORMAT)
    if fmt != FORMAT:
        raise SpecError([("format", f"must be {FORMAT!r}, got {show_value(fmt)}")])
    # Format 1 let a file leave its version out: such a file is told by its names.
    if "format_version" in data:
        version = data.pop("format_version")
    else:
        version = 1 if has_v1_names(data) else FORMAT_VERSION
    if _is_int(version) and version > FORMAT_VERSION:
        raise SpecError(
            [
                (
                    "format_version",
                    f"{show_value(version)}: the file was written by a "
                    "newer version of ResNet Explorer; this one reads formats 1 to "
                    f"{FORMAT_VERSION}. Update ResNet Explorer to open it",
                )
            ]
        )
    if not _is_int(version) or version < 1:  # true == 1.0 == 1 in Python
        raise SpecError(
            [
                (
                    "format_version",
                    f"must be 1 to {FORMAT_VERSION} (an integer), got {show_value(version)}",
                )
            ]
        )
    if version == 1:
        return _from_v1(data, spec_type)
    return _read(data, spec_type)


def _from_v1(data: dict, spec_type: type) -> Any:
    data, problems = upgrade_v1(data)
    try:
        spec = _read(data, spec_type)
    except SpecError as exc:
        problems = [in_v1_words(p, m) for p, m in exc.problems] + problems
    if problems:
        raise SpecError(problems)
    return spec


def _read(data: Any, spec_type: type) -> Any:
    """The whole spec, or a :class:`SpecError` with the problems of every part and, when
    a part is unreadable, the value problems of those that could be read."""
    kwargs, problems = _fields_of(
        spec_type,
        data,
        "",
        {
            "input_shape": _as_tuple,
            "stem": _stem,
            "stages": _stages,
            "head": _head,
            "layer_settings": lambda v, path: _part(LayerSettings, v, path),
        },
    )
    if kwargs is not None and not problems:
        return spec_type(**kwargs)  # which validates it
    if kwargs is not None:
        read = SimpleNamespace(**{f.name: kwargs.get(f.name, f.default) for f in fields(spec_type)})
        seen = [p for p, _ in problems]
        problems += [
            (p, m)
            for p, m in validate(read)
            if not any(p == s or p.startswith((s + ".", s + "[")) or s.startswith(p) for s in seen)
        ]
    raise SpecError(problems)


def _fields_of(
    cls: type, data: Any, path: str, readers: dict[str, Reader] | None = None
) -> tuple[dict | None, Problems]:
    """The keyword arguments of ``cls`` in a JSON object (None: not an object), each
    field in ``readers`` read by its reader, and every unknown, missing or unreadable
    field of it (and of the objects inside it)."""
    if not isinstance(data, dict):
        return None, [(path or "(spec)", f"must be an object, got {type(data).__name__}")]
    where = f"{path}." if path else ""
    names = [f.name for f in fields(cls)]
    unknown = sorted(
        k if isinstance(k, str) and k.isidentifier() and len(k) <= 40 else show_value(k)
        for k in data
        if k not in names
    )
    problems = [
        (f"{where}{key}", f"unknown field; expected one of {', '.join(names)}")
        for key in unknown[:MAX_LISTED]
    ]
    if len(unknown) > MAX_LISTED:
        problems.append(
            (path or "(spec)", f"and {len(unknown) - MAX_LISTED:,} more unknown fields")
        )
    problems += [
        (f"{where}{f.name}", "is required")
        for f in fields(cls)
        if f.default is MISSING and f.default_factory is MISSING and f.name not in data
    ]
    kwargs = {k: v for k, v in data.items() if k in names}
    for key, read in (readers or {}).items():
        if key in kwargs:
            kwargs[key], found = read(kwargs[key], f"{where}{key}")
            problems += found
    return kwargs, problems


def _part(
    cls: type, data: Any, path: str, readers: dict[str, Reader] | None = None
) -> tuple[Any, Problems]:
    """A part of a spec (stem layer, stage, head, layer settings) and its problems; the
    part as far as it could be read, for the whole spec's check (None: not an object, or
    a required field missing)."""
    kwargs, problems = _fields_of(cls, data, path, readers)
    if kwargs is None or any(m == "is required" for _, m in problems):
        return None, problems
    return cls(**kwargs), problems


def _items(read: Reader, value: list, path: str) -> tuple[tuple, Problems]:
    """Each item of a list read, with the problems of all of them."""
    out, problems = [], []
    for i, item in enumerate(value):
        part, found = read(item, f"{path}[{i}]")
        out.append(part)
        problems += found
    return tuple(out), problems


def _as_tuple(value: Any, path: str) -> tuple[Any, Problems]:
    """JSON lists become tuples; anything else is left for validation to judge."""
    return (tuple(value) if isinstance(value, list) else value), []


def _stem(value: Any, path: str) -> tuple[Any, Problems]:
    if not isinstance(value, list):
        return None, [(path, "must be a list of layers")]
    if len(value) > MAX_STEM_LAYERS:
        return None, [(path, f"must be a list of at most {MAX_STEM_LAYERS} layers")]
    return _items(lambda item, at: _part(StemLayer, item, at), value, "stem")


def _stages(value: Any, path: str) -> tuple[Any, Problems]:
    if not isinstance(value, list):
        return None, [(path, "must be a list of stages")]
    if len(value) > MAX_STAGES:
        return None, [(path, f"must be a list of 1 to {MAX_STAGES} stages")]
    return _items(lambda item, at: _part(Stage, item, at, {"filters": _as_tuple}), value, "stages")


def _head(value: Any, path: str) -> tuple[Any, Problems]:
    return _part(Head, value, "head", {"hidden": _as_tuple})
