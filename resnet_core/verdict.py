"""What a race or the degradation experiment shows, said in one sentence of numbers.

Pure functions over the runs' metric series (the points the engine records: one per chunk
of training steps, with the images seen so far and the chunk's accuracy and loss), so the
Race and Degradation pages say the same words and a test can hold them to the numbers.

He et al. (2015) found that a plain network trains to a *higher* training error than its
residual twin, the more so the deeper it is (Fig. 1, 4, 6). When a run here shows
something else, the sentence says what it shows, and that the paper differs.

    from resnet_core import verdict
    s = [verdict.series_of(run, store.metrics(run.id, "batch"),
                           store.metrics(run.id, "epoch")) for run in runs]
    verdict.race(s[0], s[1]).text      # live: who leads now; ended: the result
    verdict.degradation(s).text        # the four networks of the experiment
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LEVELS = (0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5)  # training accuracies a race is timed to
SMOOTHING = 0.6  # the race chart's default: the live line reads the curves' ends
MAX_SMOOTHING = 0.95  # the smoothing slider's top
LIVE_MARGIN = 0.02  # live, closer than 2 points of training error reads as level
FINAL_MARGIN = 0.005  # at the end, never "better" by less than half a point
SAME_PACE = 1.15  # reaching a level within 15 % of the images is "about as soon"
ACTIVE = ("queued", "running", "stopping")
PAPER = "the opposite of what He et al. report"  # short: the sentence fits one screen


@dataclass(frozen=True)
class Point:
    """One chunk of training steps: the images seen at its end, its accuracy and loss.
    ``loss`` NaN (or infinite) means the training diverged; ``None``: not recorded."""

    seen: int
    accuracy: float | None
    loss: float | None = None


@dataclass(frozen=True)
class Series:
    """One network's run, as far as a verdict needs it."""

    name: str
    points: tuple[Point, ...] = ()
    status: str = "completed"  # queued, running, stopping, completed, stopped, failed
    residual: bool | None = None  # None: not known (the words then name no twin)
    depth: int = 0
    val_accuracy: float | None = None  # after its last epoch
    epoch_images: int | None = None  # training images per epoch, when known

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def seen(self) -> int:
        return max((p.seen for p in self.points), default=0)


@dataclass(frozen=True)
class Verdict:
    """``text``: the one sentence; ``final``: whether the runs have ended (else it is the
    live lead line); ``detail``: a smaller line under it (validation), may be empty."""

    text: str
    final: bool
    detail: str = ""


@dataclass(frozen=True)
class Reading:
    """A training error and the number of images it is the mean over."""

    error: float
    images: int


# ------------------------------------------------------------------ from the store
def series_of(run, batches: list[dict], epochs: list[dict]) -> Series:
    """A stored run (``resnet_core.training.store.Run``) and its ``batch`` and ``epoch``
    points (``RunStore.metrics``) as a :class:`Series`."""
    from .analysis import analyze
    from .presets import has_skips

    try:
        spec = run.network()
    except ValueError:  # a network this version cannot read: no twin named, no depth
        spec = None
    # The store keeps a non-finite figure as None; the engine always records a finite
    # chunk's loss, so a missing one is a loss that became NaN or infinite.
    points = tuple(
        Point(int(b["seen"] or 0), b["accuracy"], math.nan if b["loss"] is None else b["loss"])
        for b in batches
    )
    vals = [e["val_accuracy"] for e in epochs if _finite(e["val_accuracy"])]
    per_epoch = None
    if epochs and epochs[0]["seen"]:
        per_epoch = round(epochs[0]["seen"] / (epochs[0]["epoch"] + 1))
    elif run.total_steps and run.settings.get("epochs"):
        per_epoch = round(
            run.total_steps * run.settings.get("batch_size", 1) / run.settings["epochs"]
        )
    return Series(
        run.name,
        points,
        run.status,
        None if spec is None else has_skips(spec),
        0 if spec is None else analyze(spec).totals.depth,
        vals[-1] if vals else None,
        per_epoch,
    )


# ------------------------------------------------------------------ figures
def _finite(v) -> bool:
    return v is not None and math.isfinite(v)


def smooth(values: list[float], weight: float) -> list[float]:
    """TensorBoard's smoothing: an exponential moving average, debiased at the start
    (so the first points are not pulled towards zero)."""
    out, last, n = [], 0.0, 0
    for v in values:
        n += 1
        last = last * weight + (1 - weight) * v
        out.append(last / (1 - weight**n) if weight else v)
    return out


NBSP = "\u00a0"  # "80 %" never breaks between its number and its sign


def pct(x: float) -> str:
    """An error or accuracy as people say it: ``0.7 %``, ``5.6 %``, ``23 %``."""
    v = 100 * x
    return f"{v:.1f}{NBSP}%" if round(v, 1) < 10 else f"{v:.0f}{NBSP}%"


def diverged(s: Series) -> bool:
    """Its loss became NaN or infinite (the last trained chunk's loss is not finite)."""
    trained = [p for p in s.points if p.seen > 0]
    return bool(trained) and trained[-1].loss is not None and not math.isfinite(trained[-1].loss)


def training_error(s: Series) -> Reading | None:
    """The mean training error over the run's last epoch of images (its last chunks,
    weighted by their images), as He et al. measure training error; for a run that
    ended at an epoch's end this is that epoch's error. None before any trained step."""
    end = s.seen
    if end <= 0:
        return None
    start = end - (s.epoch_images or end)
    wrong = images = 0.0
    before = 0
    for p in s.points:
        width, before = p.seen - before, p.seen
        # A resumed run starts again at an epoch's start: its points go back in seen.
        if width > 0 and p.seen > start and _finite(p.accuracy):
            wrong += width * (1 - p.accuracy)
            images += width
    return Reading(wrong / images, int(images)) if images else None


def error_now(s: Series) -> float | None:
    """The training error at the end of the chart's smoothed curve (live)."""
    accs = [p.accuracy for p in s.points if _finite(p.accuracy)]
    if s.seen <= 0 or not accs:
        return None
    return 1 - smooth(accs, SMOOTHING)[-1]


def reached(s: Series, level: float) -> int | None:
    """The images seen when the smoothed training accuracy first reached ``level``."""
    pts = [p for p in s.points if _finite(p.accuracy)]
    for p, acc in zip(pts, smooth([p.accuracy for p in pts], SMOOTHING)):
        if acc >= level and p.seen > 0:
            return p.seen
    return None


def compare(a: Reading, b: Reading) -> int:
    """-1 when ``a`` has the lower error, 1 when ``b`` has, 0 when the difference is
    within the noise: twice the standard error of the two means (as if each image were
    a coin toss), and never less than :data:`FINAL_MARGIN`."""
    noise = 2 * math.sqrt(
        a.error * (1 - a.error) / max(a.images, 1) + b.error * (1 - b.error) / max(b.images, 1)
    )
    if abs(a.error - b.error) <= max(FINAL_MARGIN, noise):
        return 0
    return -1 if a.error < b.error else 1


# ------------------------------------------------------------------ a race of two
def race(first: Series, second: Series) -> Verdict:
    """Two networks trained together (a residual one and its plain twin, usually): while
    either runs, who leads now; once both have ended, the result."""
    if first.active or second.active:
        return Verdict(race_lead(first, second), False, _validation([first, second]))
    return race_result(first, second)


def race_lead(a: Series, b: Series) -> str:
    """One live line: who leads on training error after how many images ('' before the
    first trained step of both)."""
    for s in (a, b):
        if diverged(s):
            return f"{s.name} has diverged: its loss is no longer a number."
    ea, eb = error_now(a), error_now(b)
    if ea is None or eb is None:
        return ""
    seen = f"After {min(a.seen, b.seen):,} images"
    if abs(ea - eb) < LIVE_MARGIN:
        return f"{seen}: level, at {pct(ea)} and {pct(eb)} training error."
    (lead, le), (trail, te) = sorted(((a, ea), (b, eb)), key=lambda t: t[1])
    return (
        f"{seen}: {lead.name} leads, at {pct(le)} training error against {pct(te)} "
        f"for {trail.name}."
    )


def _fate(s: Series) -> str | None:
    """How a run ended without a result, in words; None when it has one."""
    if diverged(s):
        return f"{s.name} diverged after {s.seen:,} images (its loss became NaN)"
    if s.status == "failed":
        return (
            f"{s.name} failed after {s.seen:,} images"
            if s.seen
            else f"{s.name} failed before its first step"
        )
    return None


def _twin(s: Series, other: Series) -> str:
    """``other`` named from ``s``: "its plain twin cifar_plain20" in a residual/plain pair."""
    if s.residual is not None and other.residual is not None and s.residual != other.residual:
        return f"its {'residual' if other.residual else 'plain'} twin {other.name}"
    return other.name


def _pace(win: Series, lose: Series) -> str:
    """ "; it reached 95 % training accuracy 2.3× sooner (640 images against 1,472)": at
    the highest level both reached; else "only it reached ..." at the highest level one
    of them reached; "" when neither reached 50 %."""
    times = {level: (reached(win, level), reached(lose, level)) for level in LEVELS}
    for level, (w, l) in times.items():
        if w is None or l is None:
            continue
        at = f"{pct(level)} training accuracy"
        if max(w, l) <= SAME_PACE * min(w, l):
            return f"; both reached {at} after about as many images ({w:,} and {l:,})"
        fast = win if w < l else lose
        a, b = sorted((w, l))
        if fast is win:
            return f"; it reached {at} {b / a:.1f}× sooner ({a:,} images against {b:,})"
        return f"; though {fast.name} reached {at} {b / a:.1f}× sooner ({a:,} images against {b:,})"
    for level, (w, l) in times.items():
        if w is not None or l is not None:
            who, n = (win, w) if w is not None else (lose, l)
            name = "it" if who is win else who.name
            return f"; only {name} reached {pct(level)} training accuracy (after {n:,} images)"
    return ""


def race_result(a: Series, b: Series) -> Verdict:
    """The race's result, once both have ended: who ended at the lower training error,
    by how much, and who reached a training accuracy sooner."""
    fates = [f for s in (a, b) if (f := _fate(s))]
    ra, rb = training_error(a), training_error(b)
    if len(fates) == 2:
        return Verdict(f"No result: {fates[0]}, and {fates[1]}.", True)
    if fates:
        other, r = (b, rb) if _fate(a) else (a, ra)
        tail = f"; {other.name} ended at {pct(r.error)} training error" if r else ""
        return Verdict(f"No comparison: {fates[0]}{tail}.", True)
    if ra is None or rb is None:
        return Verdict("Stopped before the first training step: nothing to compare yet.", True)
    prefix = (
        f"Stopped after {min(a.seen, b.seen):,} images: "
        if "stopped" in (a.status, b.status)
        else ""
    )
    order = compare(ra, rb)
    # The residual network is the subject where there is one: the sentence is about it.
    if order == 0:
        first, second = (b, a) if b.residual and not a.residual else (a, b)
        r1, r2 = (ra, rb) if first is a else (rb, ra)
        text = (
            f"{first.name} and {_twin(first, second)} ended level, at {pct(r1.error)} "
            f"and {pct(r2.error)} training error{_pace(first, second)}."
        )
    else:
        (win, rw), (lose, rl) = ((a, ra), (b, rb)) if order < 0 else ((b, rb), (a, ra))
        if lose.residual and win.residual is False:  # the plain twin did better
            text = (
                f"The plain twin did better here: {win.name} ended at {pct(rw.error)} "
                f"training error, {lose.name} at {pct(rl.error)}{_pace(win, lose)} — "
                f"{PAPER}."
            )
        else:
            text = (
                f"{win.name} ended at {pct(rw.error)} training error, "
                f"{_twin(win, lose)} at {pct(rl.error)}{_pace(win, lose)}."
            )
    return Verdict(prefix + text, True, _validation([a, b]))


def _validation(runs: list[Series]) -> str:
    if not all(_finite(s.val_accuracy) for s in runs):
        return ""
    return (
        "Validation accuracy after the last epoch: "
        + ", ".join(f"{s.name} {pct(s.val_accuracy)}" for s in runs)
        + "."
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# ------------------------------------------------------------------ the experiment
def degradation(runs: list[Series]) -> Verdict:
    """He et al.'s experiment: plain and residual networks at a shallow and a deep depth.
    Live, each one's training error now; once all have ended, whether depth made each
    kind train worse: the degradation problem, or not. '' for other sets of runs."""
    by = {(s.residual, s.depth): s for s in runs}
    depths = sorted({s.depth for s in runs})
    if len(depths) < 2 or not all(
        (k, d) in by for k in (False, True) for d in (depths[0], depths[-1])
    ):
        return Verdict("", not any(s.active for s in runs))
    lo, hi = depths[0], depths[-1]
    four = [
        (kind, by[(residual, hi)], by[(residual, lo)])
        for residual, kind in ((False, "plain"), (True, "residual"))
    ]
    if any(s.active for s in runs):
        return Verdict(_degradation_lead(four, lo, hi), False)
    fates = [f for s in runs if (f := _fate(s))]
    if fates:
        return Verdict("No verdict: " + "; ".join(fates) + ".", True)
    readings = {s.name: training_error(s) for s in runs}
    if any(r is None for r in readings.values()):
        return Verdict("Stopped before the first training step: nothing to compare yet.", True)
    prefix = (
        f"Stopped after {min(s.seen for s in runs):,} images: "
        if any(s.status == "stopped" for s in runs)
        else ""
    )
    parts, trends = [], {}
    for kind, deep, shallow in four:
        rd, rs = readings[deep.name], readings[shallow.name]
        trends[kind] = order = compare(rs, rd)  # 1: the deep one has the lower error
        trend = {1: "better with depth", 0: "level", -1: "worse with depth"}[order]
        parts.append(
            f"{kind}: {hi} layers ended at {pct(rd.error)} training error against "
            f"{pct(rs.error)} for {lo} layers ({trend})"
        )
    plain_deep, res_deep = readings[four[0][1].name], readings[four[1][1].name]
    if trends["plain"] < 0 and trends["residual"] >= 0:
        more = "train better" if trends["residual"] > 0 else "do not"
        end = f"the degradation problem: more plain layers train worse, more residual layers {more}"
    elif trends["plain"] < 0:
        grew = {
            kind: readings[deep.name].error - readings[shallow.name].error
            for kind, deep, shallow in four
        }
        if compare(res_deep, plain_deep) < 0:
            end = (
                f"both trained worse with depth, the residual networks less "
                f"({100 * grew['residual']:.1f} points against "
                f"{100 * grew['plain']:.1f})"
            )
        else:
            end = f"both trained worse with depth, the residual networks no less: {PAPER}"
    elif trends["residual"] < 0:  # plain level or better, residual worse
        plain = "better" if trends["plain"] > 0 else "no worse"
        end = f"more residual layers trained worse, more plain layers {plain}: {PAPER}"
    else:
        end = (
            "no degradation at this length of training (He et al. train for 64,000 "
            "iterations): try more epochs"
        )
    text = _capital(prefix + "; ".join(parts) + f" — {end}.")
    return Verdict(text, True, _validation([s for _, d, sh in four for s in (sh, d)]))


def _degradation_lead(four, lo: int, hi: int) -> str:
    now = {s.name: error_now(s) for _, deep, shallow in four for s in (deep, shallow)}
    if any(e is None for e in now.values()):
        return ""
    seen = min(s.seen for _, deep, shallow in four for s in (deep, shallow))
    parts = [
        f"{kind} {hi} layers at {pct(now[deep.name])}, {lo} layers at {pct(now[shallow.name])}"
        for kind, deep, shallow in four
    ]
    return f"After {seen:,} images, training error: " + "; ".join(parts) + "."
