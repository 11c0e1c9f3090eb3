"""Links: what the app writes it can read back; a bad link opens the default network."""

import base64
import zlib

import pytest

from resnet_core import PRESETS, SpecError, get_spec, share
from resnet_core.share import query_for, read_query


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_link_the_app_writes_opens_the_same_network(name):
    spec = get_spec(name)
    for preset, edited in (
        (name, spec),
        (name, spec.replace(name="mine")),
        ("", spec.replace(description="from a file")),
    ):
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
    raw = b'{"name": "x", "input_shape": [' + b"9" * 5000 + b", 1, 1]}"
    token = base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")
    state = read_query({"spec": token})
    assert state.preset == share.DEFAULT_PRESET and "could not be opened" in state.message


def test_an_unknown_preset_opens_the_default_and_is_named_without_markup():
    state = read_query({"preset": "<img src=x>resnet"})
    assert state.preset == share.DEFAULT_PRESET and state.spec == get_spec(share.DEFAULT_PRESET)
    assert "no preset called 'imgsrcxresnet'" in state.message and "<" not in state.message


# A link written by format 1 (ResNet-20 with two blocks in its second stage): shared
# links outlive the format they were written in.
V1_TOKEN = (
    "eNrVVE2L2zAQ_StCpxacxHayWTY9pYXSUuhhr9siFHucDJElo5Gz6Yb97x3JzkcPhR56aCGYaDTzZua90Zxk43yr"
    "g1xJD2QhTODYGefBz6iDSmbjvTqAJ3RWropMWt0CB1TYaK-GsDJnV7RdHxTtdMfXT_Myi7_vmaQALRtOco-2joHO"
    "HiIymsCoDLlkH3zhoHl09lhDytPpuka75QiKGTPZE6gNag5ptCF4zS6QGx2qneVSb3Ftb8wZufhT5OD7W2APpv87"
    "mIkIvQVKVGyMq_apcMJIczpTYuBXXq4J9uAtGHVlaud8qPqo3Qt4x_kZh-XTdlBqkcmtd31HKfoZ67CTq5zjQHkd"
    "0KVD50FXYST0nE6dq2vQU5AXcxJuJYtjISNFv-uhvOmBR-DSQ_kf9XCrw3LxD_fAY7UDTrk6ycpoojhfRQR0zrDP"
    "1riNNkoftnKwjXWX4-k6tQdtMFa-w7oGLvuJkWtux8XO8ilDJnxsEDy7sw_FKb8a1UBM4mRjVXo5534YpEsMkWtC"
    "q4_MfVoDt8-Z0wFVHruQaJOPQFj32ogynxj9A7z48Pnj-nFS5II3zrPze-Ea8QkEBKHNVHzr81zfL6aleDMXw1OL"
    "DnORtBWDspkolrN5OVsuxKhvJlzKKNbirCS9E-_jQvnKC0VAR2j4upjmeQGTO6FJfAHP33XXGayihJbeTpmLVKUi"
    "CIEppSgJ89C6Fmzo20jiw0OiZoRkoQbM_C6ZqdIGhm1xmTK0GAYZvQuqt9gMSy7aFQWW6pDUiQhM5eif5DJl-vP6"
    "-hOmNPMB"
)


def test_a_link_written_in_format_1_still_opens():
    state = read_query({"spec": V1_TOKEN, "base": "cifar_resnet20"})
    assert state.message is None and state.preset == "cifar_resnet20"
    assert state.spec == get_spec("cifar_resnet20").with_stage(1, num_blocks=2)


@pytest.mark.parametrize("key", ["preset", "spec", "base"])
def test_an_oversized_query_value_gets_the_apps_message_with_the_bound(key):
    state = read_query({key: "a" * 100_000})
    assert state.preset == share.DEFAULT_PRESET and state.spec == get_spec(share.DEFAULT_PRESET)
    assert "too long" in state.message and "100,000 characters" in state.message
    assert f"{share.MAX_QUERY_VALUE_CHARS:,}" in state.message


def test_the_largest_link_the_app_writes_fits_the_web_servers_request_head():
    """Address plus a browser's headers (about 1.5 KB with Streamlit's cookie) must stay
    under the server's 16 KiB: a longer head is refused with a bare 400 (tests/e2e sends
    one in pieces)."""
    longest_address = len("/compose?base=") + 40 + len("&spec=") + share.MAX_TOKEN_CHARS
    assert longest_address + 2_000 < share.SERVER_HEAD_LIMIT
