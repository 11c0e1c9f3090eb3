"""The figures of the Inside-the-networks page: lesion, loss landscape, block responses.

Each function takes the results of :func:`resnet_core.experiments.compute` (one per
network, residual first) and returns Plotly figures; networks side by side share a scale.
"""

from __future__ import annotations

import math
import re

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.charts import COLOURS as COLORS  # residual, plain: one home for the app
from ui.charts import plotly_text


def _block(name: str) -> str:
    """A block's name on an axis: ``stage2_block3`` as ``2.3`` (seven full names stood
    on end and left a talk's chart a few pixels of plot); other names as written."""
    m = re.fullmatch(r"stage(\d+)_block(\d+)", name)
    return f"{m[1]}.{m[2]}" if m else plotly_text(name)


def _label(r: dict) -> str:
    """A network's name in a legend or a title, shown as written (``<b>`` stays text)."""
    return plotly_text(f"{'residual' if r['residual'] else 'plain'}: {r['network']}")


# ------------------------------------------------------------------------------ lesion
def lesion_single(results: list[dict]) -> go.Figure:
    """Accuracy with each block deleted, per network; its full accuracy dashed, chance
    dotted."""
    fig = go.Figure()
    for r in results:
        c = COLORS[r["residual"]]
        fig.add_scatter(
            x=[_block(s["block"]) for s in r["single"]],
            y=[100 * s["accuracy"] for s in r["single"]],
            mode="lines+markers",
            name=_label(r),
            line=dict(color=c),
            marker=dict(size=9),
        )
        fig.add_hline(y=100 * r["baseline"], line=dict(color=c, dash="dash", width=1))
    fig.add_hline(
        y=100 * results[0]["chance"],
        line=dict(color="grey", dash="dot", width=1),
        annotation_text="chance",
        annotation_position="bottom right",
    )
    fig.update_layout(
        title="Delete one block",
        height=380,
        legend=dict(orientation="h"),
        margin=dict(l=10, r=10, b=10),
    )
    fig.update_xaxes(title="deleted block (stage.block)", type="category")
    fig.update_yaxes(title="validation accuracy (%)", range=[0, 102])
    return fig


def lesion_random(results: list[dict]) -> go.Figure:
    """Mean accuracy with k random blocks deleted (each sample faint behind)."""
    fig = go.Figure()
    for r in results:
        c = COLORS[r["residual"]]
        xs = [p["k"] for p in r["random"] for _ in p["accuracies"]]
        ys = [100 * a for p in r["random"] for a in p["accuracies"]]
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="markers",
            marker=dict(color=c, opacity=0.3, size=6),
            showlegend=False,
            hoverinfo="skip",
        )
        fig.add_scatter(
            x=[0] + [p["k"] for p in r["random"]],
            y=[100 * r["baseline"]] + [100 * p["mean"] for p in r["random"]],
            mode="lines+markers",
            name=_label(r),
            line=dict(color=c),
        )
    fig.add_hline(y=100 * results[0]["chance"], line=dict(color="grey", dash="dot", width=1))
    fig.update_layout(
        title="Delete k random blocks",
        height=380,
        legend=dict(orientation="h"),
        margin=dict(l=10, r=10, b=10),
    )
    fig.update_xaxes(title="blocks deleted (k)", dtick=1)
    fig.update_yaxes(title="validation accuracy (%)", range=[0, 102])
    return fig


# --------------------------------------------------------------------------- landscape
def _loss_grid(r: dict) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in r["loss"]])


def shared_loss_range(results: list[dict]) -> tuple[float, float]:
    """One colour and height scale for every network: 0 to the largest finite loss."""
    top = max((float(np.nanmax(_loss_grid(r))) for r in results), default=1.0)
    return 0.0, top if math.isfinite(top) and top > 0 else 1.0


def landscape_slices(results: list[dict]) -> go.Figure:
    """The 1-D slices through the trained weights, along δ (solid) and η (dashed)."""
    fig = go.Figure()
    for r in results:
        c = COLORS[r["residual"]]
        for key, dash, d in (("slice_alpha", "solid", "δ"), ("slice_beta", "dash", "η")):
            fig.add_scatter(
                x=r["alphas"],
                y=r[key],
                mode="lines",
                name=f"{_label(r)}, along {d}",
                line=dict(color=c, dash=dash),
            )
    fig.update_layout(
        title="1-D slices through the trained weights",
        height=380,
        legend=dict(orientation="h"),
        margin=dict(l=10, r=10, b=10),
    )
    fig.update_xaxes(title="step (filter-normalised)")
    fig.update_yaxes(title="training loss", range=list(shared_loss_range(results)))
    return fig


def landscape_contours(results: list[dict]) -> go.Figure:
    lo, hi = shared_loss_range(results)
    fig = make_subplots(
        rows=1,
        cols=len(results),
        subplot_titles=[_label(r) for r in results],
        horizontal_spacing=0.08,
    )
    for i, r in enumerate(results, start=1):
        fig.add_contour(
            x=r["alphas"],
            y=r["alphas"],
            z=_loss_grid(r).T,
            zmin=lo,
            zmax=hi,
            colorscale="Viridis",
            contours=dict(showlines=True),
            showscale=i == len(results),
            row=1,
            col=i,
            colorbar=dict(title="loss"),
        )
        fig.add_scatter(
            x=[0],
            y=[0],
            mode="markers",
            marker=dict(color="white", size=9, symbol="x"),
            showlegend=False,
            row=1,
            col=i,
            hoverinfo="skip",
        )
    fig.update_layout(title="Loss contours (same scale)", height=420, margin=dict(l=10, r=10, b=10))
    fig.update_xaxes(title="α (along δ)")
    fig.update_yaxes(title="β (along η)")
    return fig


def landscape_surfaces(results: list[dict]) -> go.Figure:
    lo, hi = shared_loss_range(results)
    fig = make_subplots(
        rows=1,
        cols=len(results),
        specs=[[{"type": "surface"}] * len(results)],
        subplot_titles=[_label(r) for r in results],
        horizontal_spacing=0.02,
    )
    for i, r in enumerate(results, start=1):
        fig.add_surface(
            x=r["alphas"],
            y=r["alphas"],
            z=_loss_grid(r).T,
            cmin=lo,
            cmax=hi,
            colorscale="Viridis",
            showscale=False,
            row=1,
            col=i,
        )
    scene = dict(zaxis=dict(range=[lo, hi], title="loss"), xaxis_title="α", yaxis_title="β")
    fig.update_layout(
        title="Loss surfaces (same scale)",
        height=460,
        margin=dict(l=0, r=0, b=0),
        scene=scene,
        **({"scene2": scene} if len(results) > 1 else {}),
    )
    return fig


# --------------------------------------------------------------------------- responses
def feature_map_images(stage: dict, side: int = 96) -> list[np.ndarray]:
    """A stage's strongest maps as grey uint8 images, enlarged to about ``side`` pixels."""
    out = []
    for m in stage["maps"]:
        a = (np.asarray(m["map"], np.float64) * 255).round().astype(np.uint8)
        reps = max(1, side // max(a.shape))
        out.append(np.kron(a, np.ones((reps, reps), np.uint8)))
    return out


def block_ratios(results: list[dict]) -> go.Figure:
    """Per block: the residual branch's norm over the input's, and how much each block
    changes its input (‖output − input‖ / ‖input‖), for every network."""
    fig = go.Figure()
    for r in results:
        c = COLORS[r["residual"]]
        names = [_block(b["block"]) for b in r["blocks"]]
        if r["residual"]:
            fig.add_bar(
                x=names,
                y=[b["branch_ratio"] for b in r["blocks"]],
                name=f"{_label(r)}: ‖branch‖ / ‖input‖",
                marker_color=c,
            )
        fig.add_scatter(
            x=names,
            y=[b["change_ratio"] for b in r["blocks"]],
            mode="lines+markers",
            name=f"{_label(r)}: ‖output − input‖ / ‖input‖",
            line=dict(color=c, dash="dot"),
        )
    fig.update_layout(
        title="How much each block changes its input",
        height=380,
        legend=dict(orientation="h"),
        margin=dict(l=10, r=10, b=10),
    )
    fig.update_xaxes(title="block (stage.block)", type="category")
    fig.update_yaxes(title="ratio of norms", rangemode="tozero")
    return fig


def response_std(results: list[dict]) -> go.Figure:
    """He et al.'s Fig. 7: the std of each layer's responses, in network order."""
    fig = go.Figure()
    for r in results:
        fig.add_scatter(
            x=list(range(1, len(r["layers"]) + 1)),
            y=[l["std"] for l in r["layers"]],
            mode="lines+markers",
            name=_label(r),
            line=dict(color=COLORS[r["residual"]]),
            hovertext=[l["response"] for l in r["layers"]],
        )
    fig.update_layout(
        title="Standard deviation of layer responses (He et al., Fig. 7)",
        height=380,
        legend=dict(orientation="h"),
        margin=dict(l=10, r=10, b=10),
    )
    fig.update_xaxes(title="layer index (original)")
    fig.update_yaxes(title="std", rangemode="tozero")
    return fig
