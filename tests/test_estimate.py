"""The epoch estimate: one starved measurement of the machine's speed does not stay."""

import pytest

from resnet_core import get_spec
from resnet_core.training import estimate


def test_a_slow_first_measurement_is_superseded_by_a_later_faster_one(monkeypatch):
    rates = iter([1e9, 1e11, 5e10, 5e10])
    monkeypatch.setattr(estimate, "_peak", {})
    monkeypatch.setattr(estimate, "_measure_matmul", lambda seconds: next(rates))
    monkeypatch.setattr(estimate, "REMEASURE_SECONDS", 0.0)  # every call measures again
    spec = get_spec("cifar_resnet20")
    starved = estimate.estimate_epoch_seconds(spec, 1000, 32).seconds
    assert estimate.matmul_flops() == 1e11  # measured again, the better rate kept
    assert estimate.matmul_flops() == 1e11  # a worse window does not replace it
    assert estimate.estimate_epoch_seconds(spec, 1000, 32).seconds == starved / 100


def test_the_rate_is_kept_between_measurements(monkeypatch):
    calls = []
    monkeypatch.setattr(estimate, "_peak", {})
    monkeypatch.setattr(estimate, "_measure_matmul", lambda seconds: calls.append(seconds) or 2e10)
    for _ in range(5):
        assert estimate.matmul_flops() == 2e10
    assert len(calls) == 1


def test_an_epoch_is_its_whole_batches(monkeypatch):
    monkeypatch.setattr(estimate, "_peak", {})
    monkeypatch.setattr(estimate, "_measure_matmul", lambda seconds: 1e10)
    spec = get_spec("cifar_resnet20")
    step = estimate.step_seconds(spec, 32)
    assert estimate.estimate_epoch_seconds(spec, 100, 32).seconds == pytest.approx(3 * step)
    assert estimate.estimate_epoch_seconds(spec, 10, 32).seconds == pytest.approx(step)
