"""The Graph page in a browser: pan, zoom, fit, opening and folding in place, the URL."""

import re

import pytest
from playwright.sync_api import expect

from resnet_core import analyze, get_spec

from .browser import wait_idle

VIEW = "[data-testid='graph-view']"


def open_graph(page, server, query):
    page.goto(f"{server.url}/graph?{query}")
    wait_idle(page)
    page.wait_for_selector(f"{VIEW} svg", timeout=60_000)
    return page.locator(VIEW)


def view_box(page):
    return [float(v) for v in page.locator(f"{VIEW} svg").get_attribute("viewBox").split()]


def scale(page):
    return float(page.locator(VIEW).get_attribute("data-scale"))


def node(page, key):
    return page.locator(f"{VIEW} [id='node:{key}']")


def inside(page, key) -> bool:
    box, view = node(page, key).bounding_box(), page.locator(VIEW).bounding_box()
    return (
        box["x"] >= view["x"] - 1
        and box["y"] >= view["y"] - 1
        and box["x"] + box["width"] <= view["x"] + view["width"] + 1
        and box["y"] + box["height"] <= view["y"] + view["height"] + 1
    )


def text_px(page) -> float:
    """The drawing's smallest text (the boxes' labels) on screen, in px: its font size in
    drawing units times the scale, and as the browser lays out one label."""
    return page.locator(f"{VIEW} g.node text").first.evaluate(
        """(t) => {
          const svg = t.ownerSVGElement;
          const k = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
          return Math.min(...[...svg.querySelectorAll('g.node text')].map(
            (e) => parseFloat(e.getAttribute('font-size')))) * k;
        }"""
    )


def page_scroll(page) -> float:
    """How far the page is scrolled: Streamlit 1.67 scrolls its main column, not the
    window (whose scrollY stays 0); both are summed."""
    return page.evaluate("""() => window.scrollY +
        (document.querySelector("[data-testid='stMain']") || {scrollTop: 0}).scrollTop""")


def click_empty(page):
    """A click in the drawing's box away from any node (its bottom-left corner)."""
    box = page.locator(VIEW).bounding_box()
    page.mouse.click(box["x"] + 6, box["y"] + box["height"] - 6)


def test_zoom_pan_and_fit_with_buttons_and_mouse(server, page):
    view = open_graph(page, server, "preset=resnet50&level=block")
    assert view.bounding_box()["width"] > 600  # as wide as the page
    k0 = scale(page)
    page.get_by_role("button", name="Zoom in").click()
    assert abs(scale(page) / k0 - 1.5) < 0.01
    page.get_by_role("button", name="Zoom out").click()
    assert abs(scale(page) / k0 - 1) < 0.01
    box = view.bounding_box()
    click_empty(page)  # the wheel is the graph's once it is clicked
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)  # the wheel zooms in at the pointer
    expect(view).not_to_have_attribute("data-scale", f"{k0:.4f}")
    assert scale(page) > k0
    x0, y0, *_ = view_box(page)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 150, box["y"] + box["height"] / 2 - 100, steps=5)
    page.mouse.up()
    x1, y1, *_ = view_box(page)
    assert x1 > x0 and y1 > y0  # dragged left and up: the drawing moved with the mouse
    assert not inside(page, "input") or not inside(page, "head_softmax")
    page.get_by_role("button", name="Fit", exact=True).click()
    # too long to show whole with readable text at 1400×1200: its start, and the strip
    assert inside(page, "input") and text_px(page) >= 8
    expect(page.locator("[data-testid='graph-map']")).to_be_visible()
    # ... on screen: the view is never taller than the window, and Fit brings it in sight
    shown = view.bounding_box()
    assert shown["y"] >= 0 and shown["y"] + shown["height"] <= page.viewport_size["height"] + 1
    assert page.evaluate("() => !document.activeElement.matches('.gx-bar button')")
    page.get_by_role("button", name="Fit width").click()
    assert inside(page, "input")


def test_open_a_stage_in_place_then_fold_it(server, page):
    view = open_graph(page, server, "preset=resnet50&level=stage")
    expect(node(page, "stage3")).to_be_visible()
    node(page, "stage2").click()
    expect(page.locator(f"{VIEW} [id='box:stage2']")).to_be_visible(timeout=30_000)
    page.wait_for_url("**expand=stage2**")
    # the same drawing: stage 2 is now its blocks, the other stages stay folded
    expect(page.locator(VIEW)).to_have_count(1)
    for key in ("stage2_block1", "stage2_block1_shortcut", "stage2_block4_sum", "stage3"):
        expect(node(page, key)).to_have_count(1)
    expect(node(page, "stage2")).to_have_count(0)
    assert (
        view.locator("g.edge path[stroke-dasharray]").count() == 4 + 1
    )  # 4 skips, 1 via the shortcut
    node(page, "stage2_block3").click()  # a block opens into its layers
    expect(node(page, "stage2_block3_conv2")).to_have_count(1, timeout=30_000)
    page.wait_for_url("**stage2_block3**")
    page.get_by_role("button", name="Fit", exact=True).click()  # the stage's box in view
    page.locator(f"{VIEW} [id='box:stage2'] text").first.click()  # the box's title folds it
    expect(node(page, "stage2")).to_have_count(1, timeout=30_000)
    expect(node(page, "stage2_block3_conv2")).to_have_count(0)
    assert "expand=" not in page.url


def test_the_url_restores_level_direction_and_opened_boxes(server, page):
    open_graph(page, server, "preset=resnet50&level=block&direction=LR&expand=stage3_block2")
    expect(page.get_by_role("radio", name="Blocks")).to_be_checked()
    expect(page.get_by_role("radio", name="Left-right")).to_be_checked()
    expect(node(page, "stage3_block2_conv2")).to_have_count(1)  # opened by the link
    expect(node(page, "stage3_block3")).to_have_count(1)  # its neighbour stays a block
    page.get_by_text("Top-down", exact=True).click()
    page.wait_for_url("**direction=TB**")
    assert "expand=stage3_block2" in page.url and "level=block" in page.url


def test_hovering_a_node_shows_its_figures(server, page):
    open_graph(page, server, "preset=resnet18&level=stage")
    node(page, "stage2").hover()
    tip = page.locator("[data-testid='graph-tip']")
    expect(tip).to_be_visible()
    for text in ("28×28×128", "Parameters", "MACs", "Receptive field", "open its 2 blocks"):
        expect(tip).to_contain_text(text)


def test_resnet152_at_layer_level_is_drawn_whole_and_navigable(server, page):
    open_graph(page, server, "preset=resnet152&level=layer")
    n_layers = len(analyze(get_spec("resnet152")).layers)
    expect(page.locator(f"{VIEW} g.node")).to_have_count(n_layers, timeout=60_000)
    assert (
        page.locator(f"{VIEW} g.edge path[stroke-dasharray]").count() == 50 + 2 * 4
    )  # in a projection: conv → bn too
    assert inside(page, "input") and text_px(page) >= 14 - 1e-3  # its start, readable
    open_graph(page, server, "preset=resnet152&level=layer&direction=LR")
    assert inside(page, "input") and text_px(page) >= 14 - 1e-3  # left-right too


@pytest.mark.parametrize("direction, end", [("TB", "bottom"), ("LR", "right")])
def test_fit_never_makes_resnet152_layers_a_hairline(server, page, direction, end):
    """Fit keeps the text at 8 px or more; the overview strip shows the whole graph and
    a click at its end takes the view there."""
    open_graph(page, server, f"preset=resnet152&level=layer&direction={direction}")
    page.get_by_role("button", name="Fit", exact=True).click()
    assert text_px(page) >= 8
    assert page.locator(f"{VIEW} g.node text").first.bounding_box()["height"] >= 8
    expect(page.locator("[data-testid='graph-hint']")).to_contain_text("Too long to show whole")
    strip = page.locator("[data-testid='graph-map']")
    expect(strip).to_be_visible()
    assert not inside(page, "head_softmax")
    box = strip.bounding_box()
    at = (
        {"x": box["width"] / 2, "y": box["height"] - 2}
        if end == "bottom"
        else {"x": box["width"] - 2, "y": box["height"] / 2}
    )
    strip.click(position=at)
    assert inside(page, "head_softmax") and text_px(page) >= 8
    page.get_by_role("button", name="Zoom out").click()  # nor does zooming out go below
    assert text_px(page) >= 8


def test_a_far_drag_keeps_the_drawing_in_the_box(server, page):
    view = open_graph(page, server, "preset=resnet50&level=stage")
    page.get_by_role("button", name="Fit", exact=True).click()  # low zoom: all of it
    assert inside(page, "input") and inside(page, "head")
    expect(page.locator("[data-testid='graph-map']")).to_be_hidden()  # no strip needed
    box = view.bounding_box()
    for dx, dy in ((-2500, -1800), (2500, 1800), (-2500, 1800)):
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(
            box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy, steps=6
        )
        page.mouse.up()
        assert inside(page, "input") and inside(page, "head"), (dx, dy)  # it fits
    for _ in range(4):
        page.get_by_role("button", name="Zoom in").click()  # larger than the box now
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 4000, box["y"] + 3000, steps=6)
    page.mouse.up()
    drawing = page.locator(f"{VIEW} svg g.graph").bounding_box()
    overlap_x = min(drawing["x"] + drawing["width"], box["x"] + box["width"]) - max(
        drawing["x"], box["x"]
    )
    overlap_y = min(drawing["y"] + drawing["height"], box["y"] + box["height"]) - max(
        drawing["y"], box["y"]
    )
    assert overlap_x > box["width"] / 2 and overlap_y > box["height"] / 2


def test_the_wheel_scrolls_the_page_until_the_graph_is_clicked(server, page):
    view = open_graph(page, server, "preset=resnet50&level=block")
    k0, box = scale(page), view.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 300)
    page.wait_for_function("""() => (document.querySelector("[data-testid='stMain']")
        || {scrollTop: 0}).scrollTop + window.scrollY > 0""")
    assert scale(page) == k0  # the page moved, the graph did not zoom
    expect(page.locator("[data-testid='graph-note']")).to_have_class(re.compile("gx-show"))
    click_empty(page)
    y0, box = page_scroll(page), view.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    expect(view).not_to_have_attribute("data-scale", f"{k0:.4f}")
    assert scale(page) > k0 and page_scroll(page) == y0  # zoomed; the page stayed
    page.mouse.click(12, 40)  # a click elsewhere (the sidebar): the wheel is the page's again
    k1 = scale(page)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -200)
    page.wait_for_function(f"""() => (document.querySelector("[data-testid='stMain']")
        || {{scrollTop: 0}}).scrollTop + window.scrollY < {y0}""")
    assert scale(page) == k1


@pytest.mark.parametrize(
    "width, height, talk", [(1024, 768, "0"), (1280, 720, "0"), (1024, 768, "1")]
)
def test_the_box_fits_the_window_and_its_text_is_14_px(server, browser, width, height, talk):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    for query in (
        "preset=resnet152&level=layer",
        "preset=resnet50&level=stage",
        "preset=resnet50&level=block&direction=LR",
        "preset=cifar_resnet56",
    ):
        view = open_graph(page, server, f"{query}&talk={talk}")
        page.wait_for_timeout(300)  # the box sizes itself once drawn
        box = view.bounding_box()
        assert box["y"] + box["height"] <= height, (query, box)
        assert box["height"] >= 240
        assert text_px(page) >= 14 - 1e-3, query
    context.close()


def test_graph_downloads_dot_svg_and_png(server, browser):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    open_graph(page, server, "preset=resnet18")
    for label, start in (
        ("Download SVG", b"<?xml"),
        ("Download DOT", b"digraph resnet18"),
        ("Download PNG", b"\x89PNG"),
    ):
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name=label).click()
        with open(download.value.path(), "rb") as f:
            assert f.read().lstrip().startswith(start), label
    context.close()


def test_controls_fit_one_row_in_talk_mode_at_1024(server, browser):
    """Level and Direction on one line, and no undo on a link that opens nothing."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    open_graph(page, server, "preset=resnet50&level=block&talk=1&expand=stage9")
    ys = {
        page.get_by_text(label, exact=True).bounding_box()["y"]
        for label in ("Stages", "Layers", "Top-down", "Left-right")
    }
    assert max(ys) - min(ys) < 4, ys
    expect(page.get_by_role("button", name="Undo opened and folded boxes")).to_have_count(0)
    click_empty(page)  # then the arrow keys move the view down to the first block
    for _ in range(30):
        if inside(page, "stage1_block1"):
            break
        page.keyboard.press("ArrowDown")
    node(page, "stage1_block1").click()
    expect(page.get_by_role("button", name="Undo opened and folded boxes")).to_be_visible(
        timeout=30_000
    )
    context.close()
