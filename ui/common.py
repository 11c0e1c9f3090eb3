"""Pieces every page shares: number formats, the sidebar summary, friendly errors."""

from __future__ import annotations

import re
from decimal import Decimal

import streamlit as st

from resnet_core.analysis import Analysis, human
from resnet_core.trace import fmt_shape

from . import state
from .markdown import MARKDOWN_SIGNS, WORD_JOINER, escape_md  # noqa: F401 - pages call common.escape_md


def params(n: int) -> str:
    """Parameters with thousands separators, exactly like ``23,600,006``."""
    return f"{n:,}"


def plain_number(x: float) -> str:
    """A setting as people write it, never in exponent form: 1.001e-05 → ``0.00001001``."""
    return format(Decimal(repr(float(x))).normalize(), "f")


def macs(n: int) -> str:
    return human(n)


def count_column(values, label: str, help: str | None = None):
    """A number column shown as ``23,600,006``, wide enough for its widest value.

    The grid sizes a column from its first rows: a 2,099,200 further down was clipped
    on the left (",099,200"). About 8 px a character at 14 px, plus the cell's padding.
    """
    widest = max([len(params(int(v))) for v in values if v == v] + [len(label)])
    return st.column_config.NumberColumn(
        label, format="localized", width=8 * widest + 24, help=help
    )


def small_column(label: str, help: str | None = None, fmt: str | None = None):
    """A narrow number column (counts of a few digits, or ``compact`` figures like 9.6M)."""
    return st.column_config.NumberColumn(label, width="small", help=help, format=fmt)


RF_HELP = "receptive field: how many input pixels across one output value can see"
MACS_HELP = "multiply-accumulate operations for one image (k = thousand, M = million)"


def stage_table(a: Analysis, *, full: bool = False) -> None:
    """The per-stage roll-up as a table; ``full`` adds layers and depth.

    Columns are sized to their content so that all of them fit 1024 px beside the
    sidebar: wide free-sized columns pushed MACs and the receptive field off screen."""
    rows = [
        {
            "stage": s.stage,
            "blocks": s.num_blocks,
            **({"layers": s.layers, "depth": s.depth} if full else {}),
            "output": fmt_shape(s.output_shape),
            "parameters": s.params,
            "MACs": s.macs,
            "RF (px)": s.receptive_field,
        }
        for s in a.stages()
    ]
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "stage": st.column_config.TextColumn("stage", width="small"),
            "blocks": small_column("blocks"),
            "layers": small_column("layers"),
            "depth": small_column("depth", "weighted layers on the main path"),
            "output": st.column_config.TextColumn("output", width="small"),
            "parameters": count_column([r["parameters"] for r in rows], "parameters"),
            "MACs": small_column("MACs", MACS_HELP, "compact"),
            "RF (px)": small_column("RF (px)", RF_HELP),
        },
    )


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
        st.markdown(
            f"Parameters: **{params(t.total_params)}**  \n"
            f"MACs: **{macs(t.macs)}**  \nOutput: **{output_shape(a)}**  \n"
            f"Depth: **{t.depth}**"
        )
        if not a.ok:
            st.warning("This network cannot be built; see Compose.")


def show_url_message() -> None:
    msg = st.session_state.pop("url_message", None)
    if msg:  # it quotes the link: shown as the characters it is
        st.warning(escape_md(msg))


def file_stem(name: str) -> str:
    """A network's name as the start of a download's file name: letters, digits, ``.``,
    ``-`` and ``_`` only (a name may hold ``/`` or quotes), at most 60 characters."""
    return (re.sub(r"[^\w.-]+", "_", name).strip("._") or "network")[:60]
