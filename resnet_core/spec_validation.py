"""Validation of an architecture spec: every shape-independent problem (types, ranges,
names, settings a kind would ignore) as ``(field path, message)`` pairs, each message
quoting the value it got and saying what is allowed.

Whether the shapes work out is the tracer's job. :class:`~resnet_core.spec.ArchitectureSpec`
calls :func:`validate` when made and raises :class:`SpecError` with its problems.
"""

from __future__ import annotations

import unicodedata
from dataclasses import MISSING, fields
from typing import Any

from .blocks import BLOCK_KINDS
from .limits import (
    MAX_BLOCKS_PER_STAGE,
    MAX_CHANNELS,
    MAX_CLASSES,
    MAX_DESCRIPTION_CHARS,
    MAX_HIDDEN,
    MAX_KERNEL,
    MAX_NAME_CHARS,
    MAX_PAD,
    MAX_SIDE,
    MAX_STAGES,
    MAX_STEM_LAYERS,
    MAX_STRIDE,
    MAX_TOTAL_BLOCKS,
    show_value,
)
from .limits import (
    is_int as _is_int,
)
from .ops import LayerSettings
from .spec_parts import (
    CLASSIFIERS,
    HEAD_OUTPUTS,
    HEAD_POOLS,
    KERNEL_INITS,
    PADDINGS,
    SHORTCUTS,
    STRIDE_BLOCKS,
    STRIDE_CONVS,
    Head,
    Stage,
    StemLayer,
)
from .stem_kinds import STEM_KINDS

# The stem layer fields that only some kinds read (their STEM_KINDS entry's fields), each
# required by those and empty (None) in the others: (lowest, highest, how a message says it).
STEM_SIZES = {
    "filters": (1, MAX_CHANNELS, "a positive integer"),
    "kernel_size": (1, MAX_KERNEL, "a positive integer"),
    "pool_size": (1, MAX_KERNEL, "a positive integer"),
    "pad": (0, MAX_PAD, "an integer >= 0"),
}


class SpecError(ValueError):
    """An invalid spec. ``problems`` lists ``(field_path, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in self.problems))


def _check_int(problems, path, value, lo=1, hi=None, what="a positive integer"):
    if not _is_int(value):
        problems.append((path, f"must be {what}, got {show_value(value)}"))
    elif value < lo:  # the bound itself, as a form would say it
        problems.append((path, f"must be at least {lo}, got {show_value(value)}"))
    elif hi is not None and value > hi:
        problems.append((path, f"must be at most {hi}, got {show_value(value)}"))
    else:
        return True
    return False


def _check_bool(problems, path, value):
    if not isinstance(value, bool):
        problems.append((path, f"must be true or false, got {show_value(value)}"))


def _check_number(problems, path, value, lo, hi, what, hi_open=False):
    ok = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and lo <= value
        and (value < hi if hi_open else value <= hi)
    )
    if not ok:
        problems.append((path, f"must be a number {what}, got {show_value(value)}"))
    return ok


def _check_choice(problems, path, value, choices):
    if not isinstance(value, str) or value not in choices:
        problems.append((path, f"must be one of {', '.join(choices)}; got {show_value(value)}"))
        return False
    return True


# Line breaks a one-line field may not hold (Python, markdown and DOT all break on some).
_LINE_BREAKS = {"\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"}


def _check_text(problems, path, value, limit, one_line, required=False):
    """Text a person typed: a string of valid Unicode (no lone surrogates), at most
    ``limit`` characters, without control characters (``one_line``: no line breaks
    either; else line ends and tabs are kept)."""
    if not isinstance(value, str):
        problems.append((path, f"must be a string, got {show_value(value)}"))
        return
    if len(value) > limit:
        problems.append((path, f"must be at most {limit:,} characters, got {len(value):,}"))
        return
    if required and not value.strip():
        problems.append((path, f"must be a non-empty string, got {value!r}"))
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        problems.append(
            (
                path,
                f"is not valid Unicode (a lone surrogate "
                f"{value[exc.start]!r} at character {exc.start + 1})",
            )
        )
        return
    allowed = set() if one_line else {"\n", "\r", "\t"}  # \r: text from Windows
    for i, ch in enumerate(value):
        if ch not in allowed and (ch in _LINE_BREAKS or unicodedata.category(ch) == "Cc"):
            kind = "a line break" if ch in _LINE_BREAKS else "a control character"
            problems.append((path, f"holds {kind} ({ch!r}) at character {i + 1}; remove it"))
            return


def validate(spec: Any) -> list[tuple[str, str]]:
    """Return every shape-independent problem of ``spec`` as ``(path, message)``.

    ``spec`` is an ``ArchitectureSpec`` or any object with its fields: the file reader
    passes what it could read of a broken file, to report the rest's problems too."""
    p: list[tuple[str, str]] = []
    _check_text(p, "name", spec.name, MAX_NAME_CHARS, one_line=True, required=True)
    _check_text(p, "description", spec.description, MAX_DESCRIPTION_CHARS, one_line=False)
    _check_bool(p, "conv_bias", spec.conv_bias)
    _validate_layer_settings(p, spec.layer_settings)

    shape = spec.input_shape
    if not isinstance(shape, tuple) or len(shape) != 3:
        p.append(("input_shape", f"must be [height, width, channels], got {show_value(shape)}"))
    else:
        for i, v in enumerate(shape):
            _check_int(p, f"input_shape[{i}]", v, hi=MAX_SIDE if i < 2 else 64)

    if not isinstance(spec.stem, tuple) or len(spec.stem) > MAX_STEM_LAYERS:
        p.append(("stem", f"must be a list of at most {MAX_STEM_LAYERS} layers"))
    else:
        for i, layer in enumerate(spec.stem):
            _validate_layer(p, f"stem[{i}]", layer)

    if not isinstance(spec.stages, tuple) or not 1 <= len(spec.stages) <= MAX_STAGES:
        p.append(("stages", f"must be a list of 1 to {MAX_STAGES} stages"))
    else:
        total = 0
        for i, stage in enumerate(spec.stages):
            path = f"stages[{i}]"
            if not isinstance(stage, Stage):
                p.append((path, "must be a stage object"))
                continue
            if not _check_choice(p, f"{path}.kind", stage.kind, tuple(BLOCK_KINDS)):
                continue
            if _check_int(p, f"{path}.num_blocks", stage.num_blocks, hi=MAX_BLOCKS_PER_STAGE):
                total += stage.num_blocks
            _check_int(p, f"{path}.stride", stage.stride, hi=MAX_STRIDE)
            _check_int(p, f"{path}.kernel_size", stage.kernel_size, hi=MAX_KERNEL)
            _check_choice(p, f"{path}.shortcut", stage.shortcut, SHORTCUTS)
            _check_int(p, f"{path}.expansion", stage.expansion, hi=64)
            _check_int(p, f"{path}.groups", stage.groups, hi=MAX_CHANNELS)
            _check_int(
                p,
                f"{path}.width",
                stage.width,
                lo=0,
                hi=MAX_CHANNELS,
                what="0 (from expansion) or a positive integer",
            )
            _check_int(
                p,
                f"{path}.se_ratio",
                stage.se_ratio,
                lo=0,
                hi=1024,
                what="0 (no squeeze-and-excitation) or a positive integer",
            )
            _check_bool(p, f"{path}.preact", stage.preact)
            _check_choice(p, f"{path}.stride_block", stage.stride_block, STRIDE_BLOCKS)
            _check_choice(p, f"{path}.stride_conv", stage.stride_conv, STRIDE_CONVS)
            BLOCK_KINDS[stage.kind].check_filters(p, path, stage)
            _check_ignored(p, path, stage, BLOCK_KINDS[stage.kind].fields, f"{stage.kind} blocks")
        if total > MAX_TOTAL_BLOCKS:
            p.append(("stages", f"at most {MAX_TOTAL_BLOCKS} blocks in all, got {total}"))

    _validate_head(p, spec.head)
    return p


def _check_ignored(p, path, item, used, what):
    """Refuse a setting that ``item``'s kind would ignore, rather than drop it silently."""
    for f in fields(item):
        value = getattr(item, f.name)
        if f.default is not MISSING and f.name not in used and value != f.default:
            p.append(
                (
                    f"{path}.{f.name}",
                    f"is not used by {what}; leave it empty "
                    f"(default {f.default!r}), got {show_value(value)}",
                )
            )


def _validate_layer_settings(p, ls):
    if not isinstance(ls, LayerSettings):
        p.append(("layer_settings", "must be an object"))
        return
    path = "layer_settings."
    _check_number(
        p,
        path + "bn_momentum",
        ls.bn_momentum,
        0,
        1,
        "from 0 up to (not including) 1",
        hi_open=True,
    )
    _check_number(p, path + "bn_epsilon", ls.bn_epsilon, 1e-12, 1, "from 1e-12 to 1")
    _check_bool(p, path + "bn_scale", ls.bn_scale)
    _check_choice(p, path + "kernel_init", ls.kernel_init, KERNEL_INITS)
    _check_number(p, path + "init_stddev", ls.init_stddev, 1e-6, 10, "from 1e-6 to 10")
    _check_number(p, path + "bias_init", ls.bias_init, -10, 10, "from -10 to 10")
    _check_number(p, path + "l2", ls.l2, 0, 1, "from 0 to 1")


def _validate_layer(p, path, layer):
    if not isinstance(layer, StemLayer):
        p.append((path, "must be a layer object"))
        return
    if not _check_choice(p, f"{path}.kind", layer.kind, tuple(STEM_KINDS)):
        return
    kind = STEM_KINDS[layer.kind]
    used = kind.fields
    for name, (lo, hi, what) in STEM_SIZES.items():
        if name not in used:  # it must be empty: _check_ignored says so
            continue
        value = getattr(layer, name)
        if value is None:  # an empty cell in Compose, a null or no field in a file
            p.append((f"{path}.{name}", f"is required by {layer.kind} layers ({what})"))
        else:
            _check_int(p, f"{path}.{name}", value, lo=lo, hi=hi, what=what)
    # Fields a kind does not use are checked too: they are stored and written back.
    _check_int(p, f"{path}.stride", layer.stride, hi=MAX_STRIDE)
    _check_choice(p, f"{path}.padding", layer.padding, PADDINGS)
    _check_bool(p, f"{path}.use_bias", layer.use_bias)
    _check_ignored(p, path, layer, used, f"{layer.kind} layers")
    if kind.check is not None:
        kind.check(p, path, layer)


def _validate_head(p, head):
    if not isinstance(head, Head):
        p.append(("head", "must be a head object"))
        return
    _check_int(p, "head.classes", head.classes, hi=MAX_CLASSES)
    _check_choice(p, "head.pool", head.pool, HEAD_POOLS)
    _check_int(p, "head.pool_size", head.pool_size, hi=64)
    _check_choice(p, "head.pool_padding", head.pool_padding, PADDINGS)
    if not isinstance(head.hidden, tuple) or len(head.hidden) > MAX_HIDDEN:
        p.append(("head.hidden", f"must be a list of at most {MAX_HIDDEN} layer sizes"))
    else:
        for i, units in enumerate(head.hidden):
            _check_int(p, f"head.hidden[{i}]", units, hi=MAX_CHANNELS)
    if (
        isinstance(head.dropout, bool)
        or not isinstance(head.dropout, (int, float))
        or not 0 <= head.dropout < 1
    ):
        p.append(
            (
                "head.dropout",
                f"must be a number from 0 up to (not including) 1, got {show_value(head.dropout)}",
            )
        )
    _check_int(p, "head.classifier_kernel", head.classifier_kernel, hi=MAX_KERNEL)
    if (
        _check_choice(p, "head.classifier", head.classifier, CLASSIFIERS)
        and head.classifier == "conv"
    ):
        if head.pool != "global_avg":
            p.append(("head.pool", "a conv classifier averages over space: use global_avg"))
        if head.hidden:
            p.append(("head.hidden", "a conv classifier takes no hidden dense layers"))
    _check_bool(p, "head.bn_relu", head.bn_relu)
    _check_choice(p, "head.output", head.output, HEAD_OUTPUTS)
