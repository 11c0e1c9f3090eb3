"""Plotly figures of an analysis (and of two, for Compare)."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from resnet_core.analysis import Analysis

# Residual and plain networks, the same colours on every page (keyed by "is it residual"):
# Plotly's blue and red, and their light shades for the shallower of two depths.
COLOURS = {True: "#1f77b4", False: "#d62728"}
LIGHT_COLOURS = {True: "#aec7e8", False: "#ff9896"}


def plotly_text(text: str) -> str:
    """``text`` for a Plotly label (legend, tick, title), shown as written: Plotly reads
    a few tags there, so <, > and & are escaped; quotes are not, as Plotly decodes only
    &amp; &lt; &gt; (and a few more) and numeric entities, never &quot;."""
    return html.escape(text, quote=False)


def stage_bars(a: Analysis) -> go.Figure:
    """Parameters and MACs per stage, side by side."""
    stages = a.stages()
    names = [s.stage for s in stages]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Parameters per stage", "MACs per stage"))
    fig.add_bar(x=names, y=[s.params for s in stages], name="parameters", row=1, col=1)
    fig.add_bar(x=names, y=[s.macs for s in stages], name="MACs", row=1, col=2)
    fig.update_layout(showlegend=False, height=340, margin=dict(t=40, b=10, l=10, r=10))
    return fig


def output_size(a: Analysis) -> go.Figure:
    """Spatial size and channels of every main-path layer, through the network."""
    layers = [l for l in a.layers if l.role == "main" and len(l.output_shape) == 3]
    idx = list(range(len(layers)))
    names = [l.name for l in layers]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(
        x=idx,
        y=[l.output_shape[0] * l.output_shape[1] for l in layers],
        name="height × width",
        hovertext=names,
        mode="lines",
    )
    fig.add_scatter(
        x=idx,
        y=[l.output_shape[2] for l in layers],
        name="channels",
        hovertext=names,
        mode="lines",
        secondary_y=True,
    )
    fig.update_layout(
        title="Output size through the network",
        height=340,
        margin=dict(t=40, b=10, l=10, r=10),
        legend=dict(orientation="h"),
    )
    fig.update_xaxes(title="layer (main path)")
    # Ticks at the sizes that occur (a few per network), labelled as people say them;
    # the channel axis keeps its own ticks rather than the pixel axis's grid.
    sizes = sorted({l.output_shape[:2] for l in layers}, key=lambda s: s[0] * s[1])
    fig.update_yaxes(
        title="map size",
        type="log",
        secondary_y=False,
        **_ticks([h * w for h, w in sizes], [f"{h}×{w}" for h, w in sizes]),
    )
    channels = sorted({l.output_shape[2] for l in layers})
    fig.update_yaxes(
        title="channels",
        type="log",
        secondary_y=True,
        showgrid=False,
        **_ticks(channels, [str(c) for c in channels]),
    )
    return fig


def _ticks(values: list, labels: list[str], most: int = 8) -> dict:
    """Fixed ticks on a log axis at the (ascending) values, thinned so that no two labels
    touch and at most ``most`` remain, first and last kept. (Plotly's own log ticks read
    "5, 2, 1000, 5, 2": never those.)"""
    kept = []
    for v, label in zip(values, labels):
        if not kept or v >= 2 * kept[-1][0]:  # a factor 2: about 30 px apart on a chart
            kept.append((v, label))
    if len(kept) > most:
        step = (len(kept) - 1) / (most - 1)
        kept = [kept[round(i * step)] for i in range(most)]
    return dict(
        tickmode="array", tickvals=[v for v, _ in kept], ticktext=[label for _, label in kept]
    )


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def log_number(v: float, power: bool = False) -> str:
    """A log axis's tick as people read it: 0.5, 20, 5000; beyond (or with ``power``),
    5×10⁻⁶ (never the bare "5" Plotly writes for 0.5 between decades)."""
    if 1e-3 <= v < 1e5 and not power:
        return f"{v:,.6g}" if v >= 1 else f"{v:.6g}"
    exp = int(np.floor(np.log10(v) + 1e-9))
    mant = round(v / 10**exp, 6)
    power = f"10{str(exp).translate(SUPERSCRIPT)}"
    return power if mant == 1 else f"{mant:g}×{power}"


def log_ticks(lo: float, hi: float) -> dict:
    """Tick settings for a log axis whose range is ``[lo, hi]`` in decades (log10): 1, 2
    and 5 of each decade when it spans three decades or fewer, else decades only (every
    second or more when they would crowd), each labelled in full."""
    first, last = int(np.floor(lo)), int(np.ceil(hi))
    steps = (1, 2, 5) if hi - lo <= 3 else (1,)
    every = max(1, int(np.ceil((last - first) / 8)))
    vals = [
        m * 10.0**e
        for e in range(first, last + 1)
        if (e - first) % every == 0
        for m in steps
        if lo <= np.log10(m * 10.0**e) <= hi
    ]
    power = any(not 1e-3 <= v < 1e5 for v in vals)  # one notation along an axis
    return dict(tickmode="array", tickvals=vals, ticktext=[log_number(v, power) for v in vals])


def receptive_field(a: Analysis) -> go.Figure:
    stages = [s for s in a.stages() if s.stage != "head"]
    fig = go.Figure(
        go.Scatter(
            x=[s.stage for s in stages], y=[s.receptive_field for s in stages], mode="lines+markers"
        )
    )
    side = max(a.spec.input_shape[:2])
    fig.add_hline(y=side, line_dash="dot", annotation_text=f"input side {side}px")
    fig.update_layout(
        title="Receptive field after each stage (px)",
        height=300,
        margin=dict(t=40, b=10, l=10, r=10),
    )
    return fig


def compare_stages(a: Analysis, b: Analysis, metric: str) -> go.Figure:
    """Grouped bars of ``metric`` ('params' or 'macs') per stage for two networks."""
    fig = go.Figure()
    for label, x in (("A: " + plotly_text(a.spec.name), a), ("B: " + plotly_text(b.spec.name), b)):
        stages = x.stages()
        fig.add_bar(x=[s.stage for s in stages], y=[getattr(s, metric) for s in stages], name=label)
    fig.update_layout(
        barmode="group",
        height=340,
        margin=dict(t=40, b=10, l=10, r=10),
        title=("Parameters" if metric == "params" else "MACs") + " per stage",
        legend=dict(orientation="h"),
    )
    return fig
