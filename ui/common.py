"""Pieces every page shares: number formats, the sidebar summary, friendly errors."""

from __future__ import annotations

import streamlit as st

from resnet_core.analysis import Analysis, human
from resnet_core.trace import fmt_shape

from . import state


def escape_md(text: str) -> str:
    """Text shown through markdown (labels, errors, names from a link) as the characters
    it is: every markdown, HTML and LaTeX sign escaped with a backslash."""
    return "".join("\\" + ch if ch in MARKDOWN_SIGNS else ch for ch in str(text))


MARKDOWN_SIGNS = set("\\`*_{}[]()#+-.!|<>~$:")


def params(n: int) -> str:
    """Parameters with thousands separators, exactly like ``23,600,006``."""
    return f"{n:,}"


def macs(n: int) -> str:
    return human(n)


def output_shape(a: Analysis) -> str:
    return fmt_shape(a.totals.output_shape) if a.ok else "cannot be built"


def headline(a: Analysis, container=None) -> None:
    """Parameters, MACs, depth and output shape as four metrics."""
    c = container or st
    t = a.totals
    cols = c.columns(4)
    cols[0].metric("Parameters", params(t.total_params))
    cols[1].metric("MACs", macs(t.macs))
    cols[2].metric("Depth", t.depth, help="weighted layers on the main path")
    cols[3].metric("Output", output_shape(a))


def sidebar(container) -> None:
    """The current network's name and headline totals, on every page."""
    a = state.current_analysis()
    t = a.totals
    edited = "spec" in st.query_params
    with container:
        st.markdown(f"**Network:** {escape_md(a.spec.name)}" + (" *(edited)*" if edited else ""))
        st.markdown(f"Parameters: **{params(t.total_params)}**  \n"
                    f"MACs: **{macs(t.macs)}**  \nOutput: **{output_shape(a)}**  \n"
                    f"Depth: **{t.depth}**")
        if not a.ok:
            st.warning("This network cannot be built; see Compose.")


def show_url_message() -> None:
    msg = st.session_state.pop("url_message", None)
    if msg:  # it quotes the link: shown as the characters it is
        st.warning(escape_md(msg))
