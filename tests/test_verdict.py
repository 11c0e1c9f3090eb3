"""The sentence a race or the degradation experiment ends with: held to the numbers."""

import math

import pytest

from resnet_core.verdict import (
    Point,
    Reading,
    Series,
    compare,
    degradation,
    error_now,
    pct,
    race,
    reached,
    training_error,
)

EPOCH = 320  # images per epoch in these made-up runs


def run(name, errors, residual=None, depth=20, status="completed", val=None, losses=None):
    """A run whose chunks of 32 images had these training errors, in order (after the
    untrained network's point at 0 images)."""
    pts = [Point(0, 0.1, 2.3)] + [
        Point(32 * (i + 1), 1 - e, (losses or {}).get(i, 0.5)) for i, e in enumerate(errors)
    ]
    return Series(name, tuple(pts), status, residual, depth, val, EPOCH)


def falling(start, end, n=30):
    """Down from ``start`` to ``end`` in the first half of ``n`` chunks, flat after."""
    half = n // 2
    return [start + (end - start) * i / max(half - 1, 1) for i in range(half)] + [end] * (n - half)


RES = run("cifar_resnet20", falling(0.9, 0.007), True, val=0.85)
PLAIN = run("cifar_plain20", falling(0.9, 0.08, 56)[:30], False, val=0.5)  # slower


def test_training_error_is_the_last_epochs_mean_weighted_by_images():
    s = Series(
        "x", (Point(0, 0.1), Point(100, 0.5), Point(300, 0.9), Point(400, 0.6)), epoch_images=300
    )
    r = training_error(s)
    # The last 300 images: the chunk ending at 300 (200 images) and at 400 (100 images).
    assert r == Reading(pytest.approx((200 * 0.1 + 100 * 0.4) / 300), 300)
    assert training_error(Series("y", (Point(0, 0.1),))) is None  # only the probe


def test_race_result_names_the_winner_its_margin_and_its_pace():
    v = race(RES, PLAIN)
    assert v.final
    end_res, end_plain = training_error(RES).error, training_error(PLAIN).error
    assert v.text.startswith(
        f"cifar_resnet20 ended at {pct(end_res)} training error, "
        f"its plain twin cifar_plain20 at {pct(end_plain)}"
    )
    a, b = reached(RES, 0.9), reached(PLAIN, 0.9)
    assert a < b and reached(PLAIN, 0.95) is None and reached(RES, 0.95)
    assert (
        f"reached {pct(0.9)} training accuracy {b / a:.1f}× sooner ({a:,} images "
        f"against {b:,})" in v.text
    )
    assert "the opposite of what He et al." not in v.text
    assert v.detail == (
        f"Validation accuracy after the last epoch: cifar_resnet20 "
        f"{pct(0.85)}, cifar_plain20 {pct(0.5)}."
    )
    assert pct(0.85) == "85\u00a0%" and pct(0.0071) == "0.7\u00a0%"  # never broken apart
    assert race(PLAIN, RES).text == v.text  # the order on the page does not matter


def test_race_says_so_when_the_plain_twin_does_better():
    v = race(
        run("cifar_resnet20", falling(0.9, 0.2), True),
        run("cifar_plain20", falling(0.9, 0.02), False),
    )
    assert v.text.startswith("The plain twin did better here: cifar_plain20 ended at")
    assert "the opposite of what He et al. report" in v.text


def test_a_tie_is_said_level_and_not_claimed_as_a_win():
    v = race(run("r", falling(0.9, 0.050), True), run("p", falling(0.9, 0.052), False))
    assert v.text.startswith("r and its plain twin p ended level, at 5.")
    assert "did better" not in v.text and " ended at " not in v.text
    # The same numbers from twice as many images still read as level when within noise.
    assert compare(Reading(0.050, 10_000), Reading(0.052, 10_000)) == 0
    assert compare(Reading(0.050, 100_000), Reading(0.060, 100_000)) == -1


def test_missing_validation_leaves_the_detail_out():
    v = race(run("r", falling(0.9, 0.01), True, val=0.8), run("p", falling(0.9, 0.3), False))
    assert v.final and v.text and v.detail == ""


def test_live_race_says_who_leads_now():
    r = run("r", falling(0.9, 0.1), True, status="running")
    p = run("p", falling(0.9, 0.6), False, status="running")
    live = race(r, p)
    assert not live.final
    assert live.text == (
        f"After 960 images: r leads, at {pct(error_now(r))} training "
        f"error against {pct(error_now(p))} for p."
    )
    level = race(run("r", [0.5] * 5, status="running"), run("p", [0.51] * 5, status="running"))
    assert level.text.startswith("After 160 images: level, at ")
    waiting = race(Series("r", (Point(0, 0.1),), "running"), Series("p", (), "queued"))
    assert waiting == type(waiting)("", False)


def test_stopped_failed_and_diverged_runs():
    stopped = race(
        run("r", falling(0.9, 0.01, 10), True, status="stopped"),
        run("p", falling(0.9, 0.4, 10), False, status="stopped"),
    )
    assert stopped.text.startswith("Stopped after 320 images: r ended at")
    failed = race(
        run("r", falling(0.9, 0.01, 10), True),
        run("p", falling(0.9, 0.5, 4), False, status="failed"),
    )
    assert failed.text.startswith("No comparison: p failed after 128 images; r ended at")
    nan = run("p", falling(0.9, 0.5, 6), False, losses={5: math.nan})
    assert race(RES, nan).text.startswith("No comparison: p diverged after 192 images")
    assert race(Series("r", status="failed"), Series("p", status="failed")).text == (
        "No result: r failed before its first step, and p failed before its first step."
    )
    nothing = race(Series("r", (Point(0, 0.1),), "stopped"), Series("p", (), "stopped"))
    assert nothing.text.startswith("Stopped before the first training step")
    # NaN accuracies are no figure at all, not a zero error.
    assert training_error(Series("x", (Point(0, 0.1), Point(32, math.nan)))) is None


def four(plain20, plain56, res20, res56, status="completed"):
    return [
        run("cifar_plain20", falling(0.9, plain20), False, 20, status),
        run("cifar_plain56", falling(0.9, plain56), False, 56, status),
        run("cifar_resnet20", falling(0.9, res20), True, 20, status),
        run("cifar_resnet56", falling(0.9, res56), True, 56, status),
    ]


def test_degradation_seen_and_said_in_numbers():
    runs = four(0.05, 0.6, 0.05, 0.001)
    v = degradation(runs)
    e = {s.name: pct(training_error(s).error) for s in runs}
    assert v.final and v.text.startswith(
        f"Plain: 56 layers ended at {e['cifar_plain56']} training error against "
        f"{e['cifar_plain20']} for 20 layers (worse with depth); residual: 56 layers ended "
        f"at {e['cifar_resnet56']} training error against {e['cifar_resnet20']} for 20 "
        "layers (better with depth)"
    )
    assert v.text.endswith(
        "the degradation problem: more plain layers train worse, more residual layers train better."
    )


def test_degradation_never_says_level_and_gains_in_one_breath():
    v = degradation(four(0.02, 0.6, 0.02, 0.021))
    assert "(level)" in v.text and "train better" not in v.text
    assert v.text.endswith("more residual layers do not.")


def test_degradation_when_the_numbers_disagree_with_the_paper():
    none = degradation(four(0.02, 0.021, 0.02, 0.02))
    assert "no degradation at this length of training" in none.text
    assert "degradation problem" not in none.text
    both = degradation(four(0.02, 0.6, 0.02, 0.3))
    assert "both trained worse with depth, the residual networks less" in both.text
    worse = degradation(four(0.02, 0.3, 0.02, 0.6))
    assert "the residual networks no less: the opposite of what He et al. report" in worse.text
    # Only the residual networks trained worse with depth: said as the paper's opposite,
    # not as "no degradation ... try more epochs".
    flipped = degradation(four(0.02, 0.021, 0.02, 0.3))
    assert flipped.text.endswith(
        "more residual layers trained worse, more plain layers no worse: the opposite of "
        "what He et al. report."
    )
    assert "no degradation" not in flipped.text
    gained = degradation(four(0.3, 0.02, 0.02, 0.3))
    assert gained.text.endswith("more plain layers better: the opposite of what He et al. report.")


def test_degradation_live_failed_and_other_sets():
    live = degradation(four(0.5, 0.8, 0.4, 0.3, status="running"))
    assert not live.final and live.text.startswith(
        "After 960 images, training error: plain 56 layers at"
    )
    runs = four(0.02, 0.6, 0.02, 0.004)
    runs[1] = run("cifar_plain56", falling(0.9, 0.9, 3), False, 56, "failed")
    assert degradation(runs).text == "No verdict: cifar_plain56 failed after 96 images."
    assert degradation(runs[:2]).text == ""  # not the experiment's four networks
