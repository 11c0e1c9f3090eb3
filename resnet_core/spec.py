"""The architecture spec: an immutable, JSON-serialisable description of a network.

A spec is the one value the whole project derives from: the tracer, the Keras builder,
the graph and the code export all read it. Validation here is shape-independent (types,
ranges, names); whether the shapes work out is the tracer's job.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import MISSING, asdict, dataclass, fields, replace
from types import SimpleNamespace
from typing import Any

from .blocks import BLOCK_KINDS
from .limits import (MAX_BLOCKS_PER_STAGE, MAX_CHANNELS, MAX_DESCRIPTION_CHARS,  # noqa: F401
                     MAX_HIDDEN, MAX_KERNEL, MAX_LAYERS, MAX_LISTED, MAX_NAME_CHARS, MAX_PAD,
                     MAX_SIDE, MAX_SPEC_BYTES, MAX_SPEC_MB, MAX_STAGES, MAX_STEM_LAYERS, MAX_STRIDE, MAX_TOTAL_BLOCKS,
                     is_int as _is_int, show_value)
from .ops import LayerSettings

FORMAT = "resnet-explorer/spec"
# 2: a stage's ``block`` and ``blocks`` became ``kind`` and ``num_blocks``; a stem layer's
# ``size`` became ``kernel_size``, ``pool_size`` or ``pad`` by its kind. Format 1 is read.
FORMAT_VERSION = 2

STEM_KINDS = ("conv", "batchnorm", "relu", "elu", "maxpool", "avgpool", "zeropad")
# What each stem layer kind reads besides its kind (batchnorm, relu and elu: nothing).
STEM_FIELDS = {"conv": ("filters", "kernel_size", "stride", "padding", "use_bias"),
               "maxpool": ("pool_size", "stride", "padding"),
               "avgpool": ("pool_size", "stride", "padding"),
               "zeropad": ("pad",)}
PADDINGS = ("same", "valid")
SHORTCUTS = ("projection", "conv", "zeropad", "subsample", "none")
STRIDE_BLOCKS = ("first", "last")
STRIDE_CONVS = ("1x1", "3x3")
HEAD_OUTPUTS = ("softmax", "logits")
# Kernel initialisers by name; "truncated_normal" takes the spec's ``init_stddev``.
KERNEL_INITS = ("glorot_uniform", "he_normal", "he_uniform", "truncated_normal")
HEAD_POOLS = ("global_avg", "global_max", "avg", "max", "flatten")
CLASSIFIERS = ("dense", "conv")

# The stem layer fields that only some kinds read (STEM_FIELDS), each required by those
# and empty (None) in the others: (lowest, highest, how a message says it).
STEM_SIZES = {"filters": (1, MAX_CHANNELS, "a positive integer"),
              "kernel_size": (1, MAX_KERNEL, "a positive integer"),
              "pool_size": (1, MAX_KERNEL, "a positive integer"),
              "pad": (0, MAX_PAD, "an integer >= 0")}


class SpecError(ValueError):
    """An invalid spec. ``problems`` lists ``(field_path, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in self.problems))


@dataclass(frozen=True)
class StemLayer:
    """One stem layer, in Keras's words: ``kernel_size`` (conv), ``pool_size`` (maxpool,
    avgpool), ``pad`` (zeropad: pixels added on each side). :data:`STEM_FIELDS` says
    which kind reads which field; the others stay at their defaults."""

    kind: str
    filters: int | None = None
    kernel_size: int | None = None
    pool_size: int | None = None
    pad: int | None = None
    stride: int = 1
    padding: str = "same"
    use_bias: bool = True


@dataclass(frozen=True)
class Stage:
    """A stage: ``num_blocks`` blocks of one ``kind`` (a key of ``BLOCK_KINDS``); one of
    them carries the stride.

    ``filters`` is the block's output channels (an int), except for ``inception`` blocks
    where it is the six path widths ``(c1, c2_reduce, c2, c3_reduce, c3, c4)``.
    ``expansion`` is the ratio of output channels to the bottleneck width.

    Variations of a block are parameters of it, as in timm (bottleneck unless said):
    ``groups`` splits the k×k conv into groups (ResNeXt); ``width`` sets the k×k conv's
    channels (0: ``filters // expansion``; Wide ResNet, ResNeXt); ``se_ratio`` adds
    squeeze-and-excitation with ``filters / se_ratio`` hidden units (0: none);
    ``preact`` puts BN and ReLU before each conv (ResNet v2; bottleneck and basic);
    ``stride_block`` says which block strides ("last": Keras's ResNetV2);
    ``stride_conv`` which conv of a bottleneck strides ("3x3": torchvision's v1.5).
    """

    kind: str
    num_blocks: int
    filters: int | tuple[int, ...]
    stride: int = 1
    kernel_size: int = 3
    shortcut: str = "projection"
    expansion: int = 4
    groups: int = 1
    width: int = 0
    se_ratio: int = 0
    preact: bool = False
    stride_block: str = "first"
    stride_conv: str = "1x1"


@dataclass(frozen=True)
class Head:
    """The classifier: pooling, hidden dense layers, dropout, classes."""

    classes: int
    pool: str = "global_avg"
    pool_size: int = 2
    pool_padding: str = "valid"
    hidden: tuple[int, ...] = ()
    dropout: float = 0.0
    classifier: str = "dense"
    classifier_kernel: int = 3
    bn_relu: bool = False  # BN and ReLU before pooling: the end of a pre-activation net
    output: str = "softmax"  # "logits": no softmax (seed 004's slim VGG-16)


@dataclass(frozen=True)
class ArchitectureSpec:
    """A whole network: input, stem layers, stages and head."""

    name: str
    input_shape: tuple[int, int, int]
    stem: tuple[StemLayer, ...]
    stages: tuple[Stage, ...]
    head: Head
    conv_bias: bool = True
    description: str = ""
    layer_settings: LayerSettings = LayerSettings()

    def __post_init__(self) -> None:
        problems = validate(self)
        if problems:
            raise SpecError(problems)

    # ------------------------------------------------------------------ conversion
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"format": FORMAT, "format_version": FORMAT_VERSION, **_lists(data)}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Any) -> ArchitectureSpec:
        return spec_from_dict(data)

    @classmethod
    def from_json(cls, text: str) -> ArchitectureSpec:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise SpecError([("(json)", f"not valid JSON: {exc}")]) from None
        except ValueError:  # Python refuses to read integers of over 4,300 digits
            raise SpecError([("(json)", "holds an integer thousands of digits long; no field "
                                        "of a spec takes one")]) from None
        return spec_from_dict(data)

    def replace(self, **changes: Any) -> ArchitectureSpec:
        return replace(self, **changes)

    def with_stage(self, index: int, **changes: Any) -> ArchitectureSpec:
        stages = list(self.stages)
        stages[index] = replace(stages[index], **changes)
        return replace(self, stages=tuple(stages))


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


# ---------------------------------------------------------------------- validation
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
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
          and lo <= value and (value < hi if hi_open else value <= hi))
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
        problems.append((path, f"is not valid Unicode (a lone surrogate "
                               f"{value[exc.start]!r} at character {exc.start + 1})"))
        return
    allowed = set() if one_line else {"\n", "\r", "\t"}  # \r: text from Windows
    for i, ch in enumerate(value):
        if ch not in allowed and (ch in _LINE_BREAKS or unicodedata.category(ch) == "Cc"):
            kind = "a line break" if ch in _LINE_BREAKS else "a control character"
            problems.append((path, f"holds {kind} ({ch!r}) at character {i + 1}; "
                                   "remove it"))
            return


def validate(spec: ArchitectureSpec) -> list[tuple[str, str]]:
    """Return every shape-independent problem of ``spec`` as ``(path, message)``."""
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
            _check_int(p, f"{path}.width", stage.width, lo=0, hi=MAX_CHANNELS,
                       what="0 (from expansion) or a positive integer")
            _check_int(p, f"{path}.se_ratio", stage.se_ratio, lo=0, hi=1024,
                       what="0 (no squeeze-and-excitation) or a positive integer")
            _check_bool(p, f"{path}.preact", stage.preact)
            _check_choice(p, f"{path}.stride_block", stage.stride_block, STRIDE_BLOCKS)
            _check_choice(p, f"{path}.stride_conv", stage.stride_conv, STRIDE_CONVS)
            BLOCK_KINDS[stage.kind].check_filters(p, path, stage)
            _check_ignored(p, path, stage, BLOCK_KINDS[stage.kind].fields,
                           f"{stage.kind} blocks")
        if total > MAX_TOTAL_BLOCKS:
            p.append(("stages", f"at most {MAX_TOTAL_BLOCKS} blocks in all, got {total}"))

    _validate_head(p, spec.head)
    return p


def _check_ignored(p, path, item, used, what):
    """Refuse a setting that ``item``'s kind would ignore, rather than drop it silently."""
    for f in fields(item):
        value = getattr(item, f.name)
        if f.default is not MISSING and f.name not in used and value != f.default:
            p.append((f"{path}.{f.name}", f"is not used by {what}; leave it empty "
                      f"(default {f.default!r}), got {show_value(value)}"))


def _validate_layer_settings(p, ls):
    if not isinstance(ls, LayerSettings):
        p.append(("layer_settings", "must be an object"))
        return
    path = "layer_settings."
    _check_number(p, path + "bn_momentum", ls.bn_momentum, 0, 1,
                  "from 0 up to (not including) 1", hi_open=True)
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
    if not _check_choice(p, f"{path}.kind", layer.kind, STEM_KINDS):
        return
    used = STEM_FIELDS.get(layer.kind, ())
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
    if not isinstance(layer.use_bias, bool):
        p.append((f"{path}.use_bias", f"must be true or false, got {show_value(layer.use_bias)}"))
    _check_ignored(p, path, layer, used, f"{layer.kind} layers")


def _validate_head(p, head):
    if not isinstance(head, Head):
        p.append(("head", "must be a head object"))
        return
    _check_int(p, "head.classes", head.classes, hi=100_000)
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
        p.append(("head.dropout", f"must be a number from 0 up to (not including) 1, got "
                                  f"{show_value(head.dropout)}"))
    _check_int(p, "head.classifier_kernel", head.classifier_kernel, hi=MAX_KERNEL)
    if _check_choice(p, "head.classifier", head.classifier, CLASSIFIERS) and head.classifier == "conv":
        if head.pool != "global_avg":
            p.append(("head.pool", "a conv classifier averages over space: use global_avg"))
        if head.hidden:
            p.append(("head.hidden", "a conv classifier takes no hidden dense layers"))
    _check_bool(p, "head.bn_relu", head.bn_relu)
    _check_choice(p, "head.output", head.output, HEAD_OUTPUTS)


# ---------------------------------------------------------------------- from JSON
def _build(cls, data: Any, path: str, convert: dict[str, Any] | None = None):
    """``cls`` from a JSON object; a :class:`SpecError` lists every unknown, missing or
    unreadable field of it (and of the objects inside it) at once."""
    if not isinstance(data, dict):
        raise SpecError([(path or "(spec)", f"must be an object, got {type(data).__name__}")])
    where = f"{path}." if path else ""
    names = [f.name for f in fields(cls)]
    unknown = sorted(k if isinstance(k, str) and k.isidentifier() and len(k) <= 40
                     else show_value(k) for k in data if k not in names)
    problems = [(f"{where}{key}", f"unknown field; expected one of {', '.join(names)}")
                for key in unknown[:MAX_LISTED]]
    if len(unknown) > MAX_LISTED:
        problems.append((path or "(spec)", f"and {len(unknown) - MAX_LISTED:,} more unknown fields"))
    problems += [(f"{where}{f.name}", "is required") for f in fields(cls)
                 if f.default is MISSING and f.default_factory is MISSING and f.name not in data]
    kwargs = {k: v for k, v in data.items() if k in names}
    for key, fn in (convert or {}).items():
        if key in kwargs:
            try:
                kwargs[key] = fn(kwargs[key], f"{where}{key}")
            except SpecError as exc:
                problems += exc.problems
                kwargs[key] = getattr(exc, "partial", None)
    if not problems:
        return cls(**kwargs)
    error = SpecError(problems)
    if cls is not ArchitectureSpec and not any(m == "is required" for _, m in problems):
        error.partial = cls(**kwargs)  # what could be read, for the whole spec's check
    if cls is ArchitectureSpec:  # also the value problems of the parts that could be read
        partial = SimpleNamespace(**{f.name: kwargs.get(f.name, f.default) for f in fields(cls)})
        seen = [p for p, _ in problems]
        problems += [(p, m) for p, m in validate(partial)
                     if not any(p == s or p.startswith((s + ".", s + "[")) or s.startswith(p)
                                for s in seen)]
        error = SpecError(problems)
    raise error


def _items(build, value, path):
    """Build each item of a list, collecting the problems of all of them."""
    out, problems = [], []
    for i, item in enumerate(value):
        try:
            out.append(build(item, f"{path}[{i}]"))
        except SpecError as exc:
            problems += exc.problems
            out.append(getattr(exc, "partial", None))
    if problems:
        error = SpecError(problems)
        error.partial = tuple(out)
        raise error
    return tuple(out)


def _as_tuple(value, path):
    """JSON lists become tuples; anything else is left for validation to judge."""
    return tuple(value) if isinstance(value, list) else value


def _stem(value, path):
    if not isinstance(value, list):
        raise SpecError([(path, "must be a list of layers")])
    if len(value) > MAX_STEM_LAYERS:
        raise SpecError([(path, f"must be a list of at most {MAX_STEM_LAYERS} layers")])
    return _items(lambda item, at: _build(StemLayer, item, at), value, "stem")


def _stages(value, path):
    if not isinstance(value, list):
        raise SpecError([(path, "must be a list of stages")])
    if len(value) > MAX_STAGES:
        raise SpecError([(path, f"must be a list of 1 to {MAX_STAGES} stages")])
    return _items(lambda item, at: _build(Stage, item, at, {"filters": _as_tuple}), value,
                  "stages")


def _head(value, path):
    return _build(Head, value, "head", {"hidden": _as_tuple})


def spec_from_dict(data: Any) -> ArchitectureSpec:
    """Build a validated spec from parsed JSON, in this format or format 1; raises
    :class:`SpecError`."""
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
        version = 1 if _has_v1_names(data) else FORMAT_VERSION
    if _is_int(version) and version > FORMAT_VERSION:
        raise SpecError([("format_version", f"{show_value(version)}: the file was written by a "
                          "newer version of ResNet Explorer; this one reads formats 1 to "
                          f"{FORMAT_VERSION}. Update ResNet Explorer to open it")])
    if not _is_int(version) or version < 1:  # true == 1.0 == 1 in Python
        raise SpecError([("format_version", f"must be 1 to {FORMAT_VERSION} (an integer), "
                                            f"got {show_value(version)}")])
    if version == 1:
        return _from_v1(data)
    return _read(data)


def _read(data: dict) -> ArchitectureSpec:
    return _build(
        ArchitectureSpec,
        data,
        "",
        {"input_shape": _as_tuple, "stem": _stem, "stages": _stages, "head": _head,
         "layer_settings": lambda v, path: _build(LayerSettings, v, path)},
    )


# ---------------------------------------------------------------------- format 1
# Format 2's names of fields that format 1 called otherwise, by where they sit.
_V1_STAGE_NAMES = {"kind": "block", "num_blocks": "blocks"}
_V1_STEM_NAMES = {"kernel_size": "size", "pool_size": "size", "pad": "size"}
# The one field of format 2 that takes a format-1 stem layer's ``size``, by kind.
_SIZE_FIELD = {kind: f for kind, used in STEM_FIELDS.items() for f in used
               if f in _V1_STEM_NAMES}
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
                problems.append((f"stages[{i}].{new}", f"is format 2's name; this file is "
                                 f"format 1, where it is {_V1_STAGE_NAMES[new]!r}"))
        data["stages"] = [{renames.get(k, k): v for k, v in stage.items()
                           if k not in _V1_STAGE_NAMES} if isinstance(stage, dict) else stage
                          for stage in stages]
    if isinstance(stem, list) and len(stem) <= MAX_STEM_LAYERS:
        data["stem"] = [_v1_layer(layer, f"stem[{i}]", problems) for i, layer in enumerate(stem)]
    return data, problems


def _has_v1_names(data: dict) -> bool:
    """Whether a spec without ``format_version`` uses format 1's stage or stem names."""
    stages, stem = data.get("stages"), data.get("stem")
    return (any(isinstance(s, dict) and not set(_V1_STAGE_NAMES.values()).isdisjoint(s)
                for s in (stages[:MAX_STAGES] if isinstance(stages, list) else ()))
            or any(isinstance(layer, dict) and not set(_V1_STEM_NAMES.values()).isdisjoint(layer)
                   for layer in (stem[:MAX_STEM_LAYERS] if isinstance(stem, list) else ())))


def _v1_layer(layer: Any, path: str, problems: list) -> Any:
    if not isinstance(layer, dict):
        return layer
    layer = dict(layer)
    for new in sorted(set(layer) & set(_V1_STEM_NAMES)):  # which size counts is not guessed
        problems.append((f"{path}.{new}", "is format 2's name; this file is format 1, where "
                                          "it is 'size'"))
        del layer[new]
    size = layer.pop("size", _V1_SIZE_DEFAULT)
    kind = layer.get("kind")
    if not isinstance(kind, str) or kind not in STEM_KINDS:
        return layer  # the reader says what is wrong with the kind
    if kind in _SIZE_FIELD:
        layer[_SIZE_FIELD[kind]] = size
    elif not (_is_int(size) and size == _V1_SIZE_DEFAULT):
        problems.append((f"{path}.size", f"is not used by {kind} layers; leave it empty "
                                         f"(default {_V1_SIZE_DEFAULT}), got {show_value(size)}"))
    return layer


def _v1_words(path: str, message: str) -> tuple[str, str]:
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
        message = head + sep + ", ".join(dict.fromkeys(names.get(n, n)
                                                       for n in listed.split(", ")))
    return f"{at}.{names.get(field, field)}", message


def _from_v1(data: dict) -> ArchitectureSpec:
    data, problems = upgrade_v1(data)
    try:
        spec = _read(data)
    except SpecError as exc:
        problems = [_v1_words(p, m) for p, m in exc.problems] + problems
    if problems:
        raise SpecError(problems)
    return spec


__all__ = [
    "ArchitectureSpec",
    "FORMAT_VERSION",
    "Head",
    "LayerSettings",
    "SpecError",
    "Stage",
    "StemLayer",
    "spec_from_dict",
    "upgrade_v1",
    "validate",
]
