"""Pieces every page shares: number formats, the sidebar summary, friendly errors."""

from __future__ import annotations

import re

import streamlit as st

from resnet_core.analysis import Analysis, human
from resnet_core.trace import fmt_shape

from . import state


def escape_md(text: str) -> str:
    """Text shown through markdown (labels, errors, names from a link) as the characters
    it is: every markdown, HTML, LaTeX and Streamlit sign becomes a numeric character
    reference. GitHub-style autolinks are found in the text after parsing, so a bare
    ``http://``, ``www.`` or ``@`` also gets an invisible word joiner that stops them."""
    text = _AUTOLINK.sub(lambda m: m.group(0)[:-1] + WORD_JOINER + m.group(0)[-1], str(text))
    return "".join(f"&#{ord(ch)};" if ch in MARKDOWN_SIGNS else ch for ch in text)


MARKDOWN_SIGNS = set("\\`*_{}[]()#+-.!|<>~$:&")
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"://|(?<=w)ww\.|@", re.IGNORECASE)


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
