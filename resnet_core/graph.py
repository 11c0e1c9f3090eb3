"""Spec → Graphviz diagram at stage, block or layer level, drawn from the trace.

Edges carry the shape that flows along them; skip connections are dashed and red.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import graphviz

from .analysis import Analysis, analyze, human
from .spec import ArchitectureSpec
from .trace import TracedLayer, fmt_shape

LEVELS = ("stage", "block", "layer")
DIRECTIONS = ("TB", "LR")
SKIP_COLOR = "#d62728"
_STAGE_COLORS = ("#e8f1fb", "#e9f7ef", "#fef5e7", "#f4ecf7", "#fdedec", "#eaf2f8", "#fcf3cf")


@dataclass
class _Unit:
    key: str
    stage: str
    title: str
    layers: list[TracedLayer] = field(default_factory=list)


def _unit_key(layer: TracedLayer, level: str) -> str:
    if level == "layer" or layer.kind == "input":
        return layer.name
    if level == "block" and layer.block:
        return f"{layer.stage}_{layer.block}"
    return layer.stage


def _describe(unit: _Unit, spec: ArchitectureSpec, level: str) -> str:
    last = unit.layers[-1]
    params = sum(l.params for l in unit.layers)
    lines = [unit.title]
    if level == "layer":
        c = last.config
        if last.kind == "conv":
            lines.append(f"conv {c['size']}×{c['size']}/{c['stride']}, {c['filters']}")
        elif last.kind in ("maxpool", "avgpool"):
            lines.append(f"{last.kind} {c['size']}×{c['size']}/{c['stride']}")
        elif last.kind == "activation":
            lines.append(c["fn"])
        elif last.kind == "dense":
            lines.append(f"dense {c['units']}")
        elif last.kind != "input":
            lines.append(last.kind)
    else:
        if unit.stage.startswith("stage") and unit.stage[5:].isdigit():
            st = spec.stages[int(unit.stage[5:]) - 1]
            if level == "stage":
                lines.append(f"{st.blocks} × {st.block}, s{st.stride}")
            elif last.block:
                lines.append(st.block)
        elif unit.stage in ("stem", "head"):
            lines.append(f"{len(unit.layers)} layers")
    lines.append(fmt_shape(last.output_shape))
    if params:
        lines.append(f"{human(params)} params")
    return "\n".join(lines)


def to_graph(spec_or_analysis: ArchitectureSpec | Analysis, level: str = "block",
             direction: str = "TB") -> graphviz.Digraph:
    """The network at ``level`` (stage, block or layer), ``TB`` or ``LR``."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be TB or LR, got {direction!r}")
    a = spec_or_analysis if isinstance(spec_or_analysis, Analysis) else analyze(spec_or_analysis)
    spec = a.spec

    units: dict[str, _Unit] = {}
    owner: dict[str, str] = {}
    for layer in a.layers:
        key = _unit_key(layer, level)
        title = key if level != "block" or not layer.block else f"{layer.stage} {layer.block}"
        units.setdefault(key, _Unit(key, layer.stage, title)).layers.append(layer)
        owner[layer.name] = key

    g = graphviz.Digraph(name=spec.name, graph_attr={
        "rankdir": direction, "fontname": "Helvetica", "nodesep": "0.25", "ranksep": "0.3",
        "label": f"{spec.name} ({level} level)", "labelloc": "t"})
    g.attr("node", shape="box", style="rounded,filled", fontname="Helvetica", fontsize="10")
    g.attr("edge", fontname="Helvetica", fontsize="8")
    stage_order = list(dict.fromkeys(u.stage for u in units.values()))
    for unit in units.values():
        color = _STAGE_COLORS[stage_order.index(unit.stage) % len(_STAGE_COLORS)]
        is_skip = all(l.role == "shortcut" for l in unit.layers)
        g.node(unit.key, _describe(unit, spec, level), fillcolor=color,
               color=SKIP_COLOR if is_skip else "#555555",
               shape="ellipse" if unit.layers[-1].kind in ("add", "concat") else "box")

    shapes = {l.name: l.output_shape for l in a.layers}
    seen = set()
    for layer in a.layers:
        dst = owner[layer.name]
        for src_name, skip in zip(layer.inputs, layer.skip_inputs):
            src = owner[src_name]
            if src == dst or (src, dst, skip) in seen:
                continue
            seen.add((src, dst, skip))
            label = fmt_shape(shapes[src_name])
            if skip:
                g.edge(src, dst, label=f"skip {label}", style="dashed", color=SKIP_COLOR,
                       fontcolor=SKIP_COLOR, penwidth="1.6")
            else:
                g.edge(src, dst, label=label)
    if not a.ok:
        g.node("error", f"cannot build:\n{a.trace.error.reason}", shape="octagon",
               fillcolor="#fdecea", color=SKIP_COLOR)
        if a.layers:
            g.edge(owner[a.layers[-1].name], "error", style="dotted")
    return g


def to_dot(spec_or_analysis, level: str = "block", direction: str = "TB") -> str:
    """The DOT source of :func:`to_graph`."""
    return to_graph(spec_or_analysis, level, direction).source


def to_svg(spec_or_analysis, level: str = "block", direction: str = "TB") -> bytes:
    """Render with Graphviz's ``dot``; raises :class:`DotNotInstalled` when it is missing."""
    try:
        return to_graph(spec_or_analysis, level, direction).pipe(format="svg")
    except graphviz.ExecutableNotFound:
        raise DotNotInstalled(
            "Graphviz's 'dot' program is not installed, so no SVG can be made; install it "
            "(Debian: apt-get install graphviz) or download the DOT file instead") from None


class DotNotInstalled(RuntimeError):
    """Graphviz's ``dot`` executable is not on PATH."""


def dot_available() -> bool:
    import shutil

    return shutil.which("dot") is not None
