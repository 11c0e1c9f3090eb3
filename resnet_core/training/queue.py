"""The queue as the people waiting in it see it: the jobs ahead of a run, when it should
start, and how many jobs one browser session may keep waiting.

A workshop shares one worker: it trains one job at a time, oldest first (``claim_next``),
where a job is a run, or a group that trains in lockstep (a race, an experiment). A run
is queued with its estimated seconds (``Run.estimate``, from :func:`estimate_run`); the
jobs ahead of it add up to its expected start: a running job by its measured speed (its
estimate until it has one), a waiting job by its estimate.
"""

from __future__ import annotations

import os

from .estimate import Progress, compile_seconds, duration, seconds_left
from .settings import SettingsError
from .store import Run, RunStore

MAX_QUEUED_VARIABLE = "RESNET_EXPLORER_MAX_QUEUED"
MAX_QUEUED_DEFAULT = 3
MAX_QUEUED_LIMIT = 100


def job_key(run: Run) -> str:
    """The job a run trains in: its group's, unless it was resumed (it trains alone)."""
    return run.group_id if run.group_id and not run.settings.get("resume") else run.id


def where(store: RunStore, run: Run) -> tuple[int, Progress]:
    """``(step, progress)`` of ``run`` from its stored points."""
    batches = store.metrics(run.id, "batch")
    step = batches[-1]["step"] if batches else 0
    ips = next((m["images_per_second"] for m in reversed(batches) if m["images_per_second"]), None)
    active = run.active and run.status != "stopping"
    left = max(run.total_steps, 1) - step if active else 0
    batch = run.settings.get("batch_size", 1)
    compiling = 0.0
    if active and not ips:  # not trained yet: its compile is still ahead (or under way)
        try:
            compiling = compile_seconds(run.network(), batch)
        except (ValueError, TypeError, KeyError):  # a stored network this version cannot read
            compiling = 0.0
    return step, Progress(left, batch, ips, compiling)


def jobs_ahead(store: RunStore, run: Run) -> list[list[Run]]:
    """The jobs the worker trains before ``run``'s: those running, then those queued
    before it, in the worker's order. Empty when ``run`` is not waiting."""
    if run.status != "queued":
        return []
    mine = job_key(run)
    jobs: dict[str, list[Run]] = {}
    # list() is newest first; the worker takes the oldest queued run first.
    for other in sorted(store.list(), key=lambda r: r.created):
        if job_key(other) == mine:
            continue
        running = other.status in ("running", "stopping")
        if running or (other.status == "queued" and other.created < run.created):
            jobs.setdefault(job_key(other), []).append(other)
    return list(jobs.values())


def job_seconds_left(store: RunStore, job: list[Run]) -> float | None:
    """A job's time left: measured once its first steps are timed, else its estimate;
    None when neither is known (a run queued by an older version stores no estimate)."""
    if any(r.status != "queued" for r in job):
        measured = seconds_left([where(store, r)[1] for r in job])
        if measured is not None:
            return measured
    estimates = [r.estimate for r in job]
    return sum(estimates) if all(estimates) else None


def expected_start(store: RunStore, run: Run, ahead: list[list[Run]] | None = None) -> float | None:
    """Seconds until the worker starts ``run``: 0 when nothing is ahead, None when a job
    ahead has no time known. ``ahead``: its :func:`jobs_ahead`, when already read."""
    total = 0.0
    for job in jobs_ahead(store, run) if ahead is None else ahead:
        left = job_seconds_left(store, job)
        if left is None:
            return None
        total += left
    return total


def max_queued(environ: dict | None = None) -> int:
    """The jobs one browser session may keep waiting (``RESNET_EXPLORER_MAX_QUEUED``,
    default 3); a value that is not a whole number from 1 to 100 is refused by name."""
    raw = (environ if environ is not None else os.environ).get(MAX_QUEUED_VARIABLE, "")
    if not raw.strip():
        return MAX_QUEUED_DEFAULT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_QUEUED_LIMIT:
        raise SettingsError(
            f"{MAX_QUEUED_VARIABLE} must be a whole number from 1 to {MAX_QUEUED_LIMIT}, "
            f"got {raw[:40]!r}; set it so, or unset it for {MAX_QUEUED_DEFAULT}"
        )
    return value


def still_waiting(store: RunStore, jobs: list[list[str]]) -> list[list[str]]:
    """Those of ``jobs`` (each a list of run ids: one submission) not started yet."""
    return [ids for ids in jobs if any((r := store.get(i)) and r.status == "queued" for i in ids)]


def waiting_jobs(store: RunStore, jobs: list[list[str]]) -> int:
    """How many of ``jobs`` still wait to start."""
    return len(still_waiting(store, jobs))


def check_room(store: RunStore, jobs: list[list[str]], environ: dict | None = None) -> None:
    """Refuse a new job (SettingsError) when a session already has the most allowed waiting."""
    limit = max_queued(environ)
    waiting = waiting_jobs(store, jobs)
    if waiting >= limit:
        raise SettingsError(
            f"you already have {waiting} job{'s' if waiting != 1 else ''} waiting for the "
            f"worker, the most one browser session may queue ({limit}); train it when one "
            "of yours has started, or stop a waiting one on the Runs page"
        )


def waiting_text(store: RunStore, run: Run) -> str:
    """``waiting: 2 jobs ahead · starts in about 3 min`` (``starting…`` when none is)."""
    ahead = jobs_ahead(store, run)
    if not ahead:
        return "starting…"
    text = f"waiting: {len(ahead)} job{'s' if len(ahead) != 1 else ''} ahead"
    start = expected_start(store, run, ahead)
    if start is not None:
        text += f" · starts in about {duration(start)}"
    return text
