"""Gradient boosting on 1-D data, stage by stage: each tree is fitted to the residual.

Seed 004 explains a residual with boosting: tree 1 fits ``y``, tree 2 fits ``y − ŷ₁``,
tree 3 fits what is still left, and the prediction is their sum; that is
``GradientBoostingRegressor(max_depth=2, n_estimators=3, learning_rate=1.0)`` (with
``init="zero"``; scikit-learn's default starts from the mean of ``y`` instead, offered
here too). A residual block does the same inside a network: it learns ``F(x) = H(x) − x``
(He et al. 2015, §3.1).

The stages are fitted with :class:`sklearn.tree.DecisionTreeRegressor`, written out so
every residual can be shown; the tests hold them equal to scikit-learn's own
``staged_predict``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SHAPES = ("quadratic", "sine", "step")
STARTS = ("zero", "mean")


@dataclass(frozen=True)
class Data:
    x: np.ndarray  # (n, 1)
    y: np.ndarray  # (n,)
    shape: str


@dataclass(frozen=True)
class BoostStage:
    """Stage ``m`` (1…): the tree fitted to ``target`` and where it leaves the sum."""

    m: int
    target: np.ndarray  # the residual y − ŷ_{m−1} this tree was fitted to
    tree_prediction: np.ndarray  # h_m(x) on the training points
    prediction: np.ndarray  # ŷ_m = ŷ_{m−1} + ν·h_m(x)
    residual: np.ndarray  # y − ŷ_m, what the next tree will fit
    tree: object  # the fitted DecisionTreeRegressor

    @property
    def mse(self) -> float:
        return float(np.mean(self.residual**2))


@dataclass(frozen=True)
class Boosting:
    """A staged fit: ``start`` is ŷ₀ (a constant); ``stages[m − 1]`` is stage ``m``."""

    data: Data
    start: float
    learning_rate: float
    max_depth: int
    stages: tuple[BoostStage, ...]

    def predict(self, x: np.ndarray, upto: int | None = None) -> np.ndarray:
        """ŷ after ``upto`` stages (all by default) at new points ``x`` of shape (n, 1)."""
        out = np.full(len(x), self.start, dtype=float)
        for stage in self.stages[:upto]:
            out += self.learning_rate * stage.tree.predict(x)
        return out

    @property
    def start_mse(self) -> float:
        return float(np.mean((self.data.y - self.start) ** 2))


def make_data(n: int = 100, shape: str = "quadratic", noise: float = 0.05, seed: int = 42) -> Data:
    """``n`` points on [−0.5, 0.5]: seed 004's quadratic ``3x² + noise`` (as in Géron's
    book, where its code comes from), a sine or a step."""
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, got {shape!r}")
    if not 5 <= n <= 5000:
        raise ValueError(f"n must be 5 to 5000, got {n}")
    if not 0 <= noise <= 10:
        raise ValueError(f"noise must be 0 to 10, got {noise}")
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1)) - 0.5
    t = x[:, 0]
    clean = {
        "quadratic": 3 * t**2,
        "sine": 0.5 * np.sin(4 * np.pi * t),
        "step": np.where(t > 0.1, 0.6, 0.0) + 0.4 * t,
    }[shape]
    return Data(x, clean + noise * rng.standard_normal(n), shape)


def fit_stages(
    data: Data,
    n_stages: int = 3,
    max_depth: int = 2,
    learning_rate: float = 1.0,
    start: str = "zero",
) -> Boosting:
    """Fit ``n_stages`` trees, each to the residual of the sum so far (squared loss)."""
    from sklearn.tree import DecisionTreeRegressor

    if start not in STARTS:
        raise ValueError(f"start must be one of {', '.join(STARTS)}, got {start!r}")
    if not 1 <= n_stages <= 500:
        raise ValueError(f"n_stages must be 1 to 500, got {n_stages}")
    if not 1 <= max_depth <= 10:
        raise ValueError(f"max_depth must be 1 to 10, got {max_depth}")
    if not 0 < learning_rate <= 1:
        raise ValueError(f"learning_rate must be above 0 and at most 1, got {learning_rate}")
    y = data.y
    f0 = float(np.mean(y)) if start == "mean" else 0.0
    prediction = np.full(len(y), f0)
    stages = []
    for m in range(1, n_stages + 1):
        target = y - prediction  # for squared loss the negative gradient is the residual
        tree = DecisionTreeRegressor(max_depth=max_depth, random_state=0).fit(data.x, target)
        h = tree.predict(data.x)
        prediction = prediction + learning_rate * h
        stages.append(BoostStage(m, target, h, prediction, y - prediction, tree))
    return Boosting(data, f0, learning_rate, max_depth, tuple(stages))


def sklearn_staged(
    data: Data, n_stages: int, max_depth: int = 2, learning_rate: float = 1.0, start: str = "zero"
) -> list[np.ndarray]:
    """scikit-learn's ``GradientBoostingRegressor(...).staged_predict`` on the data, for
    checking :func:`fit_stages` against."""
    from sklearn.ensemble import GradientBoostingRegressor

    gbr = GradientBoostingRegressor(
        n_estimators=n_stages,
        max_depth=max_depth,
        learning_rate=learning_rate,
        random_state=0,
        init="zero" if start == "zero" else None,
    )
    gbr.fit(data.x, data.y)
    return list(gbr.staged_predict(data.x))


__all__ = [
    "BoostStage",
    "Boosting",
    "Data",
    "SHAPES",
    "STARTS",
    "fit_stages",
    "make_data",
    "sklearn_staged",
]
