"""Back and Forward move between the networks the person saw, page by page."""

from urllib.parse import urlparse

import pytest

from resnet_core import analyze, get_spec

from .browser import wait_idle
from .screenshots import settle


def shown(page) -> str:
    """The sidebar's parameter count: which network the page shows."""
    settle(page)
    text = page.get_by_test_id("stSidebar").inner_text()
    return text.split("Parameters:")[1].split()[0]


def test_back_and_forward_step_through_the_edits(server, page):
    base = get_spec("resnet18")
    counts = [
        f"{analyze(base.replace(head=base.head.__class__(classes=c))).totals.total_params:,}"
        for c in (1000, 5, 7)
    ]
    page.goto(f"{server.url}/compose?preset=resnet18")
    assert shown(page) == counts[0]
    box = page.get_by_label("Classes")
    for value, count in zip(("5", "7"), counts[1:]):
        box.fill(value)
        box.press("Enter")
        assert shown(page) == count
    page.get_by_test_id("stSidebar").get_by_text("Inspect").click()
    page.wait_for_url("**/inspect?*")
    assert shown(page) == counts[2]

    # Going back shows the networks seen, newest first.
    seen = []
    for _ in range(5):
        page.go_back()
        count = shown(page)
        if not seen or seen[-1] != count:
            seen.append(count)
        if "preset=resnet18" in page.url:
            break
    assert seen == [counts[2], counts[1], counts[0]]
    page.go_forward()
    assert shown(page) == counts[1]
    page.go_forward()
    assert shown(page) == counts[2]


def open_by_menu(page, title: str, section: str, talk: bool) -> None:
    if talk:  # a menu per section in the top bar
        page.locator("[class*=st-key-talk_menu_]").get_by_role("button", name=section).click()
        page.get_by_test_id("stPopoverBody").get_by_role("link", name=title, exact=True).click()
    else:
        page.get_by_test_id("stSidebar").get_by_role("link", name=title, exact=True).click()


@pytest.mark.parametrize("talk", [False, True])
def test_each_page_change_is_one_history_entry_and_back_returns(server, page, talk):
    """Through the sidebar and talk mode's menus: history grows by exactly one entry per
    page change, and Back returns to the page before, every time (it did nothing in 3
    of 8 tries when a change made two entries)."""
    path = [
        ("Inspect", "Explore", "inspect"),
        ("Graph", "Explore", "graph"),
        ("Train", "Train", "train"),
        ("Home", "Explore", ""),
        ("Compose", "Explore", "compose"),
        ("Runs", "Train", "runs"),
    ]
    page.goto(f"{server.url}/compose?preset=resnet18" + ("&talk=1" if talk else ""))
    wait_idle(page)
    length = page.evaluate("history.length")
    visited = ["compose"]
    for title, section, url_path in path:
        open_by_menu(page, title, section, talk)
        page.wait_for_url(f"{server.url}/{url_path}?*")
        wait_idle(page)
        page.wait_for_timeout(500)  # a second entry, if any, would come now
        length += 1
        assert page.evaluate("history.length") == length, title
        visited.append(url_path)
    for previous in reversed(visited[:-1]):
        page.go_back()
        page.wait_for_url(f"{server.url}/{previous}?*")
        wait_idle(page)
        page.wait_for_timeout(500)
        assert urlparse(page.url).path == f"/{previous}"
        assert ("talk=1" in page.url) == talk and "preset=resnet18" in page.url
