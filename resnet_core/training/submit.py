"""Queueing runs: every check that can refuse one happens here, before anything starts.

:func:`plan_run` fits the chosen data to a network (switching between "adapt" and
"resize" when only the other works, and saying so in one line); :func:`submit_run` and
:func:`submit_race` queue what was planned. The page, the command line and the race all
go through here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..analysis import analyze
from ..data import DataChoice, DataError, Dataset, PreparedData, load, prepare
from ..devices import training_memory_bytes
from ..limits import fmt_shape
from ..pretrained import WeightsUnavailable, ensure_weights, required_fit
from ..spec import ArchitectureSpec
from .estimate import estimate_run
from .settings import SettingsError, TrainSettings, check_feasible
from .store import RunStore

FIT_WORDS = {
    "adapt": "the network's input is adapted to the data",
    "resize": "the images are resized to the network's input",
}


@dataclass(frozen=True)
class RunPlan:
    """A network and data fitted to each other, ready to queue."""

    spec: ArchitectureSpec  # as trained: input and classes follow the data
    choice: DataChoice  # as trained: ``fit`` may differ from the one asked for
    prepared: PreparedData
    note: str = ""  # one line when the fit was switched


def plan_run(
    spec: ArchitectureSpec,
    choice: DataChoice,
    dataset: Dataset | None = None,
    initial_weights: str = "none",
) -> RunPlan:
    """Fit ``choice``'s data to ``spec``; when that fit cannot work, the other one.

    A run from ImageNet weights takes the fit they need (``pretrained.required_fit``:
    the data resized to the network's input), said in the plan's note. Raises
    :class:`DataError` (with what to change) when no fit works.
    """
    dataset = dataset if dataset is not None else load(choice)
    forced = required_fit(spec, initial_weights)
    if forced and choice.fit != forced:
        plan = plan_run(spec, replace(choice, fit=forced), dataset)
        side = fmt_shape(plan.spec.input_shape)
        return replace(
            plan,
            note=plan.note
            or f"ImageNet weights were learnt at the "
            f"network's own input, so {FIT_WORDS[forced]} ({side}).",
        )
    try:
        prepared = prepare(dataset, spec, choice)
        return RunPlan(prepared.spec, choice, prepared)
    except DataError as first:
        if choice.fit not in FIT_WORDS:
            raise
        other = replace(choice, fit="resize" if choice.fit == "adapt" else "adapt")
        try:
            prepared = prepare(dataset, spec, other)
        except DataError:
            raise first from None
    side = fmt_shape(prepared.spec.input_shape[:2])
    reason = (
        f"{fmt_shape(dataset.image_shape[:2])} images are too small for {spec.name}"
        if other.fit == "resize"
        else f"{spec.name} cannot take the images as they are"
    )
    note = f"{reason}, so {FIT_WORDS[other.fit]} ({side})."
    return RunPlan(prepared.spec, other, prepared, note)


def check_plan(plan: RunPlan, settings: TrainSettings, fetch: bool = False) -> None:
    """Refuse settings that cannot work with the planned run (raises SettingsError).

    ``fetch`` also gets the ImageNet weights the run starts from (Keras's cache, else a
    download: slow, so only when queueing), refusing a run that could not have them.
    """
    check_feasible(plan.spec, settings, len(plan.prepared.x_train))
    if fetch:
        try:
            ensure_weights(plan.spec, settings.initial_weights)
        except WeightsUnavailable as exc:
            raise SettingsError(str(exc)) from None


def submit_run(store: RunStore, plan: RunPlan, settings: dict) -> str:
    """Check ``settings`` against the plan, then queue the run; return its id.

    Raises :class:`~resnet_core.data.DataError` or :class:`SettingsError` with what to
    change. The worker (or the command line) trains it through ``engine.execute_group``.
    """
    train = TrainSettings.from_dict(settings)
    check_plan(plan, train, fetch=True)
    return store.create(
        plan.spec.name,
        plan.spec.to_dict(),
        plan.choice.to_dict(),
        train.to_dict(),
        estimate=run_seconds(plan, train),
    )


def submit_race(store: RunStore, plans: list[RunPlan], settings: dict) -> list[str]:
    """Queue runs that train together on the same data, order, seed and settings.

    Every plan is checked before any is queued, so a race starts whole or not at all.
    """
    train = TrainSettings.from_dict(settings)
    for plan in plans:
        check_plan(plan, train, fetch=True)
    # They train in one process at once: together they must fit too.
    total = sum(analyze(p.spec).memory(train.batch_size).total for p in plans)
    free = int(training_memory_bytes() * 0.8)
    if total > free:
        raise SettingsError(
            f"the {len(plans)} networks together need about "
            f"{total / 2**30:.1f} GiB but about {free / 2**30:.1f} GiB is "
            "free; lower the batch size or the input size"
        )
    return store.create_group(
        [(p.spec.name, p.spec.to_dict(), p.choice.to_dict(), train.to_dict()) for p in plans],
        estimates=[run_seconds(p, train) for p in plans],
    )


def run_seconds(plan: RunPlan, train: TrainSettings) -> float:
    """The estimated seconds of the planned run, stored with it: the runs queued behind
    it are told when they should start."""
    return estimate_run(
        [plan.spec],
        len(plan.prepared.x_train),
        len(plan.prepared.x_val),
        train.batch_size,
        train.epochs,
        train.steps,
    ).total_seconds


def race_plans(specs: list[ArchitectureSpec], choice: DataChoice) -> list[RunPlan]:
    """Plans for networks that train together on one dataset, loaded once.

    All take the same fit, so all see the same images: the chosen one if it works for
    every network, else the other.
    """
    dataset = load(choice)
    plans = [plan_run(spec, choice, dataset) for spec in specs]
    fits = {p.choice for p in plans}
    if len(fits) > 1:  # only the other fit works for some: give it to all
        other = next(p.choice for p in plans if p.choice != choice)
        plans = [plan_run(spec, other, dataset) for spec in specs]
    return plans
