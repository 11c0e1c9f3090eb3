"""The boosting demo: each stage fits the residual, and the sum is scikit-learn's own."""

import numpy as np
import pytest
from sklearn.tree import DecisionTreeRegressor

from resnet_core.boosting import SHAPES, STARTS, fit_stages, make_data, sklearn_staged


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("depth,rate", [(2, 1.0), (1, 0.3), (3, 0.1)])
def test_stages_equal_scikit_learns_staged_predict(shape, start, depth, rate):
    data = make_data(shape=shape)
    b = fit_stages(data, 12, depth, rate, start)
    theirs = sklearn_staged(data, 12, depth, rate, start)
    for stage, expected in zip(b.stages, theirs, strict=True):
        np.testing.assert_allclose(stage.prediction, expected, rtol=0, atol=1e-12)
        np.testing.assert_allclose(b.predict(data.x, stage.m), expected, rtol=0, atol=1e-12)


def test_each_tree_is_fitted_to_the_residual_of_the_sum_so_far():
    data = make_data()
    b = fit_stages(data, 5, 2, 0.5, "mean")
    assert b.start == pytest.approx(data.y.mean())
    previous = np.full(len(data.y), b.start)
    for stage in b.stages:
        np.testing.assert_array_equal(stage.target, data.y - previous)
        own = DecisionTreeRegressor(max_depth=2, random_state=0).fit(data.x, stage.target)
        np.testing.assert_array_equal(stage.tree_prediction, own.predict(data.x))
        np.testing.assert_allclose(stage.prediction, previous + 0.5 * stage.tree_prediction)
        np.testing.assert_allclose(stage.residual, data.y - stage.prediction)
        previous = stage.prediction


def test_seed_004s_three_trees_by_hand():
    """Seed 004's code: three trees on y, y − ŷ₁, y − ŷ₂, summed on new points."""
    data = make_data()
    x, y = data.x, data.y
    t1 = DecisionTreeRegressor(max_depth=2).fit(x, y)
    y2 = y - t1.predict(x)
    t2 = DecisionTreeRegressor(max_depth=2).fit(x, y2)
    y3 = y2 - t2.predict(x)
    t3 = DecisionTreeRegressor(max_depth=2).fit(x, y3)
    x_new = np.linspace(-0.5, 0.5, 50).reshape(-1, 1)
    by_hand = sum(t.predict(x_new) for t in (t1, t2, t3))
    np.testing.assert_allclose(fit_stages(data, 3).predict(x_new), by_hand, atol=1e-12)


def test_the_training_error_never_rises():
    b = fit_stages(make_data(shape="sine"), 30, 2, 1.0)
    mse = [b.start_mse] + [s.mse for s in b.stages]
    assert all(after <= before + 1e-15 for before, after in zip(mse, mse[1:]))
    assert mse[-1] < mse[0] / 20


def test_data_is_deterministic_and_bad_settings_are_refused():
    np.testing.assert_array_equal(make_data(seed=3).y, make_data(seed=3).y)
    for bad in (dict(shape="cubic"), dict(n=2), dict(noise=-1)):
        with pytest.raises(ValueError):
            make_data(**bad)
    data = make_data()
    for bad in (
        dict(n_stages=0),
        dict(max_depth=0),
        dict(learning_rate=0),
        dict(learning_rate=2.0),
        dict(start="median"),
    ):
        with pytest.raises(ValueError):
            fit_stages(data, **bad)
