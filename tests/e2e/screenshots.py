"""Screenshots of every page for the README: ``make screenshots``.

Starts the app (scratch ``RESNET_EXPLORER_HOME``), drives the browser tests' Chromium
through every page of ``ui/router.SECTIONS`` at 1280×720, then talk mode, and writes
``assets/screenshots/<url path or home>.png``, ``talk-<...>.png`` and one 1024×768 shot.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from .browser import CHROMIUM_ARGS, ROOT, Server, chromium_path, current, wait_idle

OUT = ROOT / "assets" / "screenshots"
PRESET = "cifar_resnet56"  # a network whose plain twin makes Compare and Race meaningful
TALK_PAGES = ["", "race", "compose", "inspect"]


def page_paths() -> list[str]:
    """URL paths of the navigation, from the router's table ("" is Home)."""
    from ui.router import SECTIONS  # imports Streamlit only, runs no page

    return [path for items in SECTIONS.values() for _f, _t, _i, path in items]


def settle(page, timeout: float = 60_000) -> None:
    """The tests' ``wait_idle``, then every chart drawn and a moment for layout passes."""
    wait_idle(page, timeout)
    page.wait_for_function(
        """() => [...document.querySelectorAll(
        "[data-testid='stPlotlyChart']")].every(c => c.querySelector('.main-svg'))""",
        timeout=timeout,
    )
    page.evaluate(STILL)  # fonts, Plotly's and the graph's own layout passes


# The page has stopped moving: fonts loaded, and the main area's, the charts' and the
# graph's boxes the same in three looks 150 ms apart (their own layout passes done);
# at most 6 s of looks.
STILL = """async () => {
  await document.fonts.ready;
  const look = () => JSON.stringify([...document.querySelectorAll(
    "[data-testid='stMain'], [data-testid='stPlotlyChart'], .gx-root, svg.main-svg")]
    .map(e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }));
  let last = look(), same = 0;
  for (let i = 0; same < 2 && i < 40; i++) {
    await new Promise(done => setTimeout(done, 150));
    const now = look();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return true;
}"""


def name_of(path: str, talk: bool = False) -> str:
    return ("talk-" if talk else "") + (path or "home")


def shoot(
    page, base: str, path: str, out: Path, talk: bool = False, name: str | None = None
) -> Path:
    query = f"preset={PRESET}" + ("&talk=1" if talk else "")
    page.goto(f"{base}/{path}?{query}")
    settle(page)
    target = out / f"{name or name_of(path, talk)}.png"
    page.screenshot(path=str(target))
    return target


def race_live(browser, base: str, out: Path) -> Path:
    """The live demo as the room sees it: a race in talk mode, a few epochs in."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(f"{base}/race?talk=1")
    settle(page)
    page.get_by_role("button", name="Start the race").click()
    both = """() => {
      const plot = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
      const val = plot && plot.data ? plot.data.filter(t => (t.name || "").includes(
          "validation") && t.x.length >= 2) : [];
      return val.length >= 2;
    }"""
    page.wait_for_function(both, timeout=180_000)  # two epochs of both networks
    page.wait_for_timeout(1500)
    target = out / "talk-race-live.png"
    page.screenshot(path=str(target))
    current(page).get_by_role("button", name="Stop").click()
    page.wait_for_timeout(3000)
    context.close()
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", nargs="*", help="URL paths (home for Home)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = page_paths()
    if args.only:
        paths = [p for p in paths if (p or "home") in args.only]

    from playwright.sync_api import sync_playwright

    home = tempfile.mkdtemp(prefix="resnet-explorer-shots-")
    server = Server(env={"RESNET_EXPLORER_HOME": home})
    try:
        server.wait_healthy()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for size, talk, wanted, suffix in (
                ((1280, 720), False, paths, ""),
                ((1280, 720), True, [t for t in TALK_PAGES if t in paths], ""),
                ((1024, 768), True, [t for t in ("race",) if t in paths], "-1024"),
            ):
                context = browser.new_context(viewport=dict(zip(("width", "height"), size)))
                page = context.new_page()
                for path in wanted:
                    shot = shoot(
                        page, server.url, path, args.out, talk, name_of(path, talk) + suffix
                    )
                    print(shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot)
                context.close()
            if "race" in paths:
                print(race_live(browser, server.url, args.out))
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
