"""Experiments on trained runs: lesion study, loss landscape, what each block adds.

Each experiment is a module (``lesion``, ``landscape``, ``responses``) with its
computation (Keras, in a child process for the app), its one-sentence result, its
paragraph of explanation and its citation; :data:`EXPERIMENTS` lists them and
:func:`compute` runs one on a run or a residual/plain pair, caching each run's result in
its folder (:mod:`.cache`). Importing this package does not import Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..child import Progress
from ..training.store import RunStore
from . import landscape, lesion, responses
from .cache import load_result, result_key, save_result
from .runs import (
    START_SECONDS,
    ExperimentError,
    finished_pairs,
    get_run,
    pair_of,
    residual_first,
    validation_images,
)


@dataclass(frozen=True)
class Experiment:
    """One experiment: its module's figures and words, and its settings' defaults."""

    name: str
    title: str
    compute: Callable[..., dict]
    sentence: Callable[[list[dict]], str]
    explanation: Callable[[list[dict]], str]
    citation: str
    defaults: dict  # the settings that key a cached result, with their defaults


EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in (
        Experiment(
            "lesion",
            "Lesion study: delete blocks at test time",
            lesion.lesion,
            lesion.sentence,
            lesion.explanation,
            lesion.CITATION,
            {"samples": 5, "images": 1000},
        ),
        Experiment(
            "landscape",
            "Loss landscape around the trained weights",
            landscape.landscape,
            landscape.sentence,
            landscape.explanation,
            landscape.CITATION,
            {"grid": 21, "images": 512},
        ),
        Experiment(
            "responses",
            "What each block adds",
            responses.responses,
            responses.sentence,
            responses.explanation,
            responses.CITATION,
            {"image": 0, "images": 256},
        ),
    )
}
MAX_RUNS = 2


def estimate_seconds(name: str, runs: list, params: dict) -> float:
    """The page's estimate for ``name`` on ``runs`` (store runs): the child's start, then
    each network's passes over the images it will really use (a lesion or the responses
    take at most the run's validation images, the landscape its training images)."""
    from ..analysis import analyze

    params = {**EXPERIMENTS[name].defaults, **params}
    total = START_SECONDS
    for run in runs:
        spec = run.network()
        n_val = validation_images(run)
        images = int(params["images"])
        if name == "landscape":
            if n_val is not None:
                images = min(images, max(int(run.data["subset"]) - n_val, 1))
            total += landscape.estimate_seconds(
                int(params["grid"]), images, analyze(spec).totals.macs
            )
            continue
        if n_val is not None:
            images = min(images, n_val)
        if name == "lesion":
            total += lesion.estimate_seconds(spec, int(params["samples"]), images)
        else:
            total += responses.estimate_seconds(spec, images)
    return total


def key_for(name: str, params: dict) -> str:
    return result_key(name, **{k: params.get(k, v) for k, v in EXPERIMENTS[name].defaults.items()})


def cached(store: RunStore, name: str, run_ids: list[str], params: dict) -> list[dict] | None:
    """The stored results of ``name`` for every run of ``run_ids``, or None when any is
    missing (no Keras: a page reads them)."""
    key = key_for(name, params)
    results = [load_result(store, i, key) for i in run_ids]
    return None if any(r is None for r in results) else results


def compute(
    store: RunStore,
    name: str,
    run_ids: list[str],
    params: dict | None = None,
    progress: Progress | None = None,
    fresh: bool = False,
) -> dict:
    """Run experiment ``name`` on one run or a pair (each result cached in its run's
    folder; ``fresh`` computes again) and return the figures with their words:
    ``{"experiment", "title", "runs": [...], "sentence", "explanation", "citation"}``."""
    if name not in EXPERIMENTS:
        raise ExperimentError(f"no experiment {name!r}; there are {', '.join(EXPERIMENTS)}")
    if not 1 <= len(run_ids) <= MAX_RUNS:
        raise ExperimentError(
            f"give one run, or a residual network and its plain twin (two), not {len(run_ids)}"
        )
    exp = EXPERIMENTS[name]
    params = (
        {k: params.get(k, v) for k, v in exp.defaults.items()} if params else dict(exp.defaults)
    )
    runs = residual_first([get_run(store, i) for i in dict.fromkeys(run_ids)])
    key = key_for(name, params)
    results = []
    for n, run in enumerate(runs):
        result = None if fresh else load_result(store, run.id, key)
        if result is None:
            from .runs import open_run

            part = None
            if progress:

                def part(f, text, n=n):
                    progress((n + f) / len(runs), text)

                part(0.0, f"{run.name}: loading its data and checkpoint")
            result = exp.compute(open_run(store, run.id), progress=part, **params)
            save_result(store, run.id, key, result)
        results.append(result)
    return describe(name, results)


def describe(name: str, results: list[dict]) -> dict:
    """The results with the experiment's words: what a page and ``--json`` show."""
    exp = EXPERIMENTS[name]
    return {
        "experiment": name,
        "title": exp.title,
        "runs": results,
        "sentence": exp.sentence(results),
        "explanation": exp.explanation(results),
        "citation": exp.citation,
    }


__all__ = [
    "EXPERIMENTS",
    "Experiment",
    "ExperimentError",
    "cached",
    "compute",
    "describe",
    "finished_pairs",
    "key_for",
    "pair_of",
]
