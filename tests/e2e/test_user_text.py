"""User text (a network's name, a link's values) is shown as the characters it is: never
rendered as markdown or HTML, never fetching what it names."""

import json
import os
import re
from pathlib import Path

from playwright.sync_api import expect

from resnet_core import get_spec
from resnet_core.share import encode_spec

from .screenshots import page_paths, settle

CRAFTED = "**x** [a](http://127.0.0.1:9/x) ![i](http://127.0.0.1:9/i.png) <b>y</b> $z$"
ATTACKER = "127.0.0.1:9"
FOREIGN = f"""() => [...document.querySelectorAll("a[href*='{ATTACKER}'], img[src*='{ATTACKER}']")]
    .map(e => e.outerHTML)"""


def test_a_crafted_name_is_shown_literally_on_every_page_and_fetches_nothing(server, browser):
    # The Train page remembers its data source: an upload chosen by an earlier test would
    # stop it at "Choose a file", before it names the network.
    (Path(os.environ["RESNET_EXPLORER_HOME"]) / "train_form.json").unlink(missing_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    fetched = []
    context.on("request", lambda r: fetched.append(r.url) if ATTACKER in r.url else None)
    page = context.new_page()
    spec = get_spec("cifar_resnet20").replace(name=CRAFTED, description=CRAFTED)
    token = encode_spec(spec)
    for path in page_paths():
        page.goto(f"{server.url}/{path}?spec={token}")
        settle(page)
        # As typed, but for the invisible word joiners that stop autolinks.
        shown = page.get_by_test_id("stSidebar").inner_text().replace("\u2060", "")
        assert f"Network: {CRAFTED}" in shown, path
        assert page.evaluate(FOREIGN) == [], path
        # The name's **x** and <b>y</b> never become bold (the app's own bold, as in
        # Compose's block help, may).
        expect(
            page.locator(
                ", ".join(
                    f"[data-testid='{where}'] {tag}"
                    for where in ("stMain", "stSidebar")
                    for tag in ("b", "strong")
                )
            ).filter(has_text=re.compile(r"^[xy]$"))
        ).to_have_count(0)

    # A link whose value is refused: the warning quotes it as it is (its first 40
    # characters: a message never floods the page with a hostile value).
    data = spec.to_dict()
    data["stages"][0]["kind"] = CRAFTED
    import base64
    import zlib

    bad = base64.urlsafe_b64encode(zlib.compress(json.dumps(data).encode())).decode()
    page.goto(f"{server.url}/?spec={bad.rstrip('=')}")
    settle(page)
    warning = page.get_by_test_id("stAlertContentWarning").inner_text()
    assert repr(CRAFTED[:40]) + "…" in warning.replace("\u2060", "")
    assert page.evaluate(FOREIGN) == []
    page.wait_for_timeout(500)
    assert fetched == []
    context.close()
