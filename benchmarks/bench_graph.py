"""Benchmark the Graph page: ResNet-152 at full layer level, open → drawn, and moving in it.

Target (issue 9): ResNet-152 at layer level opens in under 3 s and stays navigable.
Measures, on this machine:
- the core: trace → fold → DOT → Graphviz SVG (no cache), for ResNet-152 at each level and
  a 1,202-layer CIFAR ResNet at block level;
- the browser (Debian's Chromium, headless, against `streamlit run`): a new tab opening
  `/graph?preset=resnet152&level=layer` until all 518 nodes are in the drawing, first
  (the SVG not cached yet) and again (cached), beside the same page at stage level (what
  opening any page costs); a zoom step and a
  pan step until the next painted frame; a click on a stage until its blocks are drawn.

Run: .venv/bin/python benchmarks/bench_graph.py [--rounds N] [--quick]
(--quick: one round; the core for ResNet-152 at stage level and the 1,202-layer network at
block level only: a check that it runs)
"""

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from resnet_core import analyze, get_spec  # noqa: E402
from resnet_core.graph import render, to_graph  # noqa: E402
from resnet_core.graph_model import View, fold  # noqa: E402
from tests.e2e.browser import CHROMIUM_ARGS, IDLE, Server, chromium_path  # noqa: E402

VIEW = "[data-testid='graph-view']"


def core(spec, view: View, rounds: int) -> tuple[float, int]:
    """Median seconds for trace → fold → DOT → SVG, and the number of nodes."""
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        a = analyze(spec)
        g = fold(a, view)
        render(to_graph(a, view=view, folded=g).source)
        times.append(time.perf_counter() - t)
    return statistics.median(times), len(g.nodes)


def open_drawn(browser, url: str, n_nodes: int) -> float:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        t = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(f"{VIEW}[data-nodes='{n_nodes}']", timeout=120_000)
        return time.perf_counter() - t
    finally:
        page.close()


def frame_after(page, js_action: str) -> float:
    """Milliseconds from a view change (a button, dispatched in the page) to the next
    painted frame."""
    return page.locator(VIEW).evaluate(f"""async (view) => {{
      const t0 = performance.now();
      {js_action};
      await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t0;
    }}""")


def button(label: str) -> str:
    return (
        f"[...view.getRootNode().querySelectorAll('button')].find(b => "
        f"b.textContent.trim().endsWith('{label}')).click()"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one round, fewer views")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 1

    r152 = get_spec("resnet152")
    cifar = get_spec("cifar_resnet20")
    r1202 = cifar.replace(
        name="cifar_resnet1202",
        stages=tuple(dataclasses.replace(s, num_blocks=200) for s in cifar.stages),
    )
    print("core: trace → fold → DOT → Graphviz SVG (median)")
    for name, spec, view in (
        ("resnet152", r152, View("stage")),
        ("resnet152", r152, View("block")),
        ("resnet152", r152, View("layer")),
        ("resnet152", r152, View("layer", "LR")),
        ("cifar_resnet1202", r1202, View("block")),
    )[:: 4 if args.quick else 1]:
        sec, n = core(spec, view, args.rounds)
        print(f"  {name:17s} {view.level:5s} {view.direction}: {sec * 1000:7.0f} ms, {n} nodes")

    n_layers = len(analyze(r152).layers)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        server = Server()
        try:
            server.wait_healthy()
            # a person has the app open already: the server's first run (imports) is done
            open_drawn(browser, f"{server.url}/graph?preset=cifar_resnet20&level=stage", 6)
            url = f"{server.url}/graph?preset=resnet152&level=layer"
            first = open_drawn(browser, url, n_layers)
            again = [open_drawn(browser, url, n_layers) for _ in range(args.rounds)]
            small = [
                open_drawn(browser, f"{server.url}/graph?preset=resnet152&level=stage", 7)
                for _ in range(args.rounds)
            ]
            print(
                f"browser: open → {n_layers} nodes drawn: first {first:.2f} s (SVG not "
                f"cached), then median {statistics.median(again):.2f} s "
                f"({min(again):.2f}–{max(again):.2f}); the same page at stage level "
                f"(7 nodes): median {statistics.median(small):.2f} s"
            )

            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url)
            page.wait_for_selector(f"{VIEW}[data-nodes='{n_layers}']", timeout=120_000)
            zoom = [frame_after(page, button(b)) for b in ("Zoom in", "Zoom out") * args.rounds]
            fit = [frame_after(page, button(b)) for b in ("Fit", "Fit width") * args.rounds]
            print(
                f"  zoom step → painted: median {statistics.median(zoom):.0f} ms "
                f"(max {max(zoom):.0f}); fit ↔ fit width: median "
                f"{statistics.median(fit):.0f} ms (max {max(fit):.0f})"
            )

            page.goto(f"{server.url}/graph?preset=resnet152&level=stage")
            page.wait_for_selector(IDLE)
            page.wait_for_selector(f"{VIEW} [id='node:stage3']")
            # At 1280×720 the view shows the top of the drawing: fit it, as a person would,
            # so stage3 is inside the view (outside it the page, not the node, takes a click).
            page.get_by_role("button", name="Fit", exact=True).click()
            t = time.perf_counter()
            page.locator(f"{VIEW} [id='node:stage3']").click()
            page.wait_for_selector(f"{VIEW} [id='box:stage3']", timeout=60_000)
            print(f"  click stage3 (36 blocks) → opened in place: {time.perf_counter() - t:.2f} s")
            page.close()
        finally:
            server.stop()
            browser.close()


if __name__ == "__main__":
    main()
