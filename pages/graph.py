"""Graph: the network to explore — open a stage or block in place, pan, zoom, fit, hover
for a node's figures; download it as DOT, SVG or PNG. The view is in the URL."""

import dataclasses

import streamlit as st

from resnet_core.analysis import human
from resnet_core.graph import SKIP_EDGES, DotNotInstalled, render, to_graph, to_png
from resnet_core.graph_model import (
    DIRECTIONS,
    LEVELS,
    View,
    block_keys,
    fold,
    opened,
    read_view,
    stage_keys,
    view_query,
)
from ui import common, presentation, router, state
from ui.graph_explorer import graph_explorer

router.ensure_router()

VIEW, WRITTEN, EXPLORER = "graph_view", "graph_view_written", "graph_explorer"
DIRECTION_NAMES = {"TB": "Top-down", "LR": "Left-right"}


def current_view() -> View:
    """The view in the URL when a link brings one, else the session's."""
    query = {k: st.query_params[k] for k in state.PAGE_KEYS if k in st.query_params}
    if query and query != st.session_state.get(WRITTEN):
        view, problems = read_view(query)
        st.session_state[VIEW] = view
        st.session_state[WRITTEN] = query
        for p in problems:
            st.warning(f"This link's graph view: {common.escape_md(p)}.")
    return st.session_state.get(VIEW, View())


def set_view(view: View) -> None:
    st.session_state[VIEW] = view
    query = view_query(view)
    st.session_state[WRITTEN] = query
    for k in state.PAGE_KEYS:
        if k in st.query_params and k not in query:
            del st.query_params[k]
    st.query_params.update(query)


def _level_changed() -> None:
    set_view(current_view().with_level(st.session_state["graph_level"]))


def _direction_changed() -> None:
    set_view(dataclasses.replace(current_view(), direction=st.session_state["graph_direction"]))


@st.cache_data(max_entries=16, show_spinner=False)
def svg_of(dot: str) -> str:
    return render(dot, "svg").decode("utf-8")


def tooltips(g) -> dict[str, dict]:
    """Per node: its figures as (label, value) rows, and what a click does."""
    out = {}
    for key, n in g.nodes.items():
        d = n.details()
        rows = [
            ("Output", d["shape"]),
            ("Parameters", f"{d['params']:,}"),
            ("MACs", human(d["macs"])),
            ("Receptive field", f"{d['rf']}×{d['rf']} px"),
        ]
        if d["layers"] > 1:
            rows.append(("Layers", str(d["layers"])))
        if n.kind == "stage" and n.expands:
            blocks = len({l.block_name for l in n.layers if l.block_name})
            action = f"Click to open its {blocks} blocks" if blocks else "Click to open its layers"
        else:
            action = "Click to open its layers" if n.expands else ""
        title = d["title"] if d["what"] in ("", d["title"]) else f"{d['title']} — {d['what']}"
        out[key] = {"title": title, "rows": rows, "action": action, "expands": n.expands}
    return out


a = state.current_analysis()
st.title("Graph")
common.headline(a)
view = current_view()
if {k: st.query_params.get(k) for k in state.PAGE_KEYS if k in st.query_params} != view_query(view):
    set_view(view)  # a copied link always says how the graph was shown

st.session_state["graph_level"] = view.level
st.session_state["graph_direction"] = view.direction
# One row: the two choices as wide as their options (in columns they wrapped to two
# lines at 1024 px and in talk mode) and the undo beside them.
bar = st.container(horizontal=True, vertical_alignment="bottom", gap="medium")
bar.radio(
    "Level",
    LEVELS,
    horizontal=True,
    key="graph_level",
    on_change=_level_changed,
    width="content",
    format_func=lambda s: {"stage": "Stages", "block": "Blocks", "layer": "Layers"}[s],
)
bar.radio(
    "Direction",
    DIRECTIONS,
    horizontal=True,
    key="graph_direction",
    width="content",
    on_change=_direction_changed,
    format_func=DIRECTION_NAMES.get,
)
# Only when something differs from the plain level: a link that names boxes the
# network lacks (or a view kept from another network) opens nothing to undo.
known = set(stage_keys(a)) | set(block_keys(a))
if opened(a, view) & known != opened(a, view.with_level(view.level)) & known:
    if bar.button("Undo opened and folded boxes", help="back to the whole graph at this level"):
        set_view(view.with_level(view.level))
        st.rerun()
folded = fold(a, view)
if folded.note:
    st.info(folded.note)
graph = to_graph(a, view=view, folded=folded)
dot = graph.source
file_stem = f"{common.file_stem(a.spec.name)}_{view.level}"

svg = None
try:
    svg = svg_of(dot)
except DotNotInstalled as exc:
    st.info(f"{exc}. The graph is drawn in the browser instead, without folding.")
    st.graphviz_chart(graph, width="stretch")
except ValueError as exc:
    st.error(f"{exc}. The DOT file below still opens in any Graphviz viewer.")

if svg is not None:
    clicked = graph_explorer(
        svg, tooltips(folded), key=EXPLORER, on_toggle=lambda: None, talk=presentation.talk_mode()
    )
    if clicked:
        set_view(view.toggled(clicked, a))
        st.rerun()

# Under the drawing, so that the drawing's box fits the window below the bar above it.
st.caption(
    f"Click a stage or block to open it, an open box's title to fold it. "
    f"{SKIP_EDGES.capitalize()} are skip connections.",
    help="Each box shows its output shape and parameters; hover for MACs and the "
    "receptive field. Skip connections are drawn around each residual block: a "
    "folded block shows its body, its shortcut (when it has one) and the sum (+). "
    "Drag to move; click the graph, then the wheel zooms (a click elsewhere gives "
    "the wheel back to the page); + and − zoom, 0 fits.",
)

# buttons as wide as their labels; a download reruns nothing (a rerun would drop the
# PNG's deferred drawing while the browser fetches it)
dl = st.container(horizontal=True)
dl.download_button(
    "Download DOT",
    dot.encode(),
    file_name=f"{file_stem}.dot",
    mime="text/vnd.graphviz",
    on_click="ignore",
)
if svg is not None:
    dl.download_button(
        "Download SVG",
        svg.encode(),
        file_name=f"{file_stem}.svg",
        mime="image/svg+xml",
        on_click="ignore",
    )
    dl.download_button(
        "Download PNG",
        lambda: to_png(dot, svg),
        file_name=f"{file_stem}.png",
        mime="image/png",
        on_click="ignore",
        help="drawn on click; very long graphs are scaled down to at most 12,000 pixels",
    )
