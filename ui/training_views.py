"""Figures and panels of training runs: live curves, status lines, replay, confusion.

The Train, Race and Runs pages all show runs through :func:`live_panel` (a fragment that
redraws itself while a run is active) and :func:`curves`; nothing here computes a
training figure of its own: it reads the run store.
"""

from __future__ import annotations

import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from resnet_core import verdict
from resnet_core.training.estimate import duration, seconds_left
from resnet_core.training.queue import waiting_text, where
from resnet_core.training.store import Run, RunStore
from resnet_core.verdict import smooth  # noqa: F401 - the charts' smoothing, one home

from . import presentation
from .charts import plotly_text
from .common import escape_md

TALK_PANEL_CHART = 290  # px: under the title, status, sentence and "look inside", within 720 px
PALETTE = ["#1f6feb", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"]
SILENT_SECONDS = 60  # training points come every half second: this is long
ACCURACY_HELP = (
    "Accuracy on the validation images after the last epoch; until the first "
    "epoch ends, on the last training batches (labelled training)."
)
PHASE_WORDS = {
    "loading data": "loading the data",
    "building": "building the network",
    "compiling": "compiling the network (its first step traces the graph; the curve "
    "moves on after it)",
    "validating": "validating",
    "saving": "saving a checkpoint",
}


# ----------------------------------------------------------------------- numbers
def series(store: RunStore, runs: list[Run]) -> list[verdict.Series]:
    """The runs' metric series, as :mod:`resnet_core.verdict` reads them."""
    return [
        verdict.series_of(r, store.metrics(r.id, "batch"), store.metrics(r.id, "epoch"))
        for r in runs
    ]


def group_progress(store: RunStore, runs: list[Run]) -> tuple[float, str]:
    """``(fraction, text)``: one progress line for runs trained together in lockstep
    (the degradation experiment): what they do, the step of the slowest, the time left
    (one process steps each network in turn: the sum of their times)."""
    counts: dict[str, int] = {}
    for r in runs:
        if r.active:  # a word each: "3 training, 1 compiling"
            w = (
                r.phase
                if r.status == "running" and r.phase in PHASE_WORDS
                else "training"
                if r.status == "running"
                else status_line(store, r)
            )
            counts[w] = counts.get(w, 0) + 1
    text = ", ".join(
        f"{n} {w}" if len(counts) > 1 else w for w, n in counts.items()
    ) or status_line(store, runs[0])
    steps, left = [], 0.0
    for r in runs:
        batches = store.metrics(r.id, "batch")
        steps.append(batches[-1]["step"] if batches else 0)
        ips = next(
            (m["images_per_second"] for m in reversed(batches) if m["images_per_second"]), None
        )
        if r.active and ips and r.total_steps:
            left += (r.total_steps - steps[-1]) * r.settings.get("batch_size", 1) / ips
    total = max((r.total_steps for r in runs), default=0)
    if total:
        text += f" · step {min(steps):,} of {total:,}"
    if left and all(r.status != "stopping" for r in runs):
        text += f" · about {duration(left)} left"
    return (min(min(steps) / total, 1.0) if total else 0.0), text


def run_clock(store: RunStore, runs: list[Run]) -> float | None:
    """The wall-clock time of the first point of these runs (replay starts there)."""
    firsts = [m[0]["time"] for r in runs if (m := store.metrics(r.id, "batch"))]
    return min(firsts) if firsts else None


# ----------------------------------------------------------------------- figures
def curves(
    store: RunStore,
    runs: list[Run],
    x_axis: str = "seen",
    smoothing: float = 0.0,
    until: float | None = None,
) -> go.Figure:
    """Loss and accuracy: training per chunk of steps (lines; smoothed if asked, the raw
    points faint behind), validation per epoch (markers); one colour per run.

    ``until``: only points recorded before this wall-clock time (a replay).
    """
    # Axis titles, not subplot titles: a legend on top would cover subplot titles.
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1)
    for i, run in enumerate(runs):
        colour = PALETTE[i % len(PALETTE)]
        # Plotly reads tags in legend text (<a href>, <b>): a run's name is shown as text.
        label = plotly_text(
            run.name if len({r.name for r in runs}) == len(runs) else f"{run.name} ({run.id[-6:]})"
        )
        batches = store.metrics(run.id, "batch")
        epochs = store.metrics(run.id, "epoch")
        if until is not None:
            batches = [b for b in batches if b["time"] <= until]
            epochs = [e for e in epochs if e["time"] <= until]
        for col, key in ((1, "loss"), (2, "accuracy")):
            pts = [b for b in batches if b[key] is not None]
            xs, ys = [b[x_axis] for b in pts], [b[key] for b in pts]
            mode = "lines" if len(pts) > 2 else "lines+markers"
            if smoothing > 0 and len(pts) > 2:
                fig.add_scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line=dict(color=colour, width=1),
                    opacity=0.25,
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=label,
                    row=1,
                    col=col,
                )
                ys = smooth(ys, smoothing)
            fig.add_scatter(
                x=xs,
                y=ys,
                mode=mode,
                name=f"{label} · training",
                line=dict(color=colour, width=3),
                legendgroup=label,
                showlegend=False,
                row=1,
                col=col,
            )
            vpts = [e for e in epochs if e[f"val_{key}"] is not None]
            fig.add_scatter(
                x=[e[x_axis] for e in vpts],
                y=[e[f"val_{key}"] for e in vpts],
                mode="lines+markers",
                name=f"{label} · validation",
                line=dict(color=colour, dash="dot", width=2),
                marker=dict(size=9, symbol="diamond"),
                legendgroup=label,
                showlegend=False,
                row=1,
                col=col,
            )
        # The legend: one entry per network (its colour), then the two line styles.
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="lines",
            name=label,
            legendgroup=label,
            line=dict(color=colour, width=6),
        )
    for name, line, mode in (
        ("training", dict(width=3), "lines"),
        ("validation (each epoch)", dict(dash="dot", width=2), "lines+markers"),
    ):
        fig.add_scatter(
            x=[None],
            y=[None],
            mode=mode,
            name=name,
            hoverinfo="skip",
            line=dict(color="#6b6f80", **line),
            marker=dict(size=9, symbol="diamond"),
        )
    fig.update_xaxes(
        title="images seen" if x_axis == "seen" else x_axis,
        **_count_axis([x for t in fig.data for x in t.x or () if x is not None]),
    )
    fig.update_yaxes(title="loss", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title="accuracy", range=[0, 1.02], row=1, col=2)
    fig.update_layout(
        height=400,
        margin=dict(t=40, b=10, l=10, r=10),
        legend=dict(orientation="h", x=0, xanchor="left", y=1.02, yanchor="bottom"),
    )
    return fig


def _count_axis(xs: list) -> dict:
    """An axis of counts (images, steps): whole-number ticks only, from 0 with a little
    room either side so that the first point (at 0) and the last are not cut in half."""
    span = max([1, *xs])
    axis = dict(range=[-0.03 * span, 1.03 * span], tickformat=",d")
    if span <= 5:  # Plotly would put ticks at 0.5
        axis["dtick"] = 1
    return axis


def confusion(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> go.Figure:
    k = len(class_names)
    m = np.zeros((k, k), int)
    np.add.at(m, (y_true, y_pred), 1)
    fig = go.Figure(
        go.Heatmap(
            z=m,
            x=class_names,
            y=class_names,
            colorscale="Blues",
            text=m,
            texttemplate="%{text}",
            showscale=False,
        )
    )
    # Every class labelled (Plotly's own ticks skip every other one) up to 40 classes.
    ticks = (
        dict(tickmode="array", tickvals=class_names, ticktext=[plotly_text(c) for c in class_names])
        if k <= 40
        else {}
    )
    fig.update_layout(
        title="Confusion matrix (validation)",
        height=420,
        xaxis_title="predicted",
        yaxis_title="true",
        xaxis=dict(type="category", **ticks),
        yaxis=dict(type="category", autorange="reversed", **ticks),
        margin=dict(t=40, b=10, l=10, r=10),
    )
    return fig


# ----------------------------------------------------------------------- status
def status_line(store: RunStore, run: Run) -> str:
    """What a run is doing, in words a newcomer reads: never a frozen-looking screen."""
    if run.status == "queued":
        return waiting_text(store, run)
    if run.status == "stopping":
        return "stopping after this step"
    if run.status == "running":
        words = PHASE_WORDS.get(run.phase)
        if words:
            return words
        # A dead worker is reaped within seconds (its pid is gone); one that is alive
        # but silent (stopped, swapping, a very slow step) is said, not hidden.
        silent = time.time() - (run.heartbeat or time.time())
        if silent > SILENT_SECONDS:
            return (
                f"training · no word from the worker for {duration(silent)} (a very "
                "slow step, or a stuck worker: Stop ends it)"
            )
        return "training"
    if run.status == "failed":
        return "failed"
    if run.phase == "saving":
        return f"{run.status} (saving the checkpoint)"
    return run.status


STATUS_COLOURS = {"failed": "#c62828", "diverged": "#e65100", "stopped": "#6d6d6d"}


def status_style(status: str) -> str:
    """CSS for a status cell of a runs table: a run that ended badly stands out, a
    diverged one in its own colour."""
    colour = STATUS_COLOURS.get(status)
    return f"color: {colour}; font-weight: 600" if colour else ""


def run_message(run: Run, named: bool = False) -> None:
    """A run's error, if any: a diverged run's (lower the learning rate) as a warning in
    its own colour, any other as an error."""
    if not run.error:
        return
    text = escape_md(f"{run.name}: {run.error}" if named else run.error)
    if run.status == "diverged":
        st.warning(text, icon=":material/trending_up:")
    else:
        st.error(text)


def progress(store: RunStore, run: Run) -> tuple[float, str]:
    """``(fraction, text)`` for a progress bar: step, and the time left from the measured
    speed; for a run of a group (a race, the degradation experiment), the group's time
    left: its members train in lockstep, in one call per chunk that times them all."""
    step, mine = where(store, run)
    total = max(run.total_steps, 1)
    text = status_line(store, run)
    if run.total_steps:  # unknown until the data is loaded: then no step count at all
        text += f" · step {step:,} of {run.total_steps:,}"
    if run.active and mine.images_per_second and run.status != "stopping":
        members = (
            [where(store, r)[1] for r in store.group(run.group_id)] if run.group_id else [mine]
        )
        remaining = seconds_left(members)
        if remaining is not None:
            text += f" · about {duration(remaining)} left"
    return min(step / total, 1.0), text


PREPARING = {"loading data": "loading…", "building": "building…", "compiling": "compiling…"}


def epoch_reached(store: RunStore, run: Run) -> int:
    """The epochs done, or the one a run trained in last when it ended (was stopped)
    within an epoch: never fewer than the page showed while it trained."""
    trained = [b["epoch"] + 1 for b in store.metrics(run.id, "batch") if b["seen"]]
    return max([run.epochs_done, *trained])


def epoch_text(store: RunStore, run: Run) -> str:
    """``3 / 5``: the epoch of the last trained step (a word while a run prepares:
    loading, compiling); a run stopped within epoch 2 shows ``2 / 5`` as it did."""
    total = run.settings.get("epochs") or 0
    if run.status == "queued":
        return f"0 / {total}"
    reached = epoch_reached(store, run)
    if run.active and run.phase in PREPARING and not reached:
        return PREPARING[run.phase]
    # The epoch of the last trained step (so Stop, between two epochs too, shows the
    # same number): the next one counts once its first step is trained.
    now = max(reached, 1) if run.active else reached
    return f"{min(now, total)} / {total}"


def headline_accuracy(store: RunStore, run: Run) -> tuple[float | None, str]:
    """``(accuracy, kind)``: the last validation accuracy; before the first epoch ends,
    the last training accuracy (``kind`` says which: "validation" or "training")."""
    vals = [
        e["val_accuracy"] for e in store.metrics(run.id, "epoch") if e["val_accuracy"] is not None
    ]
    if vals:
        return vals[-1], "validation"
    train = [
        b["accuracy"]
        for b in store.metrics(run.id, "batch")
        if b["accuracy"] is not None and b["seen"]
    ]
    return (train[-1], "training") if train else (None, "validation")


# ----------------------------------------------------------------------- panels
def live_panel(store: RunStore, run_ids: list[str], key: str) -> None:
    """Runs watched live: one status line each, the headline figures, one Stop button,
    and the curves (all runs on one chart). Redraws itself every second while any run
    is active; once all are done it draws once more and rests."""
    runs = [r for i in run_ids if (r := store.get(i)) is not None]
    if not runs:
        return
    active = any(_live(r) for r in runs)

    @st.fragment(run_every=1.0 if active else None)
    def panel():
        if time.time() - st.session_state.get("_reaped", 0.0) > 3:  # a worker killed
            st.session_state["_reaped"] = time.time()  # mid-run shows as failed
            store.reap()
        current = [r for i in run_ids if (r := store.get(i)) is not None]
        talk = presentation.talk_mode()
        lead = current[0]
        # A race in a talk: the status line, Stop beside it, the sentence and the chart;
        # the validation figures are the sentence's second line, not metric cards.
        race_talk = talk and len(current) == 2
        top = st.columns([5, 1], vertical_alignment="center") if race_talk else [st, None]
        # One line of status in a talk (the screen is for the sentence and the chart), and
        # once every run has ended: full progress bars at 100 % only pushed the chart down.
        # Out of a talk the line keeps the steps: "stopped · step 12 of 40".
        if talk or not any(r.active for r in current):
            lines = [status_line(store, r) if talk else progress(store, r)[1] for r in current]
            epoch = f" · epoch {epoch_text(store, lead)}" if len(current) > 1 else ""
            if len(current) > 1 and len(set(lines)) == 1:  # said once, not per network
                top[0].caption(
                    " and ".join(f"**{escape_md(r.name)}**" for r in current)
                    + f": {escape_md(lines[0] + epoch)}"
                )
            else:
                top[0].caption(
                    " · ".join(
                        (f"**{escape_md(r.name)}**: " if len(current) > 1 else "") + escape_md(line)
                        for r, line in zip(current, lines)
                    )
                    + epoch
                )
        else:
            for r in current:
                fraction, text = progress(store, r)
                label = escape_md(text)
                if len(current) > 1:
                    label = f"**{escape_md(r.name)}** · {label}"
                st.progress(fraction, text=label)
        for r in current:
            run_message(r, named=len(current) > 1)
        if len(current) == 2:  # a race: who leads now; once ended, the result
            said = verdict.race(*series(store, current))
            presentation.headline(said.text, said.detail if race_talk else "", key=key)
        batches = store.metrics(lead.id, "batch")
        ips = next(
            (m["images_per_second"] for m in reversed(batches) if m["images_per_second"]), None
        )
        if race_talk:
            cols = [top[1]]
        elif len(current) == 1:
            cols = st.columns(4, vertical_alignment="center")
            cols[0].metric("Images / s", f"{ips:,.0f}" if ips else "—")
            cols[1].metric("Epoch", epoch_text(store, lead))
            acc, kind = headline_accuracy(store, lead)
            cols[2].metric(
                f"{kind.capitalize()} accuracy",
                f"{acc:.1%}" if acc is not None else "—",
                help=ACCURACY_HELP,
            )
        else:  # in a talk the epoch is in the status line: the labels get room
            cols = st.columns(3 if talk else 4, vertical_alignment="center")
            for col, r in zip(cols[:2], current[:2]):
                acc, kind = headline_accuracy(store, r)
                col.metric(
                    f"{escape_md(r.name)} · {kind}",
                    f"{acc:.1%}" if acc is not None else "—",
                    help=ACCURACY_HELP,
                )
            if not talk:
                cols[2].metric("Epoch", epoch_text(store, lead))
        still = [r for r in current if r.active]
        if still and cols[-1].button(
            "Stop",
            key=f"stop_{key}",
            type="primary",
            width="stretch",
            icon=":material/stop_circle:",
        ):
            for r in still:
                store.request_stop(r.id)
            st.toast("Stopping after this step; what was learned is kept.")
        smoothing = st.session_state.get(f"smooth_{key}", verdict.SMOOTHING)
        presentation.chart(
            curves(store, current, smoothing=smoothing),
            key=f"curves_{key}",
            height=TALK_PANEL_CHART if talk else None,
        )
        if not talk:
            st.slider(
                "Smoothing of the training curve",
                0.0,
                verdict.MAX_SMOOTHING,
                verdict.SMOOTHING,
                0.05,
                key=f"smooth_{key}",
                help="An exponential moving average, as in "
                "TensorBoard; the raw points stay faint behind the line.",
            )
        if active and not any(_live(r) for r in current):
            st.rerun()  # the runs ended: redraw the page once, without polling

    panel()


def _live(run: Run) -> bool:
    """Still changing: active, or stopped with its checkpoint being written."""
    return run.active or run.phase == "saving"


def replay_panel(store: RunStore, runs: list[Run], key: str) -> None:
    """Replay stored runs on the chart at their recorded pace, or faster: the fallback
    when a venue's laptop is slow. Points appear as they did, by their wall-clock time."""
    t0 = run_clock(store, runs)
    if t0 is None:
        st.info("These runs have no recorded points to replay.")
        return
    last = max(m[-1]["time"] for r in runs if (m := store.metrics(r.id)))
    c = st.columns([2, 1, 1], vertical_alignment="bottom")
    speed = c[0].select_slider(
        "Replay speed (1×: as recorded)",
        [1, 2, 5, 10, 30, 100],
        value=5,
        format_func=lambda v: f"{v}×",
        key=f"speed_{key}",
    )
    state_key = f"replay_{key}"
    if c[1].button("Replay", key=f"play_{key}", icon=":material/replay:", width="stretch"):
        st.session_state[state_key] = (time.time(), speed)
    if c[2].button("Show all", key=f"all_{key}", width="stretch"):
        st.session_state.pop(state_key, None)
    started = st.session_state.get(state_key)
    duration = last - t0

    @st.fragment(run_every=0.5 if started else None)
    def frame():
        begun = st.session_state.get(state_key)
        if begun is None:
            presentation.chart(curves(store, runs), key=f"replay_chart_{key}")
            return
        at, pace = begun
        elapsed = (time.time() - at) * pace
        until = t0 + elapsed
        st.progress(
            min(elapsed / max(duration, 1e-9), 1.0),
            text=f"replay at {pace}× · {min(elapsed, duration):.0f} s of {duration:.0f} s recorded",
        )
        presentation.chart(curves(store, runs, until=until), key=f"replay_chart_{key}")
        if elapsed > duration:
            st.session_state.pop(state_key, None)
            st.rerun()

    frame()


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
    lines = [",".join(keys)] + [
        ",".join("" if r[k] is None else str(r[k]) for k in keys) for r in rows
    ]
    return ("\n".join(lines) + "\n").encode()
