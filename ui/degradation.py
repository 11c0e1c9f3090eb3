"""The degradation experiment's figures: training error over time and against depth.

Drawn from the run store (the four runs of one group), as He et al. 2015 draw Fig. 1
and Fig. 6: thin lines training error, plain networks beside residual ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from resnet_core import verdict
from resnet_core.training.store import Run, RunStore
from resnet_core.verdict import Series, smooth
from ui.charts import COLOURS as NETWORK_COLOURS
from ui.charts import LIGHT_COLOURS

# By "is it residual": (shallow, deep); the app's one residual and plain colour.
COLOURS = {r: (LIGHT_COLOURS[r], NETWORK_COLOURS[r]) for r in (True, False)}


@dataclass(frozen=True)
class Outcome:
    """One network of the experiment, as it ended (or stands now)."""

    run: Run
    series: Series
    train_error: float | None  # over its last epoch of images (verdict.training_error)
    val_error: float | None

    @property
    def depth(self) -> int:
        return self.series.depth

    @property
    def residual(self) -> bool:
        return bool(self.series.residual)


def outcomes(store: RunStore, runs: list[Run]) -> list[Outcome]:
    out = []
    for run in runs:
        s = verdict.series_of(run, store.metrics(run.id, "batch"), store.metrics(run.id, "epoch"))
        reading = verdict.training_error(s)
        out.append(
            Outcome(
                run,
                s,
                reading.error if reading else None,
                None if s.val_accuracy is None else 1 - s.val_accuracy,
            )
        )
    return sorted(out, key=lambda o: (o.residual, o.depth))


def figure(store: RunStore, results: list[Outcome], smoothing: float = 0.8) -> go.Figure:
    """Left: training error (per chunk, smoothed) against images seen, one line per
    network. Right: the last epoch's training (solid) and validation (dotted) error
    against depth, plain and residual."""
    # Room between the charts: the right one's axis title sits in the gap, never over
    # the left one's curves.
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=0.16)
    depths = sorted({o.depth for o in results})
    for o in results:
        kind = "residual" if o.residual else "plain"
        colour = COLOURS[o.residual][int(o.depth == depths[-1])]  # deep: darker
        pts = [b for b in store.metrics(o.run.id, "batch") if b["accuracy"] is not None]
        errors = [1 - b["accuracy"] for b in pts]
        fig.add_scatter(
            x=[b["seen"] for b in pts],
            y=smooth(errors, smoothing),
            mode="lines",
            name=f"{kind}-{o.depth}",
            line=dict(color=colour, width=3, dash="solid" if o.residual else "dash"),
            row=1,
            col=1,
        )
    for residual in (False, True):
        mine = [o for o in results if o.residual == residual]
        kind = "residual" if residual else "plain"
        colour = COLOURS[residual][1]
        for key, dash, label in (
            ("train_error", "solid", "training"),
            ("val_error", "dot", "validation"),
        ):
            pts = [(o.depth, getattr(o, key)) for o in mine if getattr(o, key) is not None]
            fig.add_scatter(
                x=[d for d, _ in pts],
                y=[e for _, e in pts],
                mode="lines+markers",
                name=f"{kind}: {label} error",
                line=dict(color=colour, dash=dash, width=3),
                marker=dict(size=11),
                row=1,
                col=2,
            )
    fig.update_xaxes(title="images seen", rangemode="tozero", row=1, col=1)
    fig.update_xaxes(title="layers", tickvals=depths, row=1, col=2)
    # An error lies in 0–100 %: fixed axes (Plotly's default for an empty axis is 0–4).
    fig.update_yaxes(title="training error", range=[0, 1.02], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(title="error, last epoch", range=[0, 1.02], tickformat=".0%", row=1, col=2)
    if not any(o.train_error is not None or o.val_error is not None for o in results):
        fig.add_annotation(
            text="appears after the first epoch",
            showarrow=False,
            xref="x2 domain",
            yref="y2 domain",
            x=0.5,
            y=0.5,
            font=dict(size=14, color="#808495"),
        )
    fig.update_layout(
        height=420,
        margin=dict(t=40, b=10, l=10, r=10),
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"),
    )
    return fig
