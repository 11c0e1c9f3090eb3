"""Screenshots of every page for the README: ``make screenshots``.

First seeds a fresh demo home (``--home``, by default ``~/.resnet-explorer-demo``) with
what a speaker has shown by then, trained for real through the command line: a race of
cifar_resnet20 against cifar_plain20 and the degradation experiment, both on the digits
with their pages' default settings, and the race's lesion study (a few minutes on two
CPU cores). Then starts the app on that home, drives the browser tests' Chromium through
every page of ``ui/router.SECTIONS`` at 1280×720, then talk mode, then talk mode at
1024×768 (the back row's screen), and writes ``assets/screenshots/<url path or
home>.png``, ``talk-<...>.png`` and ``talk-<...>-1024.png``; last, a race started live.

The home's path is on screen (Runs), hence one under ``~`` that reads as a user's, not
a scratch folder: the script makes it, and removes it afterwards (``--keep`` keeps it). It
never removes a folder it did not make.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .browser import CHROMIUM_ARGS, ROOT, Server, chromium_path, current, wait_idle

OUT = ROOT / "assets" / "screenshots"
HOME = Path.home() / ".resnet-explorer-demo"
MARK = ".made-by-make-screenshots"  # in a home this script made, and may remove
PRESET = "cifar_resnet56"  # a network whose plain twin makes Compare and Race meaningful
TALK_PAGES = ["", "race", "compose", "inspect"]
# Pages that compute only when a button is pressed: pressed, so the shot shows the result.
PRESS = {"gradients": "Measure the gradients"}
SEEDED = {"race", "runs", "degradation", "inside"}  # the pages that show the seeded runs
BACK_ROW = ["", "race", "degradation", "inside"]  # talk mode at 1024×768
RACE = ("cifar_resnet20", "cifar_plain20")  # the Race page's default pair
RACE_EPOCHS = 5  # the Race page's defaults: all the digits, batch 32, seed 0
DEGRADATION_EPOCHS = 8  # the Degradation page's defaults: batch 32, seed 0

# The Degradation page's experiment, queued as its button does (submit_race) and trained
# in this child now, as the command line's race does (claim, then execute_group).
DEGRADATION = f"""
import os
from resnet_core import get_spec
from resnet_core.data import DataChoice
from resnet_core.presets import DEGRADATION_SET
from resnet_core.training import RunStore, TrainSettings
from resnet_core.training.engine import execute_group
from resnet_core.training.submit import race_plans, submit_race

store = RunStore()
plans = race_plans([get_spec(n) for n in DEGRADATION_SET], DataChoice(source="digits"))
settings = TrainSettings(epochs={DEGRADATION_EPOCHS}, batch_size=32, seed=0)
ids = submit_race(store, plans, settings.to_dict())
assert store.claim(ids, os.getpid()), "the app's worker took the runs"
for s in execute_group(store, ids):
    print(s["name"], s["status"], flush=True)
    assert s["status"] == "completed", s
"""


def fresh_home(home: Path) -> None:
    """An empty ``home``, marked as this script's; one it did not make is refused."""
    if home.exists():
        if not (home / MARK).exists():
            raise SystemExit(
                f"{home} exists and was not made by `make screenshots`; "
                "move it away or give another --home"
            )
        shutil.rmtree(home)
    home.mkdir(parents=True)
    (home / MARK).write_text("made by tests/e2e/screenshots.py; removed when it ends\n")


def seed(home: Path) -> None:
    """Train what the pages show, for real, into ``home`` (see the module's words)."""
    env = {**os.environ, "RESNET_EXPLORER_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3"}

    def child(what: str, *args: str) -> str:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"seeding failed: {what}\n{done.stderr[-3000:]}")
        print(f"seeded {what} ({time.perf_counter() - started:.0f} s)")
        return done.stdout

    race = json.loads(
        child(
            "the race",
            "-m",
            "resnet_core",
            "race",
            RACE[0],
            "--against",
            RACE[1],
            "--dataset",
            "digits",
            "--epochs",
            str(RACE_EPOCHS),
            "--batch-size",
            "32",
            "--json",
        )
    )
    child("the degradation experiment", "-c", DEGRADATION)
    child("the lesion study", "-m", "resnet_core", "lesion", *(r["run_id"] for r in race), "--json")


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


def no_scratch_paths(page, target: Path) -> None:
    """Warn when the page's text shows a scratch folder or this checkout's path (a
    README picture should show neither)."""
    text = page.inner_text("body")
    for leak in (tempfile.gettempdir().rstrip("/") + "/", str(ROOT)):
        if leak in text:
            print(f"warning: {target.name} shows {leak!r} on screen", file=sys.stderr)


def name_of(path: str, talk: bool = False) -> str:
    return ("talk-" if talk else "") + (path or "home")


def shoot(
    page, base: str, path: str, out: Path, talk: bool = False, name: str | None = None
) -> Path:
    query = f"preset={PRESET}" + ("&talk=1" if talk else "")
    page.goto(f"{base}/{path}?{query}")
    settle(page)
    if path in PRESS:
        page.get_by_role("button", name=PRESS[path]).click()
        page.wait_for_selector("[data-testid='stPlotlyChart']", timeout=180_000)
        settle(page, 180_000)
        size = page.viewport_size  # the pointer off the button, to the right margin
        page.mouse.move(size["width"] - 10, size["height"] - 10)
    target = out / f"{name or name_of(path, talk)}.png"
    page.screenshot(path=str(target))
    no_scratch_paths(page, target)
    return target


def race_live(browser, base: str, out: Path) -> Path:
    """The live demo as the room sees it: a race in talk mode, a few epochs in (a new
    one: the seeded race is on screen until it starts)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(f"{base}/race?talk=1")
    settle(page)
    page.get_by_role("button", name="Start the race").click()
    current(page).get_by_role("button", name="Stop").first.wait_for(timeout=60_000)
    both = """() => {
      const plot = document.querySelector("[data-testid='stElementContainer'][data-stale=" +
          "'false'] [data-testid='stPlotlyChart'] .js-plotly-plot");
      const val = plot && plot.data ? plot.data.filter(t => (t.name || "").includes(
          "validation") && t.x.length >= 2) : [];
      return val.length >= 2;
    }"""
    page.wait_for_function(both, timeout=180_000)  # two epochs of both networks
    page.wait_for_timeout(1500)
    target = out / "talk-race-live.png"
    page.screenshot(path=str(target))
    current(page).get_by_role("button", name="Stop").first.click()
    page.wait_for_timeout(3000)
    context.close()
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", nargs="*", help="URL paths (home for Home)")
    parser.add_argument(
        "--home", type=Path, default=HOME, help=f"the demo home, made afresh (default: {HOME})"
    )
    parser.add_argument("--keep", action="store_true", help="keep the demo home afterwards")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = page_paths()
    if args.only:
        paths = [p for p in paths if (p or "home") in args.only]

    from playwright.sync_api import sync_playwright

    from resnet_core.training.worker import stop_worker

    home = args.home.expanduser().absolute()
    fresh_home(home)
    if SEEDED & set(paths):
        started = time.perf_counter()
        seed(home)
        print(f"seeding: {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    server = Server(env={"RESNET_EXPLORER_HOME": str(home)})
    try:
        server.wait_healthy()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for size, talk, wanted, suffix in (
                ((1280, 720), False, paths, ""),
                ((1280, 720), True, [t for t in TALK_PAGES if t in paths], ""),
                ((1024, 768), True, [t for t in BACK_ROW if t in paths], "-1024"),
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
        print(f"shooting: {time.perf_counter() - started:.0f} s")
        if stop_worker(home):  # the live race's worker: ended before its home goes
            time.sleep(2)
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
