"""Back and Forward move between the networks the person saw, page by page."""

from resnet_core import analyze, get_spec

from .screenshots import settle


def shown(page) -> str:
    """The sidebar's parameter count: which network the page shows."""
    settle(page)
    text = page.get_by_test_id("stSidebar").inner_text()
    return text.split("Parameters:")[1].split()[0]


def test_back_and_forward_step_through_the_edits(server, page):
    base = get_spec("resnet18")
    counts = [f"{analyze(base.replace(head=base.head.__class__(classes=c))).totals.total_params:,}"
              for c in (1000, 5, 7)]
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

    # Going back shows the networks seen, newest first. (A page switch may leave one
    # extra entry: Streamlit records the new page's address before the app writes the
    # network into it; that entry shows the same network.)
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
