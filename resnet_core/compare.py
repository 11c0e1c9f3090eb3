"""Two networks compared from their block settings, stage by stage, in the same words on
both sides: the block, its widths and groups, pre-activation, squeeze-and-excitation,
where the stride sits, each skip connection's kind, and the parameter and MAC deltas.

Every word comes from the spec through the block library (``blocks.BLOCK_KINDS``, and
:func:`blocks.shortcut_form` for the skips, the function the blocks build theirs by);
every figure from the tracer. The Compare page and ``python -m resnet_core compare`` only
lay this out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .analysis import Analysis, StageSummary, human
from .blocks import BLOCK_KINDS, shortcut_form
from .op_table import fmt_shape
from .spec import HEAD_POOL_KINDS, Head, Stage, StemLayer
from .stem_kinds import STEM_KINDS

# A skip connection's kind, as the page and the command line name it (both sides alike).
FORM_WORDS = {
    "identity": "identity",
    "projection": "projection",
    "conv": "1×1 conv",
    "zeropad": "zero-pad",
    "subsample": "subsample (max-pool)",
}
FORM_HELP = {
    "identity": "the block's input itself, added unchanged",
    "projection": "a strided 1×1 conv to the new width (BatchNorm after it in "
    "post-activation blocks)",
    "conv": "a strided 1×1 conv alone, no BatchNorm",
    "zeropad": "every stride-th pixel, the new channels zeros: no parameters (option A)",
    "subsample": "every stride-th pixel (a 1×1 max-pool): no parameters",
}

# What a stage is, aspect by aspect, in the order the comparison lists them.
STAGE_ASPECTS = (
    "block",
    "blocks",
    "output channels",
    "kernel",
    "inner width",
    "groups",
    "width per group",
    "pre-activation",
    "squeeze-excite",
    "stride",
    "stride placement",
    "shortcuts",
)
NOT_APPLICABLE = "—"


# ------------------------------------------------------------------------ words
def _kxk(k: int) -> str:
    return f"{k}×{k}"


def shortcut_forms(stage: Stage, in_channels: int | None) -> list[str] | None:
    """Each block's skip, as :func:`blocks.shortcut_form` decides it (``none``: no skip);
    ``None`` when the stage's input is unknown (the network fails before it)."""
    kind = BLOCK_KINDS[stage.kind]
    if not kind.residual:
        return ["none"] * stage.num_blocks
    if in_channels is None:
        return None
    out, c = [], in_channels
    for stride in kind.block_strides(stage):
        out.append(shortcut_form(stage.shortcut, c, stage.filters, stride))
        c = stage.filters
    return out


def count_forms(forms: list[str]) -> str:
    """``1 projection, 2 identity`` in a fixed order (the same on both sides); ``none``."""
    counts = Counter(f for f in forms if f != "none")
    if not counts:
        return "none"
    return ", ".join(f"{counts[f]} {FORM_WORDS[f]}" for f in FORM_WORDS if counts[f])


def stride_placement(stage: Stage) -> str:
    """Which block (and which conv of a bottleneck) carries the stage's stride."""
    kind = BLOCK_KINDS[stage.kind]
    if stage.stride == 1:
        return "no stride"
    if kind.inception:
        return "a max-pool before the blocks"
    if kind.vgg:
        return "a max-pool after the blocks"
    where = f"{stage.stride_block} block"
    if "stride_conv" in kind.fields:
        conv = "1×1" if stage.stride_conv == "1x1" else _kxk(stage.kernel_size)
        where += f", its {conv} conv"
    return where


def stage_words(stage: Stage, in_channels: int | None) -> dict[str, str]:
    """A stage, aspect by aspect (:data:`STAGE_ASPECTS`), in words."""
    kind = BLOCK_KINDS[stage.kind]
    width = kind.conv_width(stage)
    groups = stage.groups if "groups" in kind.fields else 1
    forms = shortcut_forms(stage, in_channels)
    filters = stage.filters
    return {
        "block": stage.kind,
        "blocks": str(stage.num_blocks),
        "output channels": (
            "/".join(map(str, filters)) if isinstance(filters, tuple) else str(filters)
        ),
        "kernel": _kxk(stage.kernel_size) if "kernel_size" in kind.fields else NOT_APPLICABLE,
        "inner width": NOT_APPLICABLE if width is None else str(width),
        "groups": NOT_APPLICABLE if width is None else str(groups),
        "width per group": NOT_APPLICABLE if width is None else f"{width / groups:g}",
        "pre-activation": "yes" if kind.preactivated(stage) else "no",
        "squeeze-excite": (
            f"ratio {stage.se_ratio}" if "se_ratio" in kind.fields and stage.se_ratio else "none"
        ),
        "stride": str(stage.stride),
        "stride placement": stride_placement(stage),
        "shortcuts": "unknown (not traced)" if forms is None else count_forms(forms),
    }


def stem_words(layers: tuple[StemLayer, ...]) -> str:
    """The stem's layers, ``zero-pad 3 → 7×7 conv 64 stride 2 → BN → ReLU`` (each kind
    says its own words: :attr:`StemKind.words`)."""
    return " → ".join(STEM_KINDS[l.kind].describe(l) for l in layers) or "none"


def head_words(h: Head) -> str:
    """The head's layers, ``BN → ReLU → global average pool → dense 1000 → softmax``."""
    out = ["BN → ReLU"] if h.bn_relu else []
    if h.classifier == "conv":
        out += [f"{_kxk(h.classifier_kernel)} conv {h.classes}", "BN", "global average pool"]
    else:
        out.append(HEAD_POOL_KINDS[h.pool].words.format(window=_kxk(h.pool_size)))
        for units in h.hidden:
            out.append(f"dense {units} → ReLU" + (f" → dropout {h.dropout:g}" if h.dropout else ""))
        out.append(f"dense {h.classes}")
    out.append("softmax" if h.output == "softmax" else "logits")
    return " → ".join(out)


# ----------------------------------------------------------------- the comparison
@dataclass(frozen=True)
class Side:
    """One network's part (stem, a stage or head): its words and figures."""

    words: dict[str, str]
    params: int
    macs: int
    blocks: int
    output_shape: tuple[int, ...] | None


@dataclass(frozen=True)
class PartDiff:
    """A part of both networks: ``a`` or ``b`` is ``None`` where that network lacks it;
    ``differs`` names the aspects whose words differ."""

    part: str
    a: Side | None
    b: Side | None
    differs: tuple[str, ...]

    @property
    def delta_params(self) -> int:
        return (self.b.params if self.b else 0) - (self.a.params if self.a else 0)

    @property
    def delta_macs(self) -> int:
        return (self.b.macs if self.b else 0) - (self.a.macs if self.a else 0)

    def items(self, side: Side | None) -> list[str]:
        """The differing aspects of one side in words (``groups 1``, ``width per group
        64``); ``same`` when nothing differs, ``(none)`` for a side that lacks the part."""
        if side is None:
            return ["(none)"]
        if not self.differs:
            return ["same"]
        return [f"{k} {side.words[k]}" for k in self.differs]

    def describe(self, side: Side | None) -> str:
        """:meth:`items` on one line: ``groups 1; width per group 64``."""
        return "; ".join(self.items(side))


@dataclass(frozen=True)
class Difference:
    """One line of the network-wide summary: an aspect in words for A and for B."""

    aspect: str
    a: str
    b: str


@dataclass(frozen=True)
class Comparison:
    a: Analysis
    b: Analysis
    summary: tuple[Difference, ...]
    parts: tuple[PartDiff, ...]

    @property
    def totals(self) -> dict[str, tuple[int, int]]:
        """``{figure: (A, B)}`` for parameters, trainable, MACs and depth."""
        ta, tb = self.a.totals, self.b.totals
        return {
            "parameters": (ta.total_params, tb.total_params),
            "trainable": (ta.trainable_params, tb.trainable_params),
            "MACs": (ta.macs, tb.macs),
            "depth": (ta.depth, tb.depth),
        }

    def to_dict(self) -> dict:
        """The comparison as JSON (``python -m resnet_core compare --json``)."""

        def side(x: Side | None):
            return (
                None
                if x is None
                else {
                    "words": x.words,
                    "params": x.params,
                    "macs": x.macs,
                    "blocks": x.blocks,
                    "output_shape": list(x.output_shape) if x.output_shape else None,
                }
            )

        return {
            "a": network_dict(self.a),
            "b": network_dict(self.b),
            "totals": {
                k: {"a": va, "b": vb, "delta": vb - va} for k, (va, vb) in self.totals.items()
            },
            "summary": [{"aspect": d.aspect, "a": d.a, "b": d.b} for d in self.summary],
            "parts": [
                {
                    "part": p.part,
                    "differs": list(p.differs),
                    "a": side(p.a),
                    "b": side(p.b),
                    "delta_params": p.delta_params,
                    "delta_macs": p.delta_macs,
                }
                for p in self.parts
            ],
            "shortcut_kinds": {FORM_WORDS[k]: FORM_HELP[k] for k in FORM_WORDS},
        }


def network_dict(a: Analysis) -> dict:
    return {
        "name": a.spec.name,
        "input_shape": list(a.spec.input_shape),
        "output_shape": list(a.totals.output_shape) if a.ok else None,
        "error": a.error,
    }


def stage_inputs(a: Analysis) -> dict[int, int]:
    """``{stage index: channels coming into it}``, for the stages the tracer reached."""
    by_name = {l.name: l for l in a.layers}
    out: dict[int, int] = {}
    for layer in a.layers:
        i = layer.stage_index
        if i is not None and i not in out and layer.inputs and layer.inputs[0] in by_name:
            out[i] = by_name[layer.inputs[0]].output_shape[-1]
    return out


def network_forms(a: Analysis) -> list[str] | None:
    """Every block's skip over the whole network; ``None`` if some stage is untraced."""
    inputs, out = stage_inputs(a), []
    for i, stage in enumerate(a.spec.stages):
        forms = shortcut_forms(stage, inputs.get(i))
        if forms is None:
            return None
        out += forms
    return out


def skip_summary(a: Analysis) -> str:
    """``16 skip connections: 4 projection, 12 identity``; ``no skip connections``."""
    forms = network_forms(a)
    if forms is None:
        return "unknown: the network cannot be built"
    n = sum(f != "none" for f in forms)
    if not n:
        return "no skip connections"
    return f"{n} skip connection{'s' * (n != 1)}: {count_forms(forms)}"


def across_stages(values: list[str]) -> str:
    """One side's values stage by stage, briefly: ``every stage: 32``; ``4, 8, 16, 32
    (stage by stage)``; ``stages 1–3: last block; stage 4: —``."""
    if not values:
        return "(no stages)"
    if len(set(values)) == 1:
        return values[0] if len(values) == 1 else f"every stage: {values[0]}"
    runs: list[list] = []  # [first stage, last stage, value]
    for i, v in enumerate(values, start=1):
        if runs and runs[-1][2] == v:
            runs[-1][1] = i
        else:
            runs.append([i, i, v])
    if all(r[0] == r[1] for r in runs) and not any(", " in v for v in values):
        return ", ".join(values) + " (stage by stage)"
    return "; ".join(
        (f"stage {r[0]}" if r[0] == r[1] else f"stages {r[0]}–{r[1]}") + f": {r[2]}" for r in runs
    )


def _side(words: dict[str, str], s: StageSummary | None) -> Side:
    return Side(
        words,
        s.params if s else 0,
        s.macs if s else 0,
        s.num_blocks if s else 0,
        s.output_shape if s else None,
    )


def _parts(x: Analysis) -> dict[str, tuple[dict[str, str], StageSummary | None]]:
    """``{part: (words, figures)}``: stem, stage1 …, head (figures: None if untraced)."""
    figures = {s.stage: s for s in x.stages()}
    inputs = stage_inputs(x)
    parts = {"stem": ({"layers": stem_words(x.spec.stem)}, figures.get("stem"))}
    for i, stage in enumerate(x.spec.stages):
        name = f"stage{i + 1}"
        parts[name] = (stage_words(stage, inputs.get(i)), figures.get(name))
    parts["head"] = ({"layers": head_words(x.spec.head)}, figures.get("head"))
    return parts


def compare(a: Analysis, b: Analysis) -> Comparison:
    """Compare network ``a`` with ``b`` (B − A in every delta)."""
    pa, pb = _parts(a), _parts(b)
    parts = []
    for name in dict.fromkeys([*pa, *pb]):
        x, y = pa.get(name), pb.get(name)
        if x and y:
            differs = tuple(k for k in x[0] if x[0][k] != y[0][k])
        else:
            differs = tuple((x or y)[0])
        if name == "head":  # the stages that only one network has come before its head
            continue
        parts.append(PartDiff(name, x and _side(*x), y and _side(*y), differs))
    x, y = pa["head"], pb["head"]
    parts.append(PartDiff("head", _side(*x), _side(*y), ("layers",) if x[0] != y[0] else ()))
    return Comparison(a, b, tuple(summarise(a, b, parts)), tuple(parts))


def summarise(a: Analysis, b: Analysis, parts: list[PartDiff]) -> list[Difference]:
    """The network-wide lines: skips, blocks per stage, then every aspect that differs
    somewhere (stage by stage), then depth."""
    out = [
        Difference("skip connections", skip_summary(a), skip_summary(b)),
        Difference(
            "blocks per stage",
            "–".join(str(s.num_blocks) for s in a.spec.stages),
            "–".join(str(s.num_blocks) for s in b.spec.stages),
        ),
    ]
    if a.spec.input_shape != b.spec.input_shape:
        out.append(
            Difference("input", fmt_shape(a.spec.input_shape), fmt_shape(b.spec.input_shape))
        )
    stem = parts[0]
    if stem.differs:
        out.append(Difference("stem", stem.a.words["layers"], stem.b.words["layers"]))
    stages = [p for p in parts if p.part.startswith("stage")]
    for aspect in STAGE_ASPECTS:
        if aspect == "blocks":  # said above
            continue
        wa = across_stages([p.a.words[aspect] for p in stages if p.a])
        wb = across_stages([p.b.words[aspect] for p in stages if p.b])
        # the skips: said above, unless the same skips sit in other stages
        if wa != wb and (aspect != "shortcuts" or out[0].a == out[0].b):
            out.append(Difference(aspect, wa, wb))
    head = parts[-1]
    if head.differs:
        out.append(Difference("head", head.a.words["layers"], head.b.words["layers"]))
    out.append(Difference("depth", str(a.totals.depth), str(b.totals.depth)))
    return out


def signed(n: float) -> str:
    """A difference in human units: ``+3.66 G``, ``−120.00 k``, ``+0``."""
    return ("−" if n < 0 else "+") + human(abs(n))


def ratio(x: float, y: float) -> str:
    """``y / x`` as ``1.50×``; ``—`` when ``x`` is 0."""
    return f"{y / x:.2f}×" if x else "—"


def to_text(c: Comparison) -> str:
    """The comparison as plain text for a terminal (the page's tables, in lines)."""

    def name(x: Analysis) -> str:
        out = fmt_shape(x.totals.output_shape) if x.ok else "(cannot be built)"
        return f"{x.spec.name}: {fmt_shape(x.spec.input_shape)} → {out}"

    lines = [f"A  {name(c.a)}", f"B  {name(c.b)}", ""]
    lines.append(f"{'':<12}{'A':>16}{'B':>16}{'B − A':>14}{'B / A':>9}")
    for k, (va, vb) in c.totals.items():
        if k == "depth":
            show, delta = str, f"{vb - va:+d}"
        elif k == "MACs":
            show, delta = human, signed(vb - va)
        else:
            show, delta = (lambda n: f"{n:,}"), signed(vb - va)
        lines.append(f"{k:<12}{show(va):>16}{show(vb):>16}{delta:>14}{ratio(va, vb):>9}")
    lines += ["", "What differs"]
    label = max(len(d.aspect) for d in c.summary) + 2
    for d in c.summary:
        lines.append(f"  {d.aspect:<{label}}A: {d.a}")
        lines.append(f"  {'':<{label}}B: {d.b}")
    lines += ["", "Stage by stage (Δ = B − A)"]
    for p in c.parts:
        lines.append(
            f"  {p.part:<8}Δ params {signed(p.delta_params)}, Δ MACs {signed(p.delta_macs)}"
        )
        if p.differs or p.a is None or p.b is None:
            lines.append(f"  {'':<8}A: {p.describe(p.a)}")
            lines.append(f"  {'':<8}B: {p.describe(p.b)}")
        else:
            lines.append(f"  {'':<8}same settings")
    lines += [
        "",
        "Skip connections: " + "; ".join(f"{FORM_WORDS[k]}: {v}" for k, v in FORM_HELP.items()),
    ]
    return "\n".join(lines)


__all__ = [
    "Comparison",
    "Difference",
    "FORM_HELP",
    "FORM_WORDS",
    "PartDiff",
    "Side",
    "STAGE_ASPECTS",
    "compare",
    "count_forms",
    "shortcut_forms",
    "skip_summary",
    "stage_words",
    "to_text",
]
