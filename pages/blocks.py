"""Block gallery: every block kind of the library, one block drawn and measured for a
chosen input and width, with its source document and the Keras code that builds it."""

import pandas as pd
import streamlit as st

from resnet_core.analysis import Analysis, human
from resnet_core.blocks import BLOCK_KINDS, BlockKind
from resnet_core.codegen import to_python
from resnet_core.documents import plain_sources
from resnet_core.graph import SKIP_EDGES, to_graph
from resnet_core.spec import ArchitectureSpec, Head, SpecError, Stage
from resnet_core.trace import Trace, fmt_shape, trace_spec
from ui import presentation, router
from ui.spec_form import block_kinds_reading_text

router.ensure_router()


def block_spec(kind: BlockKind, shape, width: int, stride: int) -> ArchitectureSpec:
    """One block of ``kind`` on an input of ``shape``, with a small head to make a model."""
    return ArchitectureSpec(
        name=f"{kind.name}_block",
        input_shape=shape,
        stem=(),
        stages=(
            Stage(
                kind.name, 1, kind.example_filters(width), stride, shortcut=kind.default_shortcut
            ),
        ),
        head=Head(classes=10),
        description=f"one {kind.title} block ({plain_sources(kind.source)})",
    )


@st.cache_data(show_spinner=False, max_entries=64)
def gallery_entry(name: str, shape: tuple, width: int, stride: int) -> dict:
    """Figures, DOT source and script of one block (cached: the tab switch is instant)."""
    kind = BLOCK_KINDS[name]
    try:
        spec = block_spec(kind, shape, width, stride)
    except SpecError as exc:
        return {"error": str(exc)}
    trace = trace_spec(spec)
    block = [l for l in trace.layers if l.stage == "stage1"]
    if not trace.ok and trace.error.op.stage == "stage1":
        return {"error": f"cannot be built here: {trace.error.reason}"}
    only_block = Analysis(spec, Trace(spec, [trace.layers[0], *block]))
    graph = to_graph(only_block, level="layer", direction="TB")
    graph.attr(label=f"{kind.title}", size="7,9")
    return {
        "params": sum(l.params for l in block),
        "macs": sum(l.macs for l in block),
        "output": fmt_shape(block[-1].output_shape),
        "layers": len(block),
        "skips": sum(1 for l in block if l.kind == "add"),
        "dot": graph.source,
        "script": to_python(spec) if trace.ok else None,
    }


st.title("Block gallery")
st.markdown(
    "Every kind of block the library builds, one block each, measured by the tracer "
    f"for the input and width you choose. Skip connections are {SKIP_EDGES}."
)

with presentation.settings_container("Input and width"):
    c = st.columns(5)
    h = c[0].number_input("Input height", 1, 512, 16, key="gallery_h")
    w = c[1].number_input("Input width", 1, 512, 16, key="gallery_w")
    ch = c[2].number_input("Input channels", 1, 2048, 64, key="gallery_c")
    width = c[3].number_input(
        "Output channels",
        4,
        4096,
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
