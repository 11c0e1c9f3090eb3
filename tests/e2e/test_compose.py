"""Compose's tables as a person types into them: quick edits all kept, text refused."""

from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from resnet_core.share import decode_spec

from .browser import wait_idle

STAGES = 1  # the stage table is the page's second grid (the stem's is the first)


ROW = 35  # the grid's header and row height, in CSS pixels


def type_into_cell(page, row: int, column: int, value: str) -> None:
    """Select the stage table's cell (row, column) with the keyboard, from the first
    row's first cell, type ``value`` and commit it, without waiting for the app.

    The page may still move (a caption above the table changes as the app redraws):
    the cell editor's own place says which row it opened on, and a wrong row is left
    with Escape and tried again, so a click that landed a row off edits nothing."""
    grid = page.locator("[data-testid='stDataFrame']").nth(STAGES)
    canvas = grid.get_by_test_id("data-grid-canvas")
    canvas.wait_for(state="visible")
    editor = page.locator("#portal input, #portal textarea").first
    for _ in range(5):
        box = canvas.bounding_box()
        page.mouse.click(box["x"] + 80, box["y"] + ROW + ROW // 2)
        for _ in range(row):
            page.keyboard.press("ArrowDown")
        for _ in range(column):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")  # opens the cell's editor
        editor.wait_for(timeout=5000)
        opened = round((editor.bounding_box()["y"] - canvas.bounding_box()["y"] - ROW) / ROW)
        if opened == row:
            editor.fill(value)
            page.keyboard.press("Enter")
            return
        page.keyboard.press("Escape")
        page.wait_for_timeout(200)
    raise AssertionError(f"the editor of row {row} never opened (it opened on row {opened})")


def shown_spec(page):
    """The network the page's address carries (``None`` while it names a preset)."""
    query = parse_qs(urlparse(page.url).query)
    return decode_spec(query["spec"][0]) if "spec" in query else None


def test_five_quick_edits_of_a_preset_are_all_kept(server, page):
    """The first edit of a preset renames the network; edits made while the page
    redraws after it must not be lost (two of two were, 1.5 s after the first)."""
    page.goto(f"{server.url}/compose?preset=cifar_resnet20")
    wait_idle(page)
    page.locator("[data-testid='stDataFrame']").nth(STAGES).scroll_into_view_if_needed()
    # (row, column, value): blocks of each stage (column 1), then two filters (column 2)
    edits = [(0, 1, "4"), (1, 1, "5"), (2, 1, "6"), (0, 2, "24"), (1, 2, "40")]
    for row, column, value in edits:
        type_into_cell(page, row, column, value)
        page.wait_for_timeout(300)
    wanted = ([4, 5, 6], [24, 40])
    for _ in range(30):  # the app may still be catching up on a loaded machine
        wait_idle(page)
        spec = shown_spec(page)
        if (
            spec
            and ([s.num_blocks for s in spec.stages], [s.filters for s in spec.stages[:2]])
            == wanted
        ):
            break
        page.wait_for_timeout(1000)
    assert spec is not None
    assert [s.num_blocks for s in spec.stages] == wanted[0]
    assert [s.filters for s in spec.stages[:2]] == wanted[1]
    assert spec.name == "cifar_resnet20_edited"
    expect(page.get_by_label("Name")).to_have_value("cifar_resnet20_edited")


def test_text_in_a_number_cell_is_refused_as_text(server, page):
    page.goto(f"{server.url}/compose?preset=cifar_resnet20")
    wait_idle(page)
    page.locator("[data-testid='stDataFrame']").nth(STAGES).scroll_into_view_if_needed()
    type_into_cell(page, 0, 4, "3x3")  # stage 1's kernel
    wait_idle(page)
    expect(page.get_by_text("Stage 1, kernel: '3x3' is not a whole number")).to_be_visible(
        timeout=30_000
    )
    type_into_cell(page, 0, 3, "0")  # its stride: refused with words, not undone
    wait_idle(page)
    expect(page.get_by_text("Stage 1, stride must be at least 1, got 0")).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_text("Fix the 2 marked values")).to_be_visible()
