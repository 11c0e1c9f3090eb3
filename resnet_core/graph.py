"""The foldable graph (:mod:`graph_model`) drawn with Graphviz: DOT, SVG and PNG.

Open stages and blocks are drawn as boxes (clusters) around what they hold; skip
connections are thick dashed vermillion edges, which read on a projector and in
grey-scale. Every text that comes from the user (the spec's name) is escaped for DOT.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata

import graphviz

from .analysis import Analysis, analyze, human
from .graph_model import DIRECTIONS, LEVELS, FoldedGraph, Node, View, fold
from .limits import fmt_shape
from .op_table import OPS
from .spec import ArchitectureSpec

SKIP_COLOR = "#d55e00"  # Okabe-Ito vermillion: apart from black for colour-blind readers
# How every page names the drawing of a skip connection (one wording, matching SKIP_COLOR).
SKIP_EDGES = "thick dashed orange edges"
_STAGE_COLORS = ("#e8f1fb", "#e9f7ef", "#fef5e7", "#f4ecf7", "#fdedec", "#eaf2f8", "#fcf3cf")
MAX_PNG_SIDE = 12_000  # pixels; a layer-level ResNet-152 would be ~60,000 px tall
__all__ = [
    "DIRECTIONS",
    "LEVELS",
    "View",
    "dot_text",
    "to_dot",
    "to_graph",
    "to_png",
    "to_svg",
    "DotNotInstalled",
    "dot_available",
]


def dot_text(text: str) -> str:
    """``text`` as the characters it is inside a quoted DOT string (labels, names).

    Backslashes are doubled (``\\N``, ``\\l`` and a trailing ``\\`` are DOT escapes),
    control characters (NUL breaks ``dot``) become spaces, and the result is marked so
    that ``<…>`` is never read as an HTML label. Quotes are escaped by ``graphviz``.
    """
    clean = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in str(text))
    return graphviz.escape(clean)


def _label(*lines: str) -> str:
    return graphviz.nohtml("\n".join(str(dot_text(s)) for s in lines if s))


def _joins(kind: str) -> bool:
    return kind in OPS and OPS[kind].joins


def _node_label(n: Node) -> str:
    title = n.title
    if (
        n.parent
        and title[len(n.parent) : len(n.parent) + 1] in ("_", " ")
        and title.startswith(n.parent)
    ):
        title = title[len(n.parent) + 1 :]  # the box around it names the stage or block
    params = sum(l.params for l in n.layers)
    return _label(
        title,
        n.subtitle if n.subtitle != title else "",
        fmt_shape(n.output_shape),
        f"{human(params)} params" if params else "",
    )


def to_graph(
    spec_or_analysis: ArchitectureSpec | Analysis,
    level: str = "stage",
    direction: str = "TB",
    view: View | None = None,
    folded: FoldedGraph | None = None,
) -> graphviz.Digraph:
    """The network as a Graphviz digraph, at ``level`` or as ``view`` has it open."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be TB or LR, got {direction!r}")
    a = spec_or_analysis if isinstance(spec_or_analysis, Analysis) else analyze(spec_or_analysis)
    view = view or View(level, direction)
    g_model = folded or fold(a, view)
    name = str(dot_text(a.spec.name))
    g = graphviz.Digraph(
        name=graphviz.nohtml(name),
        graph_attr={
            "rankdir": view.direction,
            "fontname": "Helvetica",
            "nodesep": "0.25",
            "ranksep": "0.3",
            "label": _label(a.spec.name),
            "labelloc": "t",
            "fontsize": "14",
        },
    )
    g.attr(
        "node",
        shape="box",
        style="rounded,filled",
        fontname="Helvetica",
        fontsize="12",
        color="#555555",
    )
    g.attr("edge", penwidth="1.2", arrowsize="0.7")

    stages = list(dict.fromkeys(l.stage for l in a.layers))
    children: dict[str, list] = {}
    for n in g_model.nodes.values():
        children.setdefault(n.parent, []).append(("node", n))
    for box in g_model.boxes:
        children.setdefault(g_model.box_parent.get(box, ""), []).append(("box", box))

    def fill(graph, parent: str) -> None:
        for what, item in children.get(parent, []):
            if what == "box":
                with graph.subgraph(name=f"cluster_{item}") as sub:
                    sub.attr(
                        id=f"box:{item}",
                        label=_label(g_model.boxes[item]),
                        style="rounded,dashed",
                        color="#888888",
                        fontsize="13",
                        labeljust="l",
                    )
                    fill(sub, item)
                continue
            n = item
            stage = n.layers[-1].stage
            graph.node(
                n.key,
                _node_label(n),
                id=f"node:{n.key}",
                fillcolor=_STAGE_COLORS[stages.index(stage) % len(_STAGE_COLORS)],
                color=SKIP_COLOR if n.is_skip else "#555555",
                penwidth="2" if n.is_skip else "1",
                shape="ellipse" if n.kind == "sum" or _joins(n.layers[-1].kind) else "box",
            )

    fill(g, "")
    for e in g_model.edges:
        if e.skip:
            g.edge(e.src, e.dst, style="dashed", color=SKIP_COLOR, penwidth="2.6")
        else:
            g.edge(e.src, e.dst)
    if not a.ok:
        g.node(
            "error",
            _label("cannot build:", a.trace.error.reason),
            shape="octagon",
            fillcolor="#fdecea",
            color=SKIP_COLOR,
            id="node:error",
        )
        if a.layers:
            last = a.layers[-1]
            owner = next(k for k, n in g_model.nodes.items() if last in n.layers)
            g.edge(owner, "error", style="dotted")
    return g


def to_dot(
    spec_or_analysis, level: str = "stage", direction: str = "TB", view: View | None = None
) -> str:
    """The DOT source of :func:`to_graph`."""
    return to_graph(spec_or_analysis, level, direction, view).source


def render(dot: str, fmt: str = "svg", dpi: float | None = None) -> bytes:
    """Lay out and draw DOT source with Graphviz's ``dot`` (:class:`DotNotInstalled` when
    it is missing; ``ValueError`` with dot's message when it refuses the source)."""
    exe = shutil.which("dot")
    if exe is None:
        raise DotNotInstalled(
            "Graphviz's 'dot' program is not installed, so no drawing can be made; install "
            "it (Debian: apt-get install graphviz) or download the DOT file instead"
        )
    args = [exe, f"-T{fmt}"] + ([f"-Gdpi={dpi:.1f}"] if dpi else [])
    try:
        done = subprocess.run(args, input=dot.encode(), capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        raise ValueError(
            "Graphviz took more than 5 minutes to draw this graph; fold it to "
            "fewer boxes or download the DOT file"
        ) from None
    if done.returncode:
        raise ValueError(
            "Graphviz could not draw this graph: "
            + done.stderr.decode("utf-8", "replace").strip()[:300]
        )
    return done.stdout


def to_svg(
    spec_or_analysis, level: str = "stage", direction: str = "TB", view: View | None = None
) -> bytes:
    return render(to_dot(spec_or_analysis, level, direction, view), "svg")


def svg_size_pt(svg: bytes | str) -> tuple[float, float]:
    """The drawing's width and height in points, read from Graphviz's ``<svg>`` tag."""
    head = svg[:2000].decode("utf-8", "replace") if isinstance(svg, bytes) else svg[:2000]
    m = re.search(r'width="([\d.]+)pt"\s+height="([\d.]+)pt"', head)
    return (float(m.group(1)), float(m.group(2))) if m else (1000.0, 1000.0)


def to_png(dot: str, svg: bytes | str, max_side: int = MAX_PNG_SIDE) -> bytes:
    """A PNG of ``dot`` at 96 dpi, or smaller so its longer side stays under ``max_side``
    pixels (``svg`` is the same drawing, for its size)."""
    longest = max(svg_size_pt(svg))
    return render(dot, "png", dpi=min(96.0, max_side * 72.0 / max(longest, 1.0)))


class DotNotInstalled(RuntimeError):
    """Graphviz's ``dot`` executable is not on PATH."""


def dot_available() -> bool:
    return shutil.which("dot") is not None
