"""Links: what the app writes it can read back; a bad link opens the default network."""

import base64
import zlib

import pytest

from resnet_core import PRESETS, SpecError, get_spec
from resnet_core import share
from resnet_core.share import query_for, read_query


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_link_the_app_writes_opens_the_same_network(name):
    spec = get_spec(name)
    for preset, edited in ((name, spec), (name, spec.replace(name="mine")),
                           ("", spec.replace(description="from a file"))):
        query = query_for(edited, preset)
        back = read_query(query)
        assert back.spec == edited and back.message is None
        assert back.preset == preset


def test_a_network_too_large_for_a_link_is_refused_before_it_is_written(monkeypatch):
    monkeypatch.setattr(share, "MAX_TOKEN_CHARS", 200)
    with pytest.raises(SpecError) as exc:
        query_for(get_spec("resnet152").replace(name="big"), "resnet152")
    assert "characters in a link" in str(exc.value)


def test_a_link_whose_json_python_refuses_opens_the_default_with_a_message():
    raw = b'{"name": "x", "input_shape": [' + b"9" * 5000 + b', 1, 1]}'
    token = base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")
    state = read_query({"spec": token})
    assert state.preset == share.DEFAULT_PRESET and "could not be opened" in state.message


def test_an_unknown_preset_opens_the_default_and_is_named_without_markup():
    state = read_query({"preset": "<img src=x>resnet"})
    assert state.preset == share.DEFAULT_PRESET and state.spec == get_spec(share.DEFAULT_PRESET)
    assert "no preset called 'imgsrcxresnet'" in state.message and "<" not in state.message
