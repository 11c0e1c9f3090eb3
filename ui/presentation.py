"""How things are shown: talk mode, readable charts, settings that step aside in a talk.

Talk mode is session state, not a page. ``?talk=1`` turns it on (the frame reads it on
every run, so a link such as Home's "Demo" works inside a session); the frame keeps it
in the URL across navigation, injects ``assets/talk.css`` and hides the sidebar. Pages
never test the URL themselves: they call these helpers.

    from ui import presentation as pr

    with pr.settings_container("Settings"):   # a collapsed expander in talk mode
        epochs = st.number_input("Epochs", 1, 100, 10)
    pr.chart(fig)                             # = st.plotly_chart(style_chart(fig), ...)
    if pr.talk_mode(): ...                    # rarely needed
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from .markdown import escape_md

TALK = "talk"  # the query parameter and the session-state key
ASSETS = Path(__file__).resolve().parent.parent / "assets"
ICON = ASSETS / "icon.svg"

# Chart type sizes in px: title, everything else (ticks, axis titles, legend, hover).
FONT = {False: (18, 14), True: (26, 18)}
TALK_CHART_HEIGHT = 540  # with the page title and the headline, fills a 720 px screen
MODEBAR_STRIP = 34  # px kept free above titles for Plotly's mode bar (top right)
TEXT_COLOUR = "#31333F"  # Streamlit's own text colour: 12.6:1 on the white page
# The width a chart has at 1024 px, for laying out its legend: in a talk the page's,
# normally the page's less the sidebar's.
LEGEND_WIDTH = {False: 640, True: 900}

# st.plotly_chart(..., config=PLOTLY_CONFIG): no logo, only the buttons people use.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": [
        "select2d",
        "lasso2d",
        "autoScale2d",
        "toggleSpikelines",
        "hoverClosestCartesian",
        "hoverCompareCartesian",
    ],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def read_talk_from_url() -> None:
    """The frame's job, once per run: ``?talk=1`` / ``?talk=0`` set the mode; no
    ``talk`` parameter (navigation clears the query) keeps the session's mode."""
    value = st.query_params.get(TALK)
    if value is not None:
        st.session_state[TALK] = value == "1"


def talk_mode() -> bool:
    """Is this session presenting? (Large type, no sidebar, settings folded away.)"""
    return bool(st.session_state.get(TALK, False))


def set_talk_mode(on: bool) -> None:
    st.session_state[TALK] = on


def stylesheet(name: str) -> str:
    """``assets/<name>`` wrapped in a ``<style>`` tag (our own file: no user text)."""
    return f"<style>{(ASSETS / name).read_text(encoding='utf-8')}</style>"


def settings_container(label: str = "Settings", where=None):
    """Where a page puts its inputs: inline normally, a collapsed expander in talk mode;
    ``where``: in that container or column (default: the page).

    Use as ``with settings_container(): ...`` or call methods on it.
    """
    where = where or st
    return where.expander(label, expanded=False) if talk_mode() else where.container()


def style_chart(fig, *, talk: bool | None = None, height: int | None = None):
    """``fig`` (any Plotly figure) with readable type; returned.

    Fonts: 14 px (18 px titles) normally, 18 px (26 px titles) in talk mode, in the
    page's text colour (Plotly's theme grey reads 3.6:1 on white; this 12.6:1). Normally
    the top margin keeps titles below the mode bar's strip; a talk has no mode bar. A
    horizontal legend sits above the plot, under the title, with room for all its rows
    and the top tick label: it never covers the plot. ``height`` wins; otherwise talk
    mode makes the chart tall and normal mode keeps the figure's own height.
    """
    talk = talk_mode() if talk is None else talk
    title_px, text_px = FONT[talk]
    strip = 0 if talk else MODEBAR_STRIP
    layout = fig.layout
    has_title = bool(layout.title.text)
    # Subplot titles are annotations at the top of the plot area; they need a line too.
    has_subtitles = any(
        a.yref == "paper" and a.y is not None and a.y >= 1 for a in layout.annotations
    )
    # A horizontal legend goes above the plot, under the title: below, it hides the
    # x-axis title.
    top_legend = layout.legend.orientation == "h" and layout.showlegend is not False
    title_lines = 0
    if has_title:
        layout.title.text = wrap(layout.title.text)
        title_lines = layout.title.text.count("<br>") + 1
    above_legend = strip + title_px * 1.4 * title_lines + 4
    legend_px = legend_rows(fig, text_px, LEGEND_WIDTH[talk]) * text_px * 1.45 if top_legend else 0
    top = (
        above_legend + legend_px + (text_px * 1.6 if has_subtitles else 0) + text_px * 0.6 + 6
    )  # half the top tick label stands above the plot
    margin = layout.margin
    if talk or height:
        fig.update_layout(height=height or TALK_CHART_HEIGHT)
    fig.update_layout(
        font=dict(size=text_px, color=TEXT_COLOUR),
        title=dict(
            font=dict(size=title_px), yref="container", y=1, yanchor="top", pad=dict(t=strip)
        ),
        legend=dict(font=dict(size=text_px, color=TEXT_COLOUR)),
        hoverlabel=dict(font=dict(size=text_px)),
        margin=dict(
            t=int(top),
            b=margin.b if margin.b is not None else 10,
            l=margin.l if margin.l is not None else 10,
            r=margin.r if margin.r is not None else 10,
        ),
    )
    if top_legend:  # measured from the top of the figure, not from the plot
        total = fig.layout.height or 450  # Plotly's default height
        fig.update_layout(
            legend=dict(
                x=0, xanchor="left", yref="container", y=1 - above_legend / total, yanchor="top"
            )
        )
    # Themes set these one by one, and a specific size beats layout.font: set them all.
    # automargin: the margin grows to hold the tick labels and the axis title (a figure's
    # own narrow margin cut "Accuracy (%)" to "ccuracy (%)" at these sizes).
    for axes in (fig.update_xaxes, fig.update_yaxes):
        axes(
            tickfont=dict(size=text_px, color=TEXT_COLOUR),
            title_font=dict(size=text_px, color=TEXT_COLOUR),
            automargin=True,
        )
    # 3-D plots (the loss surfaces) have their own axes in each scene.
    axis3d = dict(
        tickfont=dict(size=text_px, color=TEXT_COLOUR),
        title_font=dict(size=text_px, color=TEXT_COLOUR),
    )
    fig.update_scenes(xaxis=axis3d, yaxis=axis3d, zaxis=axis3d)
    fig.update_annotations(font_size=text_px)
    for a in layout.annotations:  # subplot titles: titles, one step below the main one
        if a.yref == "paper" and a.y is not None and a.y >= 1:
            a.font.size = text_px + 2
    fig.update_coloraxes(colorbar_tickfont_size=text_px)
    for trace in fig.data:
        if "textfont" in trace:
            trace.textfont.size = max(trace.textfont.size or 0, text_px)
        if "colorbar" in trace:
            trace.colorbar.tickfont.size = text_px
    return fig


def legend_rows(fig, text_px: int, width: int) -> int:
    """How many rows a horizontal legend of ``fig`` takes in ``width`` px (an estimate
    on the safe side: Plotly wraps entries as words wrap)."""
    rows, used = 1, 0.0
    for trace in fig.data:
        if trace.showlegend is False or not trace.name:
            continue
        if trace.showlegend is None and len(fig.data) == 1:
            continue  # Plotly shows no legend for a single trace
        entry = 46 + 0.58 * text_px * len(trace.name)
        if used and used + entry > width:
            rows, used = rows + 1, 0.0
        used += entry
    return rows


def wrap(title: str, width: int = 40) -> str:
    """A long title on two or more lines (Plotly cuts a title off at the chart's edge)."""
    if len(title) <= width or "<br>" in title:
        return title
    lines, line = [], ""
    for word in title.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line])


def chart(fig, where=None, *, height: int | None = None, **kwargs):
    """``st.plotly_chart`` of ``style_chart(fig)`` with :data:`PLOTLY_CONFIG`, full width.

    ``where`` is a container or column (default: the page); ``kwargs`` go to
    ``plotly_chart`` (``key``, ``on_select``...).
    """
    kwargs.setdefault("width", "stretch")
    # In a talk, no toolbar: nobody zooms a projected chart, and it covers the corner.
    kwargs.setdefault(
        "config", {**PLOTLY_CONFIG, "displayModeBar": False} if talk_mode() else PLOTLY_CONFIG
    )
    return (where or st).plotly_chart(style_chart(fig, height=height), **kwargs)


def headline(text: str, detail: str = "", *, key: str, where=None) -> None:
    """The one sentence a demo is about (a race's result, the lead while it runs), in
    large type (``.st-key-headline_*`` in the stylesheets); ``detail`` smaller under it.
    The text is shown as the characters it is (run names are user text)."""
    if not text:
        return

    box = (where or st).container(key=f"headline_{key}")
    box.markdown(escape_md(text))
    if detail:
        box.caption(escape_md(detail))
