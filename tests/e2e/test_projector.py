"""On a projector: chart text at least 14 px, and no chart toolbar over a chart title.
(Nothing cut off at 1920×1080 zoomed 150 % and in talk mode: test_talk_mode.py.)"""

import pytest

from .screenshots import page_paths, settle
from .test_talk_mode import CUT_OFF

PATHS = page_paths()

SMALL_CHART_TEXT = """() => [...document.querySelectorAll(
    "[data-testid='stPlotlyChart'] svg.main-svg text")]
  .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
  .map(t => [t.textContent.trim().slice(0, 30), parseFloat(getComputedStyle(t).fontSize)])
  .filter(([, px]) => px < 14)"""

TOOLBAR_OVER_TITLE = """() => {
  const out = [];
  for (const chart of document.querySelectorAll("[data-testid='stPlotlyChart']")) {
    const bar = chart.querySelector('.modebar');
    if (!bar) continue;
    const b = bar.getBoundingClientRect();
    for (const t of chart.querySelectorAll('.gtitle, .annotation-text')) {
      const r = t.getBoundingClientRect();
      if (r.width && r.left < b.right && b.left < r.right && r.top < b.bottom
          && b.top < r.bottom) out.push(t.textContent.slice(0, 40));
    }
  }
  return out;
}"""


def test_chart_text_is_readable_and_no_toolbar_covers_a_title(server, browser):
    """At 1024×768, out of talk mode; the same walk checks that nothing is cut off there
    (the other screens and talk mode: test_talk_mode.py)."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    small, covered, cut = {}, {}, {}
    for path in PATHS:
        page.goto(f"{server.url}/{path}?preset=resnet50")
        settle(page)
        if found := page.evaluate(CUT_OFF):
            cut[path or "home"] = found
        for chart in page.get_by_test_id("stPlotlyChart").all():
            # The toolbar shows on hover. force: the mouse goes there without waiting for
            # the chart to hold still (a chart still laying out timed out once in 3 runs);
            # what is checked is the text and the toolbar, not that it can be hovered.
            chart.scroll_into_view_if_needed()
            chart.hover(force=True)
        if found := page.evaluate(SMALL_CHART_TEXT):
            small[path or "home"] = found[:5]
        if found := page.evaluate(TOOLBAR_OVER_TITLE):
            covered[path or "home"] = found
    context.close()
    assert not small, small
    assert not covered, covered
    assert not cut, cut


# ----------------------------------------------------------------------- the back row
# What a speaker's audience must read, measured in talk mode on every page at both
# projector sizes (issue 19): the font sizes, the contrast of chart text, that no toolbar
# or legend covers a chart, that log axes say their numbers, that nothing is cut off, and
# that a race's, the degradation experiment's and Inside's chart and sentence fit one screen.
BACK_ROW = """() => {
  const out = [];
  const say = (what, el, more) => out.push(`${what}: "${(el.textContent || '').trim()
    .slice(0, 40)}" ${more}`);
  const rgb = s => (s.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = c.map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05); };
  const page = rgb(getComputedStyle(document.querySelector("[data-testid='stApp']"))
                   .backgroundColor);
  const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  // Metric labels: 20 px or more, on one line.
  for (const el of document.querySelectorAll("[data-testid='stMetricLabel'] p")) {
    if (!shown(el)) continue;
    const cs = getComputedStyle(el), px = parseFloat(cs.fontSize);
    const line = parseFloat(cs.lineHeight) || px * 1.6;
    if (px < 20) say('metric label', el, `${px}px`);
    if (el.getBoundingClientRect().height > 1.5 * line) say('metric label', el, 'wraps');
  }
  for (const chart of document.querySelectorAll("[data-testid='stPlotlyChart']")) {
    if (chart.querySelector('.modebar')) say('toolbar', chart, 'shown');
    const texts = [...chart.querySelectorAll(
      '.xtick text, .ytick text, .g-xtitle text, .g-ytitle text, ' +
      '[class^="g-x"][class$="title"] text, [class^="g-y"][class$="title"] text')]
      .filter(shown);
    for (const t of texts) {
      const px = parseFloat(getComputedStyle(t).fontSize);
      const c = contrast(rgb(getComputedStyle(t).fill), page);
      if (px < 18) say('chart text', t, `${px}px`);
      if (c < 7) say('chart text', t, `contrast ${c.toFixed(1)}:1`);
    }
    const legend = chart.querySelector('.legend');
    if (legend) {
      const l = legend.getBoundingClientRect();
      for (const t of chart.querySelectorAll('.xtick text, .ytick text')) {
        const r = t.getBoundingClientRect();
        if (r.width && r.left < l.right && l.left < r.right && r.top < l.bottom
            && l.top < r.bottom) say('tick under the legend', t, '');
      }
    }
    const gd = chart.querySelector('.js-plotly-plot');
    const layout = gd && gd._fullLayout;
    for (const name of Object.keys(layout || {}).filter(k => /^[xy]axis\\d*$/.test(k))) {
      const ax = layout[name];
      if (ax.type !== 'log') continue;
      const sup = {'⁻': '-', '⁰': 0, '¹': 1, '²': 2, '³': 3, '⁴': 4, '⁵': 5, '⁶': 6,
                   '⁷': 7, '⁸': 8, '⁹': 9};
      for (const tick of ax._vals || []) {
        let text = String(tick.text).replace(/<[^>]+>/g, '').replace(/,/g, '');
        const m = text.match(/^(?:([\\d.]+)×)?10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)$/);
        const side = text.match(/^(\\d+)×(\\d+)$/);  // a map size: 8×8 is 64 pixels
        const v = m ? (m[1] ? Number(m[1]) : 1) *
          Math.pow(10, Number([...m[2]].map(ch => sup[ch]).join('')))
          : side ? Number(side[1]) * Number(side[2]) : Number(text);
        const want = Math.pow(10, tick.x);
        if (!(Math.abs(v - want) <= 1e-6 * want))
          out.push(`log tick "${tick.text}" stands for ${want.toPrecision(3)}`);
      }
    }
  }
  // Captions (Home's cards, the figures' notes): as dark as chart text.
  for (const el of document.querySelectorAll("[data-testid='stCaptionContainer'] p")) {
    if (!shown(el) || !el.textContent.trim()) continue;
    // Streamlit fades captions (an opacity on their box, or an alpha): blended over the
    // page, as the eye sees it.
    const v = (getComputedStyle(el).color.match(/[\\d.]+/g) || []).map(Number);
    let a = v.length > 3 ? v[3] : 1;
    for (let e = el; e; e = e.parentElement) a *= parseFloat(getComputedStyle(e).opacity);
    const c = contrast(v.slice(0, 3).map((x, i) => x * a + page[i] * (1 - a)), page);
    if (c < 7) say('caption', el, `contrast ${c.toFixed(1)}:1`);
  }
  // The graph: its text as drawn (a zoomed-out graph draws 14 px text smaller).
  for (const t of document.querySelectorAll('.gx-root svg text')) {
    if (!shown(t) || !t.textContent.trim()) continue;
    const px = parseFloat(getComputedStyle(t).fontSize) * (t.getScreenCTM() || {a: 1}).a;
    if (px < 14) { say('graph text', t, `${px.toFixed(1)}px`); break; }
  }
  // Nothing clipped: code scrolled sideways, tables wider than their box, the page wider
  // than the window. (A table you edit, with its "Add row", scrolls to the cell you edit:
  // Compose's thirteen stage columns do not fit a projector.)
  const editor = el => [...(el.closest("[data-testid='stDataFrame']") || el)
    .querySelectorAll('button')].some(b => b.getAttribute('aria-label') === 'Add row');
  for (const el of document.querySelectorAll(
      "[data-testid='stCode'] pre, [data-testid='stDataFrame'] .dvn-scroller")) {
    if (shown(el) && !editor(el) && el.scrollWidth > el.clientWidth + 1)
      out.push(`clipped ${el.tagName}: ${el.scrollWidth}px of content in ${el.clientWidth}px`);
  }
  if (document.documentElement.scrollWidth > innerWidth + 1)
    out.push(`page ${document.documentElement.scrollWidth}px wide in ${innerWidth}px`);
  return out;
}"""

ON_FIRST_SCREEN = """() => {
  const sentence = document.querySelector("[class*='st-key-headline_'] p");
  const chart = document.querySelector("[data-testid='stPlotlyChart']");
  if (!sentence || !chart) return ['no sentence or no chart'];
  const out = [];
  for (const [what, el] of [['sentence', sentence], ['chart', chart]]) {
    const r = el.getBoundingClientRect();
    if (r.bottom > innerHeight + 1) out.push(`${what} ends at ${Math.round(r.bottom)}px`);
  }
  if (parseFloat(getComputedStyle(sentence).fontSize) < 24) out.push('sentence too small');
  return out;
}"""


def _finished_race_and_experiment() -> None:
    """A race of two and the four networks of the experiment, ended, in the server's
    store (points made by hand: no training here)."""
    import time

    from resnet_core import get_spec
    from resnet_core.presets import DEGRADATION_SET
    from resnet_core.training import RunStore

    store = RunStore()
    settings = {"epochs": 2, "batch_size": 32}
    for names in (DEGRADATION_SET, ("cifar_resnet20", "cifar_plain20")):
        ids = store.create_group(
            [(n, get_spec(n).to_dict(), {"source": "digits"}, settings) for n in names]
        )
        for k, i in enumerate(ids):
            store.update(i, status="completed", total_steps=20, epochs_done=2)
            now = time.time()
            store.add_metrics(
                i,
                [
                    {
                        "kind": "batch",
                        "epoch": s // 10,
                        "step": s,
                        "seen": 32 * s,
                        "time": now,
                        "loss": 2.3 / (1 + s),
                        "accuracy": min(0.99, 0.1 + s * (0.02 + 0.01 * k)),
                    }
                    for s in range(21)
                ]
                + [
                    {
                        "kind": "epoch",
                        "epoch": e,
                        "step": 10 * (e + 1),
                        "seen": 320 * (e + 1),
                        "time": now,
                        "loss": 1.0,
                        "accuracy": 0.5,
                        "val_loss": 1.0,
                        "val_accuracy": 0.4 + 0.1 * e,
                    }
                    for e in range(2)
                ],
            )
        if len(ids) == 2:  # the race: a kept lesion study, so Inside states its result
            _lesion_kept(store, ids)


def _lesion_kept(store, ids) -> None:
    """Stand-in checkpoints and a kept lesion result for a finished pair (residual first)."""
    from resnet_core.experiments import key_for
    from resnet_core.experiments.cache import save_result
    from resnet_core.training.checkpoints import CHECKPOINT

    for i, (residual, singles) in zip(ids, ((True, [0.52, 0.82, 0.92]), (False, [0.06, 0.2]))):
        (store.run_dir(i) / CHECKPOINT).write_bytes(b"stand-in")
        result = {
            "run_id": i,
            "network": store.get(i).name,
            "residual": residual,
            "baseline": 0.96,
            "chance": 0.1,
            "samples": 5,
            "images": 359,
            "single": [{"block": f"stage1_b{k}", "accuracy": a} for k, a in enumerate(singles)],
            "random": [{"k": k + 1, "mean": a, "accuracies": [a]} for k, a in enumerate(singles)],
        }
        save_result(store, i, key_for("lesion", {}), result)


@pytest.mark.parametrize("screen", [(1024, 768), (1280, 720)], ids=["1024x768", "1280x720"])
def test_talk_mode_reads_from_the_back_row_on_every_page(server, browser, screen):
    _finished_race_and_experiment()
    width, height = screen
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems = {}
    for path in PATHS:
        page.goto(f"{server.url}/{path}?preset=cifar_resnet20&talk=1")
        settle(page)
        if path == "gradients":  # its log-axis charts come from a measurement (cached)
            page.get_by_role("button", name="Measure the gradients").click()
            page.get_by_test_id("stPlotlyChart").first.wait_for(timeout=240_000)
            settle(page)
        # Before anything scrolls the page: what the room sees when the page opens.
        first = ("race", "degradation", "inside")
        found = page.evaluate(ON_FIRST_SCREEN) if path in first else []
        for chart in page.get_by_test_id("stPlotlyChart").all():
            chart.hover()  # a toolbar would show now
        found += page.evaluate(BACK_ROW)
        if found:
            problems[path or "home"] = found[:6]
    context.close()
    assert not problems, "\n".join(f"{p}: {f}" for p, f in problems.items())
