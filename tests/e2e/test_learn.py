"""The Learn pages in Chromium: each opens cleanly; the gradient-flow and boosting demos
run at small settings with one click per result."""

import pytest
from playwright.sync_api import expect

from resnet_core.blocks import BLOCK_KINDS

from .browser import wait_idle

LEARN = ["gradients", "residual", "blocks"]


def assert_clean(page):
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert "Traceback" not in page.inner_text("body")


def open_page(page, server, path, **query):
    q = "&".join(f"{k}={v}" for k, v in {"preset": "cifar_resnet20", **query}.items())
    page.goto(f"{server.url}/{path}?{q}")
    wait_idle(page)


@pytest.mark.parametrize("talk", ["0", "1"])
@pytest.mark.parametrize("path", LEARN + ["compare"])
def test_learn_pages_open(server, page, path, talk):
    open_page(page, server, path, talk=talk)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_clean(page)


def test_gradient_flow_demo_at_depth_20_without_training(server, page):
    open_page(page, server, "gradients")
    steps = page.get_by_role("slider").first  # "Training steps"
    expect(steps).to_be_visible()
    steps.focus()
    steps.press("Home")  # 0 steps: the measurement at initialisation only
    expect(steps).to_have_attribute("aria-valuetext", "0")
    wait_idle(page)
    page.get_by_role("button", name="Measure the gradients").click()
    expect(page.get_by_text("What the numbers show")).to_be_visible(timeout=300_000)
    wait_idle(page)
    body = page.inner_text("body")
    assert "cifar_plain20" in body and "first-over-last conv gradient ratio" in body
    assert "He et al. (2015, §4.1)" in body
    chart = page.get_by_test_id("stPlotlyChart")
    expect(chart).to_have_count(1, timeout=30_000)  # at initialisation only
    expect(chart.locator("g.trace.scatter")).to_have_count(2, timeout=30_000)  # res., plain
    assert_clean(page)


def test_boosting_demo_steps_with_one_click_each(server, page):
    open_page(page, server, "residual")
    stage = page.get_by_test_id("stMetricValue").first
    expect(stage).to_have_text("1 of 30")
    for n in (2, 3):
        page.get_by_role("button", name="Next stage ▶", exact=True).click()
        expect(stage).to_have_text(f"{n} of 30")
    expect(page.get_by_text("Tree 3 fits the residual y − ŷ2")).to_be_visible()
    expect(page.get_by_text("predicts the same sum: exactly the same values")).to_be_visible()
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(stage).to_have_text("0 of 30")
    assert_clean(page)


def test_block_gallery_draws_every_block(server, page):
    open_page(page, server, "blocks")
    expect(page.get_by_role("tab")).to_have_count(len(BLOCK_KINDS))
    page.get_by_role("tab", name="inception").click()
    chart = (
        page.get_by_test_id("stGraphVizChart")
        .filter(has=page.locator("svg"))
        .locator("visible=true")
    )
    expect(chart.first.locator("g.node").first).to_be_visible(timeout=30_000)
    assert_clean(page)
