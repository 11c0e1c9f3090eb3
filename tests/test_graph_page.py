"""The Graph page through AppTest: huge networks, hostile names and bad links."""

import dataclasses
import json

from resnet_core import get_spec
from resnet_core.share import encode_spec
from tests.apptest import app


def drawn(at) -> dict:
    return json.loads(at.get("bidi_component")[0].proto.json)


def test_a_huge_network_opens_folded_with_a_note():
    cifar = get_spec("cifar_resnet20")
    big = cifar.replace(stages=tuple(dataclasses.replace(s, num_blocks=200) for s in cifar.stages))
    at = app("pages/graph.py", spec=encode_spec(big), base="cifar_resnet20", level="layer")
    assert any("parts stay folded" in i.value for i in at.info)
    data = drawn(at)
    assert len(data["nodes"]) <= 1500 and "stage2_block200" in data["nodes"]  # blocks
    assert "stage2_block200_conv1" not in data["nodes"]


def test_any_name_draws_and_a_bad_view_in_a_link_is_named():
    spec = get_spec("cifar_resnet20").replace(name='<b>x</b> \\ "q" \\')
    at = app(
        "pages/graph.py",
        spec=encode_spec(spec),
        base="cifar_resnet20",
        level="atoms",
        expand="stage2,<script>",
    )
    assert not at.error
    warnings = " ".join(w.value for w in at.warning)
    assert "level must be stage, block or layer" in warnings and "<script>" not in warnings
    data = drawn(at)
    assert "&lt;b&gt;x&lt;/b&gt;" in data["svg"] and "stage2_block1" in data["nodes"]
    assert at.query_params["level"] == "stage" and at.query_params["expand"] == "stage2"


def test_without_graphviz_the_page_says_so_and_still_draws(monkeypatch):
    monkeypatch.setattr("resnet_core.graph.shutil.which", lambda _: None)
    spec = get_spec("cifar_resnet20").replace(name="drawn without dot")  # not in the cache
    at = app("pages/graph.py", spec=encode_spec(spec), base="cifar_resnet20")
    assert any("not installed" in i.value for i in at.info)
    assert at.get("graphviz_chart") and not at.get("bidi_component")
    assert [b.label for b in at.get("download_button")] == ["Download DOT"]
