"""The network as a foldable graph: stages that open into blocks, blocks into layers.

A *view* says which stages and blocks are open (a level, plus the nodes opened or folded
by hand); :func:`fold` turns the trace into the nodes and edges of that view. A residual
block shown folded is three nodes — its body, its shortcut (when it has one) and the sum
— so its skip connection is drawn where it is: around the block. Every node carries
what a reader asks of it: output shape, parameters, MACs, receptive field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .analysis import Analysis
from .limits import fmt_shape
from .op_table import OPS
from .trace import TracedLayer

LEVELS = ("stage", "block", "layer")
DIRECTIONS = ("TB", "LR")
MAX_NODES = 1500  # beyond this Graphviz and the browser slow down: fold back, with a note
MAX_KEYS = 2000  # opened/folded nodes read from a link
_KEY = re.compile(r"^[a-z]+\d*(_block\d+)?$")  # stage1, stem, stage3_block12


@dataclass(frozen=True)
class View:
    """What is open: ``level`` for every node, then ``expand``/``fold`` by hand."""

    level: str = "stage"
    direction: str = "TB"
    expand: frozenset[str] = frozenset()
    fold: frozenset[str] = frozenset()

    def toggled(self, key: str, a: Analysis) -> View:
        """This view with ``key`` opened if it was folded, folded if it was open (a key
        that names no stage or block of ``a`` changes nothing)."""
        if key not in set(stage_keys(a)) | set(block_keys(a)):
            return self
        base = _base_open(a, self.level)
        expand, fold = set(self.expand), set(self.fold)
        if key in opened(a, self):
            expand.discard(key)
            if key in base:
                fold.add(key)
            # a folded stage forgets the blocks opened inside it
            expand = {k for k in expand if not k.startswith(key + "_")}
        else:
            fold.discard(key)
            if key not in base:
                expand.add(key)
            stage = key.split("_block")[0]
            if stage != key and stage not in opened(a, self):  # a block opens its stage
                fold.discard(stage)
                if stage not in base:
                    expand.add(stage)
        return View(self.level, self.direction, frozenset(expand), frozenset(fold))

    def with_level(self, level: str) -> View:
        """Another level: what was opened or folded by hand is forgotten."""
        return View(level, self.direction)


@dataclass
class Node:
    """One box of the drawing: a stage, a block's body/shortcut/sum, or a layer."""

    key: str
    kind: str  # "stage", "block", "shortcut", "sum", "layer"
    title: str
    subtitle: str
    layers: list[TracedLayer]
    parent: str = ""  # the open stage or block whose box holds it
    expands: str = ""  # the stage or block a click opens

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.layers[-1].output_shape

    @property
    def is_skip(self) -> bool:
        return all(l.role == "shortcut" for l in self.layers)

    def details(self) -> dict:
        """What hovering shows (plain values; the page formats them)."""
        last = self.layers[-1]
        return {
            "title": self.title,
            "what": self.subtitle,
            "shape": fmt_shape(last.output_shape),
            "params": sum(l.params for l in self.layers),
            "macs": sum(l.macs for l in self.layers),
            "rf": last.rf,
            "layers": len(self.layers),
            "expands": self.expands,
            "parent": self.parent,
        }


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    skip: bool


@dataclass
class FoldedGraph:
    """The nodes and edges of one view; ``boxes`` are the open stages and blocks."""

    nodes: dict[str, Node]
    edges: list[Edge]
    boxes: dict[str, str]  # open stage/block key → its title
    box_parent: dict[str, str] = field(default_factory=dict)
    note: str = ""


# ------------------------------------------------------------------- what can open
def stage_keys(a: Analysis) -> list[str]:
    """The stages (stem and head included) that hold more than one layer."""
    counts: dict[str, int] = {}
    for l in a.layers:
        if l.kind != "input":
            counts[l.stage] = counts.get(l.stage, 0) + 1
    return [s for s, n in counts.items() if n > 1]


def block_keys(a: Analysis) -> list[str]:
    return list(dict.fromkeys(f"{l.stage}_{l.block_name}" for l in a.layers if l.block_name))


def _base_open(a: Analysis, level: str) -> set[str]:
    if level == "stage":
        return set()
    if level == "block":
        return set(stage_keys(a))
    return set(stage_keys(a)) | set(block_keys(a))


def opened(a: Analysis, view: View) -> set[str]:
    """The stages and blocks open in ``view``: a block opened by hand opens its stage
    (unless that is folded by hand); a block counts only inside an open stage."""
    keys = (_base_open(a, view.level) | set(view.expand)) - set(view.fold)
    keys |= {k.split("_block")[0] for k in view.expand if "_block" in k} - set(view.fold)
    return {k for k in keys if "_block" not in k or k.split("_block")[0] in keys}


# --------------------------------------------------------------------------- fold
def _block_title(stage: str, block: str) -> str:
    return f"{stage} {block}"


def _layer_subtitle(l: TracedLayer) -> str:
    entry = OPS.get(l.kind)
    return entry.graph_label(l.config) if entry else l.kind  # the input is no op


def _stage_subtitle(a: Analysis, layers: list[TracedLayer]) -> str:
    if layers[0].stage_index is not None:
        st = a.spec.stages[layers[0].stage_index]
        return f"{st.num_blocks} × {st.kind}, stride {st.stride}"
    return f"{len(layers)} layers"


def _place(l: TracedLayer, open_keys: set[str], openable: set[str], summed: set[str]):
    """Where layer ``l`` is drawn: (node key, kind, box it sits in, what a click opens).

    A folded residual block is three nodes: its body, its shortcut and its sum (the add
    and what follows it), so its skip edges run around the body, where they are.
    """
    stage, block = l.stage, f"{l.stage}_{l.block_name}" if l.block_name else ""
    if l.kind == "input":
        return l.name, "layer", "", ""
    if stage not in open_keys:
        return stage, "stage", "", stage if stage in openable else ""
    if not block or block in open_keys:
        return l.name, "layer", block or stage, ""
    if l.role == "shortcut":
        return f"{block}_shortcut", "shortcut", stage, block
    if l.kind == "add" or block in summed:
        summed.add(block)
        return f"{block}_sum", "sum", stage, block
    return block, "block", stage, block


def _fold_once(a: Analysis, open_keys: set[str]) -> FoldedGraph:
    nodes: dict[str, Node] = {}
    owner: dict[str, str] = {}
    summed: set[str] = set()  # blocks whose sum has been passed: later layers join it
    boxes: dict[str, str] = {}
    box_parent: dict[str, str] = {}
    openable = set(stage_keys(a))
    for l in a.layers:
        key, kind, parent, expands = _place(l, open_keys, openable, summed)
        if l.kind != "input" and l.stage in open_keys:
            boxes.setdefault(l.stage, l.stage)
        if parent and parent != l.stage:  # a block open inside its stage's box
            boxes.setdefault(parent, l.block_name)
            box_parent[parent] = l.stage
        if key not in nodes:
            nodes[key] = Node(key, kind, _title(l, kind, l.stage), "", [], parent, expands)
        nodes[key].layers.append(l)
        owner[l.name] = key
    for n in nodes.values():
        n.subtitle = _subtitle(a, n)
    edges: dict[tuple[str, str], bool] = {}
    for l in a.layers:
        dst = owner[l.name]
        for src_name, skip in zip(l.inputs, l.skip_inputs):
            src = owner[src_name]
            if src != dst:  # a main edge between two nodes wins over a skip
                edges[(src, dst)] = edges.get((src, dst), True) and skip
    return FoldedGraph(nodes, [Edge(s, d, k) for (s, d), k in edges.items()], boxes, box_parent)


def _title(l: TracedLayer, kind: str, stage: str) -> str:
    if kind == "stage":
        return stage
    if kind in ("block", "shortcut", "sum"):
        return {"block": _block_title(stage, l.block_name), "shortcut": "shortcut", "sum": "+"}[
            kind
        ]
    return l.name


def _subtitle(a: Analysis, n: Node) -> str:
    if n.kind == "stage":
        return _stage_subtitle(a, n.layers)
    if n.kind == "block":
        st = a.spec.stages[n.layers[0].stage_index]
        return f"{st.kind}, {len(n.layers)} layers"
    if n.kind in ("shortcut", "sum"):
        return " → ".join(_layer_subtitle(l) for l in n.layers)
    return _layer_subtitle(n.layers[-1])


def fold(a: Analysis, view: View, max_nodes: int = MAX_NODES) -> FoldedGraph:
    """The nodes and edges of ``view``; folded back, with a note, past ``max_nodes``."""
    want = opened(a, view)
    g = _fold_once(a, want)
    if len(g.nodes) <= max_nodes:
        return g
    by_hand = {k for k in view.expand if k in want}
    for keep in ({k for k in want if "_block" not in k} | by_hand, by_hand, set()):
        g = _fold_once(a, keep)
        if len(g.nodes) <= max_nodes:
            break
    n_layers = sum(1 for l in a.layers if l.kind != "input")
    g.note = (
        f"This network has {n_layers:,} layers; drawing them all would make more than "
        f"{max_nodes:,} boxes, too many to lay out quickly, so parts stay folded. "
        "Click a stage or block to open it."
    )
    return g


# -------------------------------------------------------------------- from a link
def read_view(params: dict[str, str]) -> tuple[View, list[str]]:
    """``level``, ``direction``, ``expand``, ``fold`` from a URL; problems as sentences.

    Unknown values fall back to the defaults; keys are checked for form only here (a key
    the network lacks opens nothing).
    """
    problems = []
    level = params.get("level") or "stage"
    if level not in LEVELS:
        problems.append(
            f"level must be stage, block or layer (got {_shown(level)}); showing stages"
        )
        level = "stage"
    direction = params.get("direction") or "TB"
    if direction not in DIRECTIONS:
        problems.append(f"direction must be TB or LR (got {_shown(direction)}); drawing top-down")
        direction = "TB"
    sets = []
    for name in ("expand", "fold"):
        raw = (params.get(name) or "")[: MAX_KEYS * 16]
        keys = [k for k in raw.split(",") if k][:MAX_KEYS]
        bad = [k for k in keys if not _KEY.match(k)]
        if bad:
            problems.append(
                f"{name} lists names that are no stage or block "
                f"({_shown(bad[0])}); they are ignored"
            )
        sets.append(frozenset(k for k in keys if _KEY.match(k)))
    return View(level, direction, sets[0], sets[1]), problems


def view_query(view: View) -> dict[str, str]:
    """The URL parameters of ``view`` (the defaults left out)."""
    q = {"level": view.level, "direction": view.direction}
    if view.expand:
        q["expand"] = ",".join(sorted(view.expand, key=_natural))
    if view.fold:
        q["fold"] = ",".join(sorted(view.fold, key=_natural))
    return q


def _natural(key: str):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", key)]


def _shown(text: str) -> str:
    return repr(re.sub(r"[^\w.-]", "", str(text))[:30])
