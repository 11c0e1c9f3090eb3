"""End to end, as a person uses it: headless Chromium against `streamlit run app.py`."""

import pytest
from playwright.sync_api import expect

from resnet_core import analyze, get_spec

from .browser import edit_stage_cell, wait_idle

PATHS = ["", "compose", "inspect", "graph", "compare", "code", "train", "runs"]


def params_of(name):
    return f"{analyze(get_spec(name)).totals.total_params:,}"


def assert_clean(page):
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert "Traceback" not in page.inner_text("body")


def test_open_a_preset_by_url_as_the_first_request(server, page):
    # The server's first request is for a subpage: Streamlit's legacy pages/ mode.
    page.goto(f"{server.url}/compose?preset=resnet50")
    wait_idle(page)
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("25,636,712")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Network: resnet50")
    expect(sidebar.get_by_text("Compose")).to_be_visible()  # the router's navigation
    assert_clean(page)


def test_edit_a_stage_then_reload_the_shared_url(server, page, browser):
    page.goto(f"{server.url}/compose?preset=resnet50")
    wait_idle(page)
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("25,636,712")
    edit_stage_cell(page, row=2, column_offset=1, value="23")  # stage 3: 6 → 23 blocks
    resnet101 = params_of("resnet101")  # the same stages as ResNet-101
    expect(page.get_by_test_id("stMetricValue").first).to_have_text(resnet101)
    expect(page.get_by_test_id("stSidebar").get_by_text(resnet101)).to_be_visible()
    page.wait_for_url("**spec=**")
    shared = page.url
    assert "base=resnet50" in shared

    other = browser.new_context(viewport={"width": 1400, "height": 1200}).new_page()
    other.goto(shared)
    wait_idle(other)
    expect(other.get_by_test_id("stMetricValue").first).to_have_text(resnet101)
    expect(other.get_by_text("(edited)")).to_be_visible()
    assert_clean(other)
    other.context.close()


@pytest.mark.parametrize("path", PATHS)
def test_every_page_opens_without_exception(server, page, path):
    page.goto(f"{server.url}/{path}?preset=cifar_resnet20")
    wait_idle(page)
    expect(page.get_by_test_id("stSidebar").get_by_text("271,098")).to_be_visible()
    assert_clean(page)


def test_hostile_url_gives_a_message_and_the_default(server, page):
    page.goto(f"{server.url}/compose?spec=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    wait_idle(page)
    expect(page.get_by_text("could not be opened")).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("271,098")  # ResNet-20
    assert_clean(page)
