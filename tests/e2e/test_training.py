"""End to end: start a training run in the browser, watch the curve grow, stop it."""

import os

from playwright.sync_api import expect

from resnet_core.training import RunStore

from .browser import wait_idle

POINTS = """() => {
  const plot = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
  return plot && plot.data ? plot.data[0].x.length : 0;
}"""


def test_start_watch_and_stop_a_run(server, page):
    page.goto(f"{server.url}/train?preset=cifar_resnet20")
    wait_idle(page)
    page.get_by_label("Epochs").fill("200")
    page.keyboard.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Train").click()
    page.wait_for_function(f"({POINTS})() >= 1", timeout=60_000)
    first = page.evaluate(POINTS)
    page.wait_for_function(f"({POINTS})() > {first + 2}", timeout=60_000)  # it grows
    expect(page.get_by_text("Images / s")).to_be_visible()

    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("stopped ·")).to_be_visible(timeout=30_000)
    store = RunStore(os.environ["RESNET_EXPLORER_HOME"])
    run = next(r for r in store.list() if r.name == "cifar_resnet20")
    assert run.status == "stopped" and run.epochs_done < 200
    assert (store.run_dir(run.id) / "checkpoint.keras").exists()
    expect(page.get_by_test_id("stException")).to_have_count(0)
