"""Loss landscape (Li, Xu, Taylor, Studer & Goldstein, NeurIPS 2018, "Visualizing the loss
landscape of neural nets", §4).

Two random directions δ and η in weight space, each **filter-normalised**: every filter
(a conv or dense kernel's output channel) of the direction is scaled to the norm of the
same filter of the trained weights, so a step of 1 moves each filter by its own size and
networks of different scales compare. Biases and BatchNorm parameters are not moved, and
BatchNorm's statistics stay fixed (inference mode), as in the paper. The loss
L(θ + αδ + βη) is measured on a grid of α, β in [−1, 1]; the 1-D slices are the grid's
rows through the centre.
"""

from __future__ import annotations

import math

import numpy as np

from ..child import Progress
from .runs import FORWARD_MACS_PER_SECOND, ExperimentError, TrainedRun

CITATION = (
    "Li, Xu, Taylor, Studer & Goldstein (2018), Visualizing the loss landscape of "
    "neural nets, NeurIPS, §4 (filter normalisation) and Fig. 5"
)
GRID_LIMITS = (3, 51)  # odd sizes only: the trained weights sit on the grid's centre
MAX_IMAGES = 5000
SPAN = 1.0  # α and β run over [−SPAN, SPAN]


def filter_normalise(direction: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``direction`` with each filter (slice along the last axis, Keras's output
    channels) scaled to the norm of the same filter of ``weights``."""
    axes = tuple(range(direction.ndim - 1))
    d_norm = np.sqrt(np.sum(direction.astype(np.float64) ** 2, axis=axes, keepdims=True))
    w_norm = np.sqrt(np.sum(weights.astype(np.float64) ** 2, axis=axes, keepdims=True))
    return (direction * (w_norm / np.maximum(d_norm, 1e-12))).astype(weights.dtype)


def random_direction(weights: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """A Gaussian direction, filter-normalised, for each kernel in ``weights``."""
    return [filter_normalise(rng.standard_normal(w.shape).astype(w.dtype), w) for w in weights]


def check_grid(grid: int) -> None:
    lo, hi = GRID_LIMITS
    if not lo <= grid <= hi or grid % 2 == 0:
        raise ExperimentError(
            f"the grid must be an odd number from {lo} to {hi} (the "
            f"trained weights sit at its centre), got {grid}"
        )


def estimate_seconds(
    grid: int, images: int, macs_per_image: int, macs_per_second: float = FORWARD_MACS_PER_SECOND
) -> float:
    """A rough time for the grid: every point is a forward pass over ``images``;
    ``macs_per_second`` is this 2-core CPU's (benchmarks/bench_experiments.py)."""
    return grid * grid * (images * macs_per_image / macs_per_second + 0.01)


def cross_entropy(probs: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(probs[np.arange(len(y)), y].astype(np.float64), 1e-12, 1.0)
    return float(-np.mean(np.log(p)))


def kernels(model) -> list:
    """The conv and dense kernels of ``model`` (the variables a direction moves), frozen
    ones too (a fine-tuned run's body)."""
    out = []
    for v in model.weights:
        if len(v.shape) >= 2 and v.path.split("/")[-1] == "kernel":
            out.append(v)
    if not out:
        raise ExperimentError("the network has no conv or dense kernel to move")
    return out


def landscape(
    trained: TrainedRun,
    grid: int = 21,
    images: int = 512,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict:
    """The loss (and accuracy) on a ``grid`` × ``grid`` plane through the trained
    weights, on the first ``images`` training images, as JSON-able figures."""
    check_grid(grid)
    if not 1 <= images <= MAX_IMAGES:
        raise ExperimentError(f"images must be 1 to {MAX_IMAGES:,}, got {images}")
    model = trained.model
    x, y = trained.x_train[:images], trained.y_train[:images]
    variables = kernels(model)
    base = [np.asarray(v.numpy() if hasattr(v, "numpy") else v.value) for v in variables]
    rng = np.random.default_rng(seed)
    delta, eta = random_direction(base, rng), random_direction(base, rng)
    alphas = np.linspace(-SPAN, SPAN, grid)
    loss = np.zeros((grid, grid))
    acc = np.zeros((grid, grid))
    from .walk import batch_size_for

    batch = min(len(x), batch_size_for(trained.spec, most=512))
    try:
        for i, a in enumerate(alphas):  # rows: α along δ
            for j, b in enumerate(alphas):  # columns: β along η
                for v, w, d, e in zip(variables, base, delta, eta):
                    v.assign(w + a * d + b * e)
                probs = np.concatenate(
                    [
                        np.asarray(model.predict_on_batch(x[k : k + batch]), np.float32)
                        for k in range(0, len(x), batch)
                    ]
                )
                loss[i, j] = cross_entropy(probs, y)
                acc[i, j] = float(np.mean(np.argmax(probs, -1) == y))
            if progress:
                progress((i + 1) / grid, f"{trained.run.name}: row {i + 1} of {grid}")
    finally:
        for v, w in zip(variables, base):
            v.assign(w)
    c = grid // 2
    return {
        "experiment": "landscape",
        "run_id": trained.run.id,
        "network": trained.spec.name,
        "residual": trained.residual,
        "grid": grid,
        "images": int(len(y)),
        "seed": seed,
        "alphas": alphas.tolist(),
        "loss": _finite(loss),
        "accuracy": acc.tolist(),
        "centre_loss": float(loss[c, c]),
        "classes": trained.classes,
        "chance_loss": math.log(trained.classes),
        "slice_alpha": _finite(loss[:, c]),
        "slice_beta": _finite(loss[c, :]),
    }


def _finite(a: np.ndarray) -> list:
    """As JSON: a loss that overflowed becomes None (JSON has no infinity)."""
    return [
        _finite(r) if isinstance(r, np.ndarray) else (float(r) if math.isfinite(r) else None)
        for r in a
    ]


def centre_is_lowest(result: dict) -> bool:
    """Whether the trained weights are the lowest point of both 1-D slices."""
    c = result["grid"] // 2
    return all(
        min(range(len(s)), key=lambda i: math.inf if s[i] is None else s[i]) == c
        for s in (result["slice_alpha"], result["slice_beta"])
    )


def _grid(result: dict) -> np.ndarray:
    return np.array([[math.inf if v is None else v for v in row] for row in result["loss"]])


def ring_loss(result: dict, radius: float = 0.5) -> float:
    """The mean loss on the square ring of the grid nearest ``radius`` (max(|α|, |β|))."""
    a = np.abs(np.asarray(result["alphas"]))
    r = a[np.argmin(np.abs(a - radius))]
    dist = np.maximum(a[:, None], a[None, :])
    values = _grid(result)[np.isclose(dist, r)]
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else math.inf


def chance_loss(result: dict) -> float:
    """The loss of a uniform guess, ln(classes): above it the network knows nothing."""
    return result.get("chance_loss", math.inf)


def basin_share(result: dict) -> float:
    """The share of the grid where the loss is below a uniform guess's: how wide the
    basin around the trained weights is."""
    loss = _grid(result)
    return float(np.mean(loss < chance_loss(result)))


def local_minima(result: dict) -> int:
    """Grid points inside the basin (below a uniform guess's loss), the centre
    included, lower than all eight neighbours: one for a bowl, more for a chaotic
    landscape. (Far out the loss saturates on a flat plateau, whose ripples are not
    minima that matter.)"""
    loss = _grid(result)
    n, count = len(loss), 0
    for i in range(n):
        for j in range(n):
            around = loss[max(0, i - 1) : i + 2, max(0, j - 1) : j + 2]
            if loss[i, j] < chance_loss(result) and np.sum(around <= loss[i, j]) == 1:
                count += 1
    return count


def sentence(results: list[dict]) -> str:
    parts = [
        f"the {'residual' if r['residual'] else 'plain'} network's loss rises from "
        f"{r['centre_loss']:.2g} at the trained weights to {ring_loss(r):.2g} half a "
        f"step away (below a uniform guess's on {100 * basin_share(r):.0f} % of the "
        "grid)"
        for r in results
    ]
    return "Along two random filter-normalised directions, " + " and ".join(parts) + "."


def explanation(results: list[dict]) -> str:
    text = (
        "Li, Xu, Taylor, Studer and Goldstein (2018) drew the loss around a trained "
        "network's weights along two random directions, each filter-normalised (every "
        "filter of a direction scaled to the norm of the same filter of the weights), "
        "so that the plots of different networks compare. Skip connections made the "
        "landscape of deep networks smooth and nearly convex around the minimum; "
        "without them it grew chaotic as the depth grew (56 layers and more), with "
        "many local minima and the loss rising steeply a short way off. BatchNorm's "
        "statistics are kept as trained, as in the paper."
    )
    if len(results) == 2:
        res, plain = results
        text += (
            f" Here, half a step away, the mean loss is {ring_loss(res):.3g} for the "
            f"residual network and {ring_loss(plain):.3g} for the plain one; inside the "
            f"basin (loss below ln {res['classes']} = {chance_loss(res):.2f}, a "
            "uniform guess's) the grid has "
            f"{local_minima(res)} and {local_minima(plain)} local minima. On small "
            "networks trained briefly both basins are smooth; the paper's contrast "
            "appears from about 56 layers."
        )
    return text


def format_text(result: dict) -> str:
    c = result["grid"] // 2
    lines = [
        f"{result['network']} ({'residual' if result['residual'] else 'plain'}): "
        f"{result['grid']}×{result['grid']} grid, {result['images']} training images; "
        f"loss at the trained weights {result['centre_loss']:.4f}",
        f"{'alpha':>8}{'loss along δ':>14}{'loss along η':>14}",
    ]
    for a, la, lb in zip(result["alphas"], result["slice_alpha"], result["slice_beta"]):
        lines.append(f"{a:>8.2f}{_num(la):>14}{_num(lb):>14}")
    lines.append(
        f"centre lowest on both slices: {centre_is_lowest(result)}; mean loss "
        f"half a step away: {ring_loss(result):.4g}; below a uniform guess's loss "
        f"on {100 * basin_share(result):.0f} % of the grid; local minima there: "
        f"{local_minima(result)} (centre index {c})"
    )
    return "\n".join(lines)


def _num(v) -> str:
    return "inf" if v is None else f"{v:.4f}"
