"""Lesion study (Veit, Wilber & Belongie, NeurIPS 2016, "Residual networks behave like
ensembles of relatively shallow networks", §4).

At test time, delete one block whose input and output shapes agree (its output becomes
its input: a residual block loses its branch, the plain twin's block its two layers) and
measure the validation accuracy, for every such block; then delete k random blocks for
k = 1..n. A residual network keeps most of its accuracy; a plain one falls to chance.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from ..child import Progress
from .runs import FORWARD_MACS_PER_SECOND, ExperimentError, TrainedRun

CITATION = (
    "Veit, Wilber & Belongie (2016), Residual networks behave like ensembles of "
    "relatively shallow networks, NeurIPS, §4 and Fig. 3–5"
)
MAX_IMAGES = 5000  # validation images used at most (each deletion runs them all)
MAX_SAMPLES = 50


def random_subsets(
    blocks: Sequence[str], k: int, samples: int, rng: np.random.Generator
) -> list[tuple[str, ...]]:
    """``samples`` distinct sets of ``k`` of ``blocks`` (every one when there are no
    more than that), each in network order."""
    n = len(blocks)
    if not 0 <= k <= n:
        raise ValueError(f"k must be 0 to {n}, got {k}")
    if math.comb(n, k) <= samples:
        return [tuple(c) for c in itertools.combinations(blocks, k)]
    chosen: set[tuple[int, ...]] = set()
    while len(chosen) < samples:
        chosen.add(tuple(sorted(rng.choice(n, size=k, replace=False).tolist())))
    return [tuple(blocks[i] for i in c) for c in sorted(chosen)]


def deletions(blocks: int, samples: int) -> int:
    """How many accuracies a study measures: the full network, each single deletion,
    and up to ``samples`` sets for each k from 2 to ``blocks``."""
    return 1 + blocks + sum(min(samples, math.comb(blocks, k)) for k in range(2, blocks + 1))


def estimate_seconds(
    spec,
    samples: int,
    images: int,
    macs_per_second: float = FORWARD_MACS_PER_SECOND,
    per_pass: float = 0.1,
) -> float:
    """A rough time on this 2-core CPU: each deletion is a forward pass (layer by layer,
    ``per_pass`` seconds of overhead) over ``images`` images."""
    from ..analysis import analyze
    from .blocks import deletable_blocks

    n = deletions(len(deletable_blocks(spec)), samples)
    return n * (images * analyze(spec).totals.macs / macs_per_second + per_pass)


def accuracy(probs: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(probs, axis=-1) == y)) if len(y) else math.nan


def lesion(
    trained: TrainedRun,
    samples: int = 5,
    images: int = 1000,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict:
    """The lesion study of one trained network, as JSON-able figures.

    ``single``: the accuracy with each deletable block deleted; ``random``: for each k,
    the mean (and every) accuracy of ``samples`` random sets of k deleted blocks.
    """
    from .blocks import deletable_blocks
    from .walk import predict

    if not 1 <= samples <= MAX_SAMPLES:
        raise ExperimentError(f"samples must be 1 to {MAX_SAMPLES}, got {samples}")
    if not 1 <= images <= MAX_IMAGES:
        raise ExperimentError(f"images must be 1 to {MAX_IMAGES:,}, got {images}")
    spec = trained.spec
    blocks = deletable_blocks(spec)
    x, y = trained.x_val[:images], trained.y_val[:images]
    rng = np.random.default_rng(seed)
    plan = [(k, random_subsets(blocks, k, samples, rng)) for k in range(2, len(blocks) + 1)]
    total = deletions(len(blocks), samples)
    done = 0

    def measure(delete: Sequence[str]) -> float:
        nonlocal done
        acc = accuracy(predict(spec, trained.layers, x, frozenset(delete)), y)
        done += 1
        if progress:
            progress(done / total, f"{trained.run.name}: {done} of {total} deletions")
        return acc

    base = measure(())
    single = [{"block": b, "accuracy": measure((b,))} for b in blocks]
    random = []
    if single:
        accs = [s["accuracy"] for s in single]
        random.append({"k": 1, "mean": float(np.mean(accs)), "accuracies": accs})
    for k, subsets in plan:
        accs = [measure(s) for s in subsets]
        random.append({"k": k, "mean": float(np.mean(accs)), "accuracies": accs})
    return {
        "experiment": "lesion",
        "run_id": trained.run.id,
        "network": spec.name,
        "residual": trained.residual,
        "images": int(len(y)),
        "samples": samples,
        "seed": seed,
        "classes": trained.classes,
        "chance": 1 / trained.classes,
        "baseline": base,
        "blocks": blocks,
        "single": single,
        "random": random,
    }


def mean_drop(result: dict) -> float:
    """The mean fall in accuracy (0..1) when one block is deleted."""
    accs = [s["accuracy"] for s in result["single"]]
    return result["baseline"] - float(np.mean(accs)) if accs else math.nan


def kept_share(result: dict, within: float = 0.1) -> tuple[int, int]:
    """How many single deletions keep the accuracy within ``within`` of the baseline,
    of how many."""
    accs = [s["accuracy"] for s in result["single"]]
    return sum(a >= result["baseline"] - within for a in accs), len(accs)


def _pct(v: float) -> str:
    return f"{100 * v:.1f} %"


def sentence(results: list[dict]) -> str:
    """The result in one sentence, in numbers (a pair: residual first)."""
    if not results or not results[0]["single"]:
        return "This network has no block whose input and output shapes agree: nothing to delete."
    parts = []
    for r in results:
        kind = "residual" if r["residual"] else "plain"
        kept, n = kept_share(r)
        parts.append(
            f"the {kind} network {'keeps' if kept * 2 > n else 'falls to'} "
            f"{_pct(r['baseline'] - mean_drop(r))} on average (from "
            f"{_pct(r['baseline'])}; {kept} of {n} within 10 points)"
        )
    return f"With one block deleted, {' and '.join(parts)}; chance is {_pct(results[0]['chance'])}."


def explanation(results: list[dict]) -> str:
    """A paragraph: what the experiment is and what these numbers show."""
    text = (
        "Veit, Wilber and Belongie (2016) deleted single blocks from trained networks "
        "at test time. In a residual network a block's output is its input plus what "
        "its branch adds, so deleting the branch leaves a path through the other "
        "blocks: the network behaves like an ensemble of many paths of different "
        "lengths, and losing one costs little. In a plain network every layer lies on "
        "the only path, so deleting one breaks it: the accuracy falls towards chance. "
        "Deleting more blocks at random lowers a residual network's accuracy smoothly, "
        "as an ensemble losing members."
    )
    if len(results) == 2 and results[0]["single"]:
        res, plain = results
        dr, dp = mean_drop(res), mean_drop(plain)
        if dr < dp:
            text += (
                f" Here the residual network loses {100 * dr:.1f} points per deleted "
                f"block on average, the plain one {100 * dp:.1f}."
            )
        else:
            text += (
                f" Here the residual network loses {100 * dr:.1f} points per deleted "
                f"block on average, no less than the plain one's {100 * dp:.1f}: with "
                "short training on small images both may rely on every block."
            )
    return text


def format_text(result: dict) -> str:
    lines = [
        f"{result['network']} ({'residual' if result['residual'] else 'plain'}): "
        f"accuracy {_pct(result['baseline'])} on {result['images']} validation "
        f"images; chance {_pct(result['chance'])}",
        "delete one block:",
    ]
    lines += [f"  {s['block']:<16} {_pct(s['accuracy']):>8}" for s in result["single"]]
    lines.append(f"delete k random blocks (mean of up to {result['samples']}):")
    lines += [f"  k = {r['k']:<3} {_pct(r['mean']):>8}" for r in result["random"]]
    return "\n".join(lines)
