"""Talk mode and narrow screens in Chromium: no sidebar in a talk, nothing cut off."""

import pytest
from playwright.sync_api import expect

from .screenshots import page_paths, settle

PATHS = page_paths()  # every page of ui/router.SECTIONS

# Texts a person must read whole: metric figures and labels, buttons (navigation menus
# included), widget labels, the chosen value of a select box.
CUT_OFF = """() => {
  const sel = "[data-testid='stMetricValue'], [data-testid='stMetricValue'] *, " +
    "[data-testid='stMetricLabel'] *, button, button *, [data-testid='stWidgetLabel'] *, " +
    "[data-testid='stSelectbox'] input, [data-testid='stMultiSelect'] span";
  return [...document.querySelectorAll(sel)]
    .filter(el => el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
    .map(el => `${el.tagName}[${el.getAttribute('data-testid') || el.className}] ` +
               `"${(el.value || el.textContent).trim().slice(0, 50)}" ` +
               `${el.scrollWidth}px in ${el.clientWidth}px`);
}"""


def body_font_px(page) -> float:
    return page.evaluate("""() => parseFloat(getComputedStyle(document.querySelector(
        "[data-testid='stMain'] [data-testid='stMarkdownContainer'] p")).fontSize)""")


def test_talk_mode_from_the_demo_link_stays_while_navigating_and_can_be_left(server, page):
    page.goto(f"{server.url}/?preset=cifar_resnet20")
    settle(page)
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    assert body_font_px(page) < 22

    page.get_by_role("link", name="Demo").click()
    page.wait_for_url("**/race?*talk=1*")
    settle(page)
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    assert body_font_px(page) >= 22

    # The top bar's menus replace the sidebar; the network and talk mode both travel.
    page.locator("[class*=st-key-talk_menu_]").get_by_role("button", name="Explore").click()
    page.get_by_test_id("stPopoverBody").get_by_role("link", name="Inspect", exact=True).click()
    page.wait_for_url("**/inspect?*")
    settle(page)
    assert "talk=1" in page.url and "preset=cifar_resnet20" in page.url
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("271,098")
    assert body_font_px(page) >= 22

    page.get_by_role("button", name="Exit talk mode").click()
    settle(page)
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    assert "talk" not in page.url and "preset=cifar_resnet20" in page.url


def test_talk_mode_link_on_any_page_hides_the_sidebar(server, page):
    page.goto(f"{server.url}/compose?preset=resnet50&talk=1")
    settle(page)
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page.get_by_test_id("stExpandSidebarButton")).to_be_hidden()
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("25,636,712")
    assert body_font_px(page) >= 22


# 1920×1080 at 150 % zoom is a 1280×720 CSS-pixel page drawn 1.5×.
SCREENS = {"1024x768": (1024, 768, 1), "1920x1080-at-150%": (1280, 720, 1.5)}


# Out of talk mode at 1024×768: test_projector.py's chart walk checks it too.
@pytest.mark.parametrize(
    ("talk", "screen"),
    [(False, "1920x1080-at-150%"), (True, "1024x768"), (True, "1920x1080-at-150%")],
    ids=["normal-1920x1080-at-150%", "talk-1024x768", "talk-1920x1080-at-150%"],
)
def test_nothing_is_cut_off_on_a_projector(server, browser, talk, screen):
    width, height, scale = SCREENS[screen]
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=scale
    )
    page = context.new_page()
    problems = {}
    for path in PATHS:
        page.goto(f"{server.url}/{path}?preset=resnet50" + ("&talk=1" if talk else ""))
        settle(page)
        cut = page.evaluate(CUT_OFF)
        if cut:
            problems[path or "home"] = cut
    context.close()
    assert not problems, problems
