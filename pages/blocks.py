"""Block gallery: every block kind of the library, one block drawn and measured for a
chosen input and width, with its source document and the Keras code that builds it."""

import pandas as pd
import streamlit as st

from resnet_core import gallery
from resnet_core.analysis import human
from resnet_core.blocks import BLOCK_KINDS
from resnet_core.documents import plain_sources
from resnet_core.graph import SKIP_EDGES
from resnet_core.trace import fmt_shape
from ui import presentation, router
from ui.spec_form import block_kinds_reading_text

router.ensure_router()


@st.cache_data(show_spinner=False, max_entries=64)
def gallery_entry(name: str, shape: tuple, width: int, stride: int) -> dict:
    """:func:`resnet_core.gallery.gallery_entry`, cached: the tab switch is instant."""
    return gallery.gallery_entry(name, shape, width, stride)


st.title("Block gallery")
st.markdown(
    "Every kind of block the library builds, one block each, measured by the tracer "
    f"for the input and width you choose. Skip connections are {SKIP_EDGES}."
)

with presentation.settings_container("Input and width"):
    c = st.columns(5)
    h = c[0].number_input("Input height", *gallery.SIDE, 16, key="gallery_h")
    w = c[1].number_input("Input width", *gallery.SIDE, 16, key="gallery_w")
    ch = c[2].number_input("Input channels", *gallery.CHANNELS, 64, key="gallery_c")
    width = c[3].number_input(
        "Output channels",
        *gallery.WIDTH,
        64,
        step=4,
        key="gallery_width",
        help=f"{block_kinds_reading_text('expansion')}: a multiple of 4 (expansion 4)",
    )
    stride = c[4].selectbox(
        "Stride",
        [1, 2],
        key="gallery_stride",
        help="the first conv's (and the projection's) stride",
    )
shape = (int(h), int(w), int(ch))

entries = {name: gallery_entry(name, shape, int(width), int(stride)) for name in BLOCK_KINDS}
st.dataframe(
    pd.DataFrame(
        [
            {
                "kind": name,
                "parameters": f"{e['params']:,}" if "params" in e else "—",
                "MACs": human(e["macs"]) if "macs" in e else "—",
                "output": e.get("output", e.get("error", "")),
                "skip connections": e.get("skips", "—"),
            }
            for name, kind, e in ((n, BLOCK_KINDS[n], entries[n]) for n in BLOCK_KINDS)
        ]
    ),
    hide_index=True,
    width="stretch",
)
# Where each block comes from is said in its tab: a sentence does not fit a table cell
# (it was cut off at 1024 px).
st.caption(f"Input {fmt_shape(shape)}; parameters and MACs of the block alone (one image).")

tabs = st.tabs([BLOCK_KINDS[n].name for n in BLOCK_KINDS])
for tab, name in zip(tabs, BLOCK_KINDS):
    kind, e = BLOCK_KINDS[name], entries[name]
    with tab:
        st.markdown(f"**{kind.title}**. {kind.summary}")
        st.caption(f"From {plain_sources(kind.source)}.")
        if "error" in e:
            st.warning(e["error"])
            continue
        left, right = st.columns([2, 3])
        with left:
            m = st.columns(3)
            m[0].metric("Parameters", f"{e['params']:,}")
            m[1].metric("MACs", human(e["macs"]))
            m[2].metric("Output", e["output"])
            st.graphviz_chart(e["dot"], width="stretch")
        with right:
            call = kind.call_source(kind.example_filters(int(width)), int(stride))
            if call:
                st.markdown("With this library, on a Keras tensor `x`:")
                st.code(
                    f"from resnet_core import build\n\nx = {call}",
                    language="python",
                    wrap_lines=True,
                )
            st.markdown("In Keras alone (a standalone script; a small head makes it a model):")
            st.code(e["script"], language="python", height=420, wrap_lines=True)
        doc = (kind.function.__doc__ or "").strip().splitlines()
        if doc:
            st.caption(plain_sources(doc[0]))

router.page_link(
    "pages/compose.py",
    "Use these blocks in a network on the Compose page",
    icon=":material/construction:",
)
