"""End to end: the settings shown after an upload are the settings the run trains with
(issue 18, item 1: after switching to Upload and uploading, the boxes showed the widgets'
minimums while the server kept other values, and the run trained with the minimums)."""

import os
import time
from pathlib import Path

from playwright.sync_api import expect

from resnet_core.training import RunStore
from tests.test_train_settings import class_zip

from .browser import wait_idle

BOXES = ("Learning rate", "Batch size", "Epochs", "Weight decay", "Seed")


def boxes(page) -> dict:
    return {label: page.get_by_label(label, exact=True).input_value() for label in BOXES}


def selected(page, label) -> str:
    return page.get_by_role("combobox", name=label).input_value()


OPTIMIZERS = {"SGD + momentum": "sgd", "Adam": "adam", "AdamW": "adamw"}


def set_box(page, label, value):
    page.get_by_label(label, exact=True).fill(str(value))
    page.keyboard.press("Enter")
    wait_idle(page)


def test_an_upload_trains_with_the_settings_its_boxes_show(server, page, tmp_path):
    home = Path(os.environ["RESNET_EXPLORER_HOME"])
    remembered = home / "train_form.json"
    remembered.unlink(missing_ok=True)
    try:
        _upload_and_train(server, page, tmp_path, RunStore(home))
    finally:  # the next tests' Train page starts at the default source, not at Upload,
        remembered.unlink(missing_ok=True)  # and their worker is free (a failure too)
        store = RunStore(home)
        for r in store.list():
            if r.active:
                store.request_stop(r.id)


def _upload_and_train(server, page, tmp_path, store):
    data = tmp_path / "classes.zip"
    data.write_bytes(class_zip())
    page.goto(f"{server.url}/train?preset=cifar_resnet20")
    wait_idle(page)
    set_box(page, "Epochs", 3)
    set_box(page, "Batch size", 8)
    set_box(page, "Learning rate", "0.00200")
    shown = boxes(page)
    optimizer = selected(page, "Optimizer")

    page.get_by_label("Dataset").click()
    page.get_by_role("option", name="Upload").click()
    wait_idle(page)
    assert boxes(page) == shown  # every box still drawn, with its value
    page.locator("input[type='file']").set_input_files(str(data))
    wait_idle(page)
    expect(page.get_by_text("3 classes; the network takes")).to_be_visible(timeout=30_000)
    wait_idle(page)  # the action bar is filled last, after the data's caption
    assert boxes(page) == shown, "the boxes changed after the upload"
    assert selected(page, "Optimizer") == optimizer
    expect(page.get_by_text("· 3 epochs · batch 8")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("for a batch of 8:")).to_be_visible(timeout=30_000)

    set_box(page, "Epochs", 2)  # one box changed: the bug sent the others' minimums
    shown = boxes(page)
    assert shown["Batch size"] == "8" and shown["Learning rate"] == "0.00200"
    before = {r.id for r in store.list()}
    page.get_by_role("button", name="Train", exact=True).click()
    deadline = time.monotonic() + 30
    while not (new := [r for r in store.list() if r.id not in before]):
        assert time.monotonic() < deadline, "no run was queued"
        time.sleep(0.2)
    (run,) = new
    s = run.settings
    assert (s["epochs"], s["batch_size"], s["learning_rate"], s["seed"]) == (
        2,
        8,
        0.002,
        int(shown["Seed"]),
    )
    assert s["weight_decay"] == float(shown["Weight decay"])
    assert s["optimizer"] == OPTIMIZERS[optimizer]
    assert run.data["source"] == "upload" and run.data["options"]["path"]
    store.request_stop(run.id)
    deadline = time.monotonic() + 120
    while store.get(run.id).active and time.monotonic() < deadline:
        time.sleep(0.5)
    expect(page.get_by_test_id("stException")).to_have_count(0)
