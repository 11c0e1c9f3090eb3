"""A workshop on one server: every waiting person sees the jobs ahead and when theirs
should start, and one browser session may keep only so many jobs waiting (issue 18)."""

from __future__ import annotations

import pytest

from resnet_core import get_spec as preset
from resnet_core.training.estimate import duration, estimate_run
from resnet_core.training.queue import (
    MAX_QUEUED_DEFAULT,
    check_room,
    expected_start,
    jobs_ahead,
    max_queued,
    waiting_text,
)
from resnet_core.training.settings import SettingsError
from resnet_core.training.store import RunStore
from tests.apptest import app, plain

SPEC = preset("cifar_resnet20").to_dict()
DATA = {"source": "digits"}
SETTINGS = {"batch_size": 10, "epochs": 1}


def queue(store: RunStore, estimate: float, group: int = 0) -> list[str]:
    """Queue one run (``group`` > 0: a group of that many) with its estimate in seconds."""
    if group:
        runs = [("member", SPEC, DATA, SETTINGS)] * group
        return store.create_group(runs, estimates=[estimate] * group)
    return [store.create("single", SPEC, DATA, SETTINGS, estimate=estimate)]


def test_a_waiting_run_is_told_the_jobs_ahead_and_when_it_starts(tmp_path):
    """One running run (100 steps left at 50 images/s in batches of 10: 20 s), a race
    (two members of 30 s) and a run of 40 s wait ahead: 3 jobs, 20 + 60 + 40 s."""
    store = RunStore(tmp_path)
    (running,) = queue(store, 500.0)
    race = queue(store, 30.0, group=2)
    (single,) = queue(store, 40.0)
    (mine,) = queue(store, 10.0)
    store.update(running, status="running", total_steps=150)
    store.add_metrics(
        running,
        [
            {"kind": "batch", "epoch": 0, "step": 50, "seen": 500, "time": 1.0,
             "images_per_second": 50.0}
        ],
    )  # fmt: skip
    run = store.get(mine)
    jobs = jobs_ahead(store, run)
    assert [sorted(r.id for r in job) for job in jobs] == [[running], sorted(race), [single]]
    assert expected_start(store, run) == pytest.approx(20 + 60 + 40)
    assert waiting_text(store, run) == "waiting: 3 jobs ahead · starts in about 2 min"
    # The race's members are one job: the second waits behind the running run only.
    assert len(jobs_ahead(store, store.get(race[1]))) == 1
    assert waiting_text(store, store.get(race[1])) == "waiting: 1 job ahead · starts in about 20 s"


def test_a_running_job_not_timed_yet_counts_by_its_estimate_and_the_first_waiting_starts(
    tmp_path,
):
    store = RunStore(tmp_path)
    (first,) = queue(store, 45.0)
    (second,) = queue(store, 5.0)
    assert waiting_text(store, store.get(first)) == "starting…"
    store.update(first, status="running")  # compiling: no step timed
    assert expected_start(store, store.get(second)) == pytest.approx(45.0)
    assert jobs_ahead(store, store.get(first)) == []  # running: nothing is ahead of it


def test_a_job_ahead_with_no_estimate_gives_no_start_time_but_still_the_count(tmp_path):
    """A run queued by an older version stores no estimate: no figure is made up."""
    store = RunStore(tmp_path)
    queue(store, 0.0)
    (mine,) = queue(store, 10.0)
    assert expected_start(store, store.get(mine)) is None
    assert waiting_text(store, store.get(mine)) == "waiting: 1 job ahead"


def test_a_resumed_member_of_a_race_waits_as_a_job_of_its_own(tmp_path):
    store = RunStore(tmp_path)
    race = queue(store, 30.0, group=2)
    (mine,) = queue(store, 10.0)
    store.update(race[0], status="stopped")
    store.update(race[1], status="completed")
    store.requeue(race[0])  # resumed: trains alone, and was queued first
    assert [len(j) for j in jobs_ahead(store, store.get(mine))] == [1]


def test_the_cap_on_waiting_jobs_per_session(tmp_path):
    store = RunStore(tmp_path)
    mine = [queue(store, 1.0), queue(store, 1.0, group=2)]
    check_room(store, mine, {"RESNET_EXPLORER_MAX_QUEUED": "3"})  # 2 waiting: room
    with pytest.raises(SettingsError, match=r"already have 2 jobs waiting .* \(2\)"):
        check_room(store, mine, {"RESNET_EXPLORER_MAX_QUEUED": "2"})
    store.update(mine[1][0], status="running")
    store.update(mine[1][1], status="running")
    check_room(store, mine, {"RESNET_EXPLORER_MAX_QUEUED": "2"})  # one started: room again


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "101", "2.5"])
def test_a_bad_queue_cap_setting_is_named_with_its_fix(raw):
    with pytest.raises(SettingsError, match="RESNET_EXPLORER_MAX_QUEUED must be a whole number"):
        max_queued({"RESNET_EXPLORER_MAX_QUEUED": raw})


def test_the_queue_cap_defaults_to_three():
    assert max_queued({}) == MAX_QUEUED_DEFAULT == 3
    assert max_queued({"RESNET_EXPLORER_MAX_QUEUED": " 7 "}) == 7


def test_two_sessions_each_see_their_place_and_one_is_capped(tmp_path, monkeypatch):
    """Two people on one server, no worker free: the first queues two runs and is refused
    a third (cap 2, said on the page); the second still queues one and is told it waits
    behind two jobs, with the expected start from the stored estimates."""
    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    monkeypatch.setenv("RESNET_EXPLORER_MAX_QUEUED", "2")
    store = RunStore(tmp_path)

    def press_train(at):
        next(b for b in at.button if b.label == "Train").click().run()
        assert not at.exception, [e.value for e in at.exception]

    first = app("pages/train.py", preset="cifar_resnet20")
    press_train(first)
    press_train(first)
    assert not first.error, [e.value for e in first.error]
    press_train(first)
    refusal = " ".join(plain(e.value) for e in first.error)
    assert "you already have 2 jobs waiting" in refusal
    assert "RESNET_EXPLORER_MAX_QUEUED" not in refusal or "stop a waiting one" in refusal
    assert len(store.list()) == 2

    second = app("pages/train.py", preset="cifar_resnet20")
    press_train(second)
    assert not second.error, [e.value for e in second.error]
    runs = sorted(store.list(), key=lambda r: r.created)
    assert len(runs) == 3 and all(r.estimate > 0 for r in runs)
    start = duration(runs[0].estimate + runs[1].estimate)
    shown = " ".join(plain(p.proto.text) for p in second.get("progress"))
    assert f"waiting: 2 jobs ahead · starts in about {start}" in shown, shown


def test_a_queued_run_stores_the_estimate_the_page_showed(tmp_path):
    """The stored estimate is estimate_run's total for the planned run: one source."""
    from resnet_core.data import DataChoice
    from resnet_core.training.settings import TrainSettings
    from resnet_core.training.submit import plan_run, submit_run

    store = RunStore(tmp_path)
    plan = plan_run(preset("cifar_resnet20"), DataChoice(source="digits", subset=200))
    settings = TrainSettings(epochs=2, batch_size=16)
    run = store.get(submit_run(store, plan, settings.to_dict()))
    expected = estimate_run(
        [plan.spec], len(plan.prepared.x_train), len(plan.prepared.x_val), 16, 2
    ).total_seconds
    # The machine's speed is measured once and reused (REMEASURE_SECONDS): the same figure.
    assert run.estimate == pytest.approx(expected, rel=0.05)


def test_a_resume_waits_like_a_new_run_and_counts_against_the_cap(tmp_path, monkeypatch):
    """Runs' Resume queues a job too: with one job of the session waiting and a cap of
    1, it is refused with the message and the run stays stopped."""
    from tests.test_train_settings import _a_stopped_run_with_its_checkpoint

    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    monkeypatch.setenv("RESNET_EXPLORER_MAX_QUEUED", "1")
    _a_stopped_run_with_its_checkpoint(tmp_path)
    store = RunStore(tmp_path)
    (stopped,) = store.list()
    at = app("pages/train.py", preset="cifar_resnet20")
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.error, [e.value for e in at.error]
    at.session_state["selected_run"] = stopped.id
    at.switch_page("pages/runs.py").run()
    next(b for b in at.button if b.label == "Resume from checkpoint").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "you already have 1 job waiting" in " ".join(plain(e.value) for e in at.error)
    assert store.get(stopped.id).status == "stopped"
