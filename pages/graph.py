"""Graph: the network at stage, block or layer level; download as DOT or SVG."""

import streamlit as st

from resnet_core.graph import DIRECTIONS, LEVELS, dot_available, to_graph
from ui import common, router, state

router.ensure_router()

a = state.current_analysis()
st.title("Graph")
common.headline(a)

c = st.columns([2, 2, 3])
level = c[0].radio("Level", LEVELS, index=1, horizontal=True,
                   format_func=lambda s: s.capitalize())
direction = c[1].radio("Direction", DIRECTIONS, horizontal=True,
                       format_func={"TB": "Top-down", "LR": "Left-right"}.get)
c[2].caption("Solid edges carry the main path with the shape that flows along them; dashed "
             "red edges are skip connections.")

graph = to_graph(a, level, direction)
name = a.spec.name
dl = st.container(horizontal=True)  # buttons as wide as their labels
dl.download_button("Download DOT", graph.source.encode(), file_name=f"{name}_{level}.dot",
                   mime="text/vnd.graphviz")
if dot_available():  # rendered on click only: a layer-level ResNet-152 takes a moment
    dl.download_button("Download SVG", lambda: graph.pipe(format="svg"),
                       file_name=f"{name}_{level}.svg", mime="image/svg+xml")
else:
    st.info("SVG download needs Graphviz's `dot` program, which is not installed here "
            "(Debian: `apt-get install graphviz`). The DOT file opens in any Graphviz "
            "viewer.")

n_layers = len(a.layers)
if level == "layer" and n_layers > 400:
    st.caption(f"{n_layers} layers: scroll and zoom inside the drawing.")
# Top-down drawings keep their natural size (stretched they would be huge); left-right
# ones fit the page's width.
st.graphviz_chart(graph, width="stretch" if direction == "LR" else "content")
