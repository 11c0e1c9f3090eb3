"""Benchmark in a real browser (Debian's Chromium, headless) against `streamlit run`.

Targets (issue 3): after an edit to a ResNet-50 stage the new totals are on screen in
under 0.5 s (median); from server start to the first rendered page under 5 s.

Run: .venv/bin/python benchmarks/bench_browser.py [--edits N] [--quick]
(--quick: one start, two edits, one cold Train, all on that one server: a check that
every part runs)

The edits and the Train clicks use the server of the last timed start (its home a
scratch folder), so each start is timed and none is spent on setup.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from resnet_core import analyze, get_spec  # noqa: E402
from tests.e2e.browser import CHROMIUM_ARGS, IDLE, Server, chromium_path  # noqa: E402

METRIC = "[data-testid='stMetricValue']"


def first_render(browser, home: str, keep: bool = False) -> tuple[float, Server | None]:
    """Seconds from spawning the server to the home page's totals in the browser; the
    server too when ``keep`` (else it is stopped)."""
    page = browser.new_page()
    server = Server(env={"RESNET_EXPLORER_HOME": home})
    rendered = False
    try:
        server.wait_healthy()
        page.goto(server.url)
        page.wait_for_selector("[data-testid='stSidebar'] >> text=Parameters:")
        rendered = True
        return time.perf_counter() - server.started, server if keep else None
    finally:
        page.close()
        if not (keep and rendered):
            server.stop()


def edit_latencies(browser, server: Server, edits: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    try:
        page.goto(f"{server.url}/compose?preset=resnet50")
        page.wait_for_selector(IDLE)
        grid = page.locator("[data-testid='stDataFrame']").nth(1)
        grid.scroll_into_view_if_needed()
        box = grid.get_by_test_id("data-grid-canvas").bounding_box()
        out = []
        base = get_spec("resnet50")
        for i in range(edits):
            blocks = 7 + i % 5  # a new value every time
            expected = f"{analyze(base.with_stage(2, num_blocks=blocks)).totals.total_params:,}"
            page.mouse.click(box["x"] + 80, box["y"] + 35 * 3 + 17)  # stage 3, column 1
            page.wait_for_timeout(150)
            page.keyboard.press("ArrowRight")
            page.keyboard.press("Enter")
            editor = page.locator("#portal input, #portal textarea").first
            editor.wait_for()
            editor.fill(str(blocks))
            t = time.perf_counter()
            page.keyboard.press("Enter")
            page.wait_for_function(
                "([sel, want]) => document.querySelector(sel)?.innerText === want",
                arg=[METRIC, expected],
                polling="raf",
            )
            out.append(time.perf_counter() - t)
            page.wait_for_selector(IDLE)
        return out
    finally:
        page.close()


POINTS = """() => {
  const plot = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
  return plot && plot.data ? plot.data[0].x.length : 0;
}"""


def _stop_worker(home: str) -> None:
    from resnet_core.training.worker import stop_worker

    stop_worker(Path(home))
    time.sleep(1)


def train_first_point(browser, server: Server, home: str, runs: int, warm: bool) -> list[float]:
    """Seconds from clicking Train (cifar_resnet20, digits) to the first point on the chart.

    The Train page starts the worker when it opens. Warm: we wait as a person reads the
    page (12 s, the worker has TensorFlow loaded), then click. Cold: no worker runs; the
    page is opened and Train clicked at once.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    out = []
    try:
        for i in range(runs):
            if not warm or i == 0:
                _stop_worker(home)
                page.goto(f"{server.url}/train?preset=cifar_resnet20")
                page.wait_for_selector(IDLE)
                if warm:
                    page.wait_for_timeout(12_000)
            page.wait_for_selector(IDLE)
            t = time.perf_counter()
            # The page's own Train button (the navigation has a "Train" section too).
            page.get_by_test_id("stMain").get_by_role("button", name="Train", exact=True).click()
            page.get_by_role("button", name="Stop").wait_for(timeout=60_000)
            page.wait_for_function(f"({POINTS})() >= 1", timeout=60_000, polling="raf")
            out.append(time.perf_counter() - t)
            page.get_by_role("button", name="Stop").click()
            page.get_by_text("stopped ·").wait_for(timeout=60_000)
        return out
    finally:
        page.close()
        _stop_worker(home)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edits", type=int, default=15)
    ap.add_argument("--quick", action="store_true", help="each part once")
    args = ap.parse_args()
    rounds = 1 if args.quick else 3
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        home = tempfile.mkdtemp(prefix="bench-home-")
        starts, server = [], None
        for i in range(rounds):
            seconds, server = first_render(browser, home, keep=i == rounds - 1)
            starts.append(seconds)
        try:
            lat = edit_latencies(browser, server, 2 if args.quick else args.edits)
            warm = [] if args.quick else train_first_point(browser, server, home, rounds, warm=True)
            cold = train_first_point(browser, server, home, rounds, warm=False)
        finally:
            server.stop()
            browser.close()
    med_start, med_edit = statistics.median(starts), statistics.median(lat)
    print(
        f"server start -> first rendered page: median {med_start:.2f} s "
        f"(runs: {', '.join(f'{s:.2f}' for s in starts)}); target < 5 s: "
        f"{'met' if med_start < 5 else 'NOT met'}"
    )
    print(
        f"edit -> new totals on screen: median {med_edit * 1000:.0f} ms, "
        f"max {max(lat) * 1000:.0f} ms over {len(lat)} edits; target < 500 ms: "
        f"{'met' if med_edit < 0.5 else 'NOT met'}"
    )
    for label, times in (("warm worker", warm), ("cold: page opened, Train clicked at once", cold)):
        if not times:
            continue
        med = statistics.median(times)
        print(
            f"Train pressed -> first point on the chart (cifar_resnet20, digits), {label}: "
            f"median {med:.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)}); "
            f"target < 5 s: {'met' if med < 5 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
