"""End to end: train from a fresh start, race residual against plain, replay a stored run."""

import os
import time

from playwright.sync_api import expect

from resnet_core import get_spec
from resnet_core.training import RunStore

from .browser import current, wait_idle

# Points of the chart's traces whose name contains NAME (both subplots, raw and smoothed).
POINTS = """(name) => {
  const plot = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
  if (!plot || !plot.data) return 0;
  return plot.data.filter(t => (t.name || "").includes(name))
                  .reduce((n, t) => Math.max(n, t.x.length), 0);
}"""


def points(page, name=""):
    return page.evaluate(POINTS, name)


def store():
    return RunStore(os.environ["RESNET_EXPLORER_HOME"])


def stop_all(page):
    """Stop whatever trains, so the next test has the worker to itself."""
    for r in store().list():
        if r.active:
            store().request_stop(r.id)
    deadline = time.monotonic() + 120
    while any(r.active for r in store().list()) and time.monotonic() < deadline:
        time.sleep(0.5)


def wait_for(read, count, seconds):
    """``read()`` once it holds at least ``count`` items (polled; fails after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while len(items := read()) < count:
        assert time.monotonic() < deadline, f"{len(items)} of {count} after {seconds} s"
        time.sleep(0.5)
    return items


def test_fresh_start_trains_on_the_first_click(server, page):
    """A 64×64 network (seed_resnet50) on the default data (8×8 digits): the page picks
    the fit that works, says so, and the first click trains."""
    page.goto(f"{server.url}/train?preset=seed_resnet50")
    wait_idle(page)
    expect(page.get_by_text("8×8 images are too small for seed_resnet50")).to_be_visible()
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function(f"({POINTS})('training') >= 2", timeout=180_000)
    current(page).get_by_role("button", name="Stop").click()
    expect(page.get_by_text("stopped ·")).to_be_visible(timeout=60_000)
    run = store().list()[0]
    assert run.name == "seed_resnet50" and run.status == "stopped"
    assert run.data["fit"] == "resize"
    assert (store().run_dir(run.id) / "checkpoint.keras").exists()
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_start_watch_and_stop_a_run(server, page):
    page.goto(f"{server.url}/train?preset=cifar_resnet20")
    wait_idle(page)
    page.get_by_label("Epochs", exact=True).fill("200")
    page.keyboard.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function(f"({POINTS})('training') >= 2", timeout=90_000)
    first = points(page, "training")
    page.wait_for_function(f"({POINTS})('training') > {first + 2}", timeout=60_000)
    expect(page.get_by_text("Images / s")).to_be_visible()

    current(page).get_by_role("button", name="Stop").click()
    expect(page.get_by_text("stopped ·")).to_be_visible(timeout=30_000)
    run = next(r for r in store().list() if r.name == "cifar_resnet20")
    assert run.status == "stopped" and run.epochs_done < 200
    assert (store().run_dir(run.id) / "checkpoint.keras").exists()
    expect(page.get_by_test_id("stException")).to_have_count(0)


def batch_points(count: int, t0: float) -> list[dict]:
    """``count`` training points of epoch 0, one a second from ``t0``."""
    return [
        {
            "kind": "batch",
            "epoch": 0,
            "step": i,
            "seen": 32 * i,
            "time": t0 + i,
            "loss": 2.3 / (1 + i),
            "accuracy": i / count,
        }
        for i in range(count)
    ]


def finished_race():
    """A race that ended earlier, with full curves: the one a new visitor sees first."""
    s = store()
    nets = [get_spec(n) for n in ("cifar_resnet20", "cifar_plain20")]
    ids = s.create_group([(n.name, n.to_dict(), {"source": "digits"}, {"epochs": 1}) for n in nets])
    for run_id in ids:
        s.add_metrics(run_id, batch_points(40, 1e9))
        s.update(run_id, status="completed", total_steps=40)


def test_the_race_grows_both_curves_on_one_chart(server, page):
    stop_all(page)
    finished_race()  # CI failed when the page's chart was this one, not the new race's
    page.goto(f"{server.url}/race")
    wait_idle(page)
    page.get_by_label("Epochs", exact=True).fill("50")
    page.keyboard.press("Enter")
    wait_idle(page)
    before = {r.id for r in store().list()}
    page.get_by_role("button", name="Start the race").click()
    # The page opened on the last race stored (another test's, with its full curves), so
    # the new runs' own trained steps are awaited in the store before the chart is read.
    race = wait_for(lambda: [r for r in store().list() if r.id not in before], 2, 30)
    assert {r.name for r in race} == {"cifar_resnet20", "cifar_plain20"}
    assert race[0].group_id == race[1].group_id
    for r in race:
        wait_for(lambda r=r: [b for b in store().metrics(r.id, "batch") if b["seen"]], 3, 120)
    for name in ("cifar_resnet20 · training", "cifar_plain20 · training"):
        page.wait_for_function(f"({POINTS})({name!r}) >= 3", timeout=60_000)
    current(page).get_by_role("button", name="Stop").click()  # one button stops both
    # Both stopped, once their checkpoints are written (a minute or more under load): an
    # ended race's status is one line, said once for both ("... and cifar_plain20: stopped
    # · step 9 of 1,100 · epoch 1 / 50").
    try:
        expect(page.get_by_text("cifar_plain20: stopped · step")).to_have_count(1, timeout=180_000)
    except AssertionError:  # what the store holds, and what the page says instead
        stored = [(r.name, r.status, r.phase) for r in store().list() if r.group_id]
        shown = page.get_by_test_id("stCaptionContainer").all_inner_texts()
        raise AssertionError(f"stored {stored}; the page shows {shown}") from None
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_stored_run_replays_at_its_recorded_pace(server, page):
    s = store()
    run_id = s.create("replayed_net", {}, {"source": "digits"}, {"epochs": 1})
    s.add_metrics(run_id, batch_points(60, time.time() - 100))  # over 59 recorded seconds
    s.update(run_id, status="completed")
    page.goto(f"{server.url}/runs")
    wait_idle(page)
    # all shown before a replay
    page.wait_for_function(f"({POINTS})('replayed_net') == 60", timeout=20_000)
    page.get_by_role("button", name="Replay", exact=True).click()  # 5×: 59 s in ~12 s
    expect(page.get_by_text("replay at 5×")).to_be_visible(timeout=20_000)
    page.wait_for_function(f"({POINTS})('replayed_net') < 60", timeout=20_000)
    during = points(page, "replayed_net")
    assert 0 < during < 60
    page.wait_for_function(f"({POINTS})('replayed_net') == 60", timeout=60_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_bad_upload_gets_a_message(server, page, tmp_path):
    """A file that is not what its name says is refused with a message naming it."""
    bad = tmp_path / "digits.npz"
    bad.write_bytes(b"this is not an npz archive")
    page.goto(f"{server.url}/train?preset=cifar_resnet20")
    wait_idle(page)
    page.get_by_label("Dataset").click()
    page.get_by_role("option", name="Upload").click()
    wait_idle(page)
    page.locator("input[type='file']").set_input_files(str(bad))
    wait_idle(page)
    alert = page.get_by_test_id("stAlertContentError")
    expect(alert).to_contain_text("digits.npz", timeout=30_000)
    expect(alert).to_contain_text("not a readable .npz file")
    expect(page.get_by_role("button", name="Train", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
