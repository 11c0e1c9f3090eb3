"""On a projector: chart text at least 14 px, and no chart toolbar over a chart title.
(Nothing cut off at 1024×768 or 1920×1080 zoomed 150 %: test_talk_mode.py.)"""

from .screenshots import page_paths, settle

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
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    small, covered = {}, {}
    for path in PATHS:
        page.goto(f"{server.url}/{path}?preset=cifar_resnet20")
        settle(page)
        for chart in page.get_by_test_id("stPlotlyChart").all():
            chart.hover()  # the toolbar shows on hover
        if found := page.evaluate(SMALL_CHART_TEXT):
            small[path or "home"] = found[:5]
        if found := page.evaluate(TOOLBAR_OVER_TITLE):
            covered[path or "home"] = found
    context.close()
    assert not small, small
    assert not covered, covered
