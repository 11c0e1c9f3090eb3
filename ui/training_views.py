"""Figures and tables of training runs: live curves, run overlays, confusion, samples."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from resnet_core.training.store import Run, RunStore


def curves(store: RunStore, runs: list[Run], x_axis: str = "seen") -> go.Figure:
    """Loss and accuracy: training every few batches (lines), validation per epoch
    (markers); several runs overlay in their own colours."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss", "Accuracy"))
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"]
    for i, run in enumerate(runs):
        colour = palette[i % len(palette)]
        label = run.name if len(runs) == 1 else f"{run.name} ({run.id[-6:]})"
        batches = store.metrics(run.id, "batch")
        epochs = store.metrics(run.id, "epoch")
        for col, key in ((1, "loss"), (2, "accuracy")):
            pts = [b for b in batches if b[key] is not None]
            fig.add_scatter(x=[b[x_axis] for b in pts], y=[b[key] for b in pts],
                            mode="lines" if len(pts) > 2 else "lines+markers",
                            name=f"{label} train", line=dict(color=colour),
                            legendgroup=label, showlegend=col == 1, row=1, col=col)
            vpts = [e for e in epochs if e[f"val_{key}"] is not None]
            fig.add_scatter(x=[e[x_axis] for e in vpts], y=[e[f"val_{key}"] for e in vpts],
                            mode="lines+markers", name=f"{label} validation",
                            line=dict(color=colour, dash="dot"), legendgroup=label,
                            showlegend=col == 1, row=1, col=col)
    fig.update_xaxes(title="images seen" if x_axis == "seen" else x_axis)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    fig.update_layout(height=360, margin=dict(t=40, b=10, l=10, r=10),
                      legend=dict(orientation="h", y=-0.25))
    return fig


def confusion(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> go.Figure:
    k = len(class_names)
    m = np.zeros((k, k), int)
    np.add.at(m, (y_true, y_pred), 1)
    fig = go.Figure(go.Heatmap(z=m, x=class_names, y=class_names, colorscale="Blues",
                               text=m, texttemplate="%{text}", showscale=False))
    fig.update_layout(title="Confusion matrix (validation)", height=420,
                      xaxis_title="predicted", yaxis_title="true",
                      yaxis=dict(autorange="reversed"), margin=dict(t=40, b=10, l=10, r=10))
    return fig


def upscale(img: np.ndarray, side: int = 64) -> np.ndarray:
    """Nearest-neighbour upscale of a uint8 image for display; grey stays grey."""
    reps = max(1, side // max(img.shape[:2]))
    out = np.kron(img, np.ones((reps, reps, 1), np.uint8)) if reps > 1 else img
    return out[..., 0] if out.shape[-1] == 1 else out


def metrics_csv(store: RunStore, run_id: str) -> bytes:
    rows = store.metrics(run_id)
    if not rows:
        return b""
    keys = list(rows[0])
    lines = [",".join(keys)] + [",".join("" if r[k] is None else str(r[k]) for k in keys)
                                for r in rows]
    return ("\n".join(lines) + "\n").encode()
