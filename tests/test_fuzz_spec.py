"""Fuzzing the ways a spec comes in (JSON files, dicts, URL tokens): each input gives a
spec that round-trips, or a :class:`SpecError` with a short message naming the field."""

import base64
import copy
import json
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resnet_core import ArchitectureSpec, SpecError, get_spec
from resnet_core.share import MAX_TOKEN_CHARS, decode_spec, encode_spec

BASE = get_spec("cifar_resnet20").to_dict()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _leaf_paths(value, path=()):
    if isinstance(value, dict):
        for key, v in value.items():
            yield from _leaf_paths(v, (*path, key))
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            yield from _leaf_paths(v, (*path, i))
    yield path


PATHS = [p for p in _leaf_paths(BASE) if p]
# Values that are not what they seem: huge integers, bools and floats for integers, text
# that is not valid Unicode, deep or long lists.
hostile = st.one_of(
    st.integers(),
    st.integers(min_value=10**30),
    st.just(10**5000),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(1.0),
    st.none(),
    st.text(st.characters(blacklist_categories=()), max_size=300),
    st.lists(st.integers(-3, 10**6), max_size=40),
    st.just([[[[[[1]]]]]]),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _set(data, path, value):
    data = copy.deepcopy(data)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def _accept_or_explain(make):
    try:
        spec = make()
    except SpecError as exc:
        text = str(exc)  # never fails (a 5,000-digit integer's repr does)
        assert exc.problems and 0 < len(text) < 2000, text  # every problem, each short
        return None
    assert ArchitectureSpec.from_json(spec.to_json()) == spec  # what is accepted is whole
    data = spec.to_dict()  # and a count stays a count: True == 1, yet no count is true
    for path in PATHS:
        try:
            base, got = _get(BASE, path), _get(data, path)
        except (KeyError, IndexError, TypeError):
            continue  # the hostile value changed the shape here
        assert not (type(base) is int and isinstance(got, bool)), path
    return spec


def _get(data, path):
    for key in path:
        data = data[key]
    return data


@FUZZ
@given(st.sampled_from(PATHS), hostile)
def test_a_hostile_value_anywhere_in_a_spec_dict_is_accepted_whole_or_explained(path, value):
    data = _set(BASE, path, value)
    _accept_or_explain(lambda: ArchitectureSpec.from_dict(data))


@FUZZ
@given(st.sampled_from(PATHS), hostile)
def test_the_same_through_json_text(path, value):
    text = (
        json.dumps(_set(BASE, path, value))
        if not _is_huge(value)
        else json.dumps(BASE).replace('"classes": 10', '"classes": ' + "9" * 5000)
    )
    _accept_or_explain(lambda: ArchitectureSpec.from_json(text))


def _is_huge(value):
    return isinstance(value, int) and value.bit_length() > 10_000


@FUZZ
@given(st.text(st.characters(blacklist_categories=()), max_size=400))
def test_any_text_as_a_json_file(text):
    _accept_or_explain(lambda: ArchitectureSpec.from_json(text))


@pytest.mark.parametrize(
    "version, words",
    [
        (True, "must be 1 to 2"),
        (2.0, "must be 1 to 2"),
        ("2", "must be 1 to 2"),
        (None, "must be 1 to 2"),
        (0, "must be 1 to 2"),
        (3, "newer version"),
        (10**5000, "newer version"),
    ],
    ids=["true", "2.0", "str", "null", "0", "3", "huge"],
)
def test_format_version_must_be_one_this_version_reads(version, words):
    with pytest.raises(SpecError, match="format_version") as exc:
        ArchitectureSpec.from_dict({**BASE, "format_version": version})
    assert words in str(exc.value)


V1 = json.loads((Path(__file__).parent / "data" / "spec_v1_resnet18.json").read_text())
V1_PATHS = [p for p in _leaf_paths(V1) if p]


@FUZZ
@given(st.sampled_from(V1_PATHS), hostile)
def test_a_hostile_value_anywhere_in_a_format_1_file_is_accepted_whole_or_explained(path, value):
    data = _set(V1, path, value)
    _accept_or_explain(lambda: ArchitectureSpec.from_dict(data))


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("name", "a\ud800b", "not valid Unicode"),
        ("description", "\udfff", "not valid Unicode"),
        ("name", "two\nlines", "line break"),
        ("name", "nul\x00", "control character"),
        ("description", "bell\x07", "control character"),
        ("name", "x" * 101, "at most 100"),
        ("description", "x" * 2001, "at most 2,000"),
        ("name", 12, "must be a string"),
    ],
)
def test_text_fields_are_valid_bounded_unicode(field, value, words):
    with pytest.raises(SpecError, match=words) as exc:
        ArchitectureSpec.from_dict({**BASE, field: value})
    assert exc.value.problems[0][0] == field


def test_a_description_keeps_its_lines_and_tabs():
    spec = ArchitectureSpec.from_dict({**BASE, "description": 'one\r\n\ttwo """ \\N{BULLET}'})
    assert spec.description == 'one\r\n\ttwo """ \\N{BULLET}'


def test_an_integer_of_thousands_of_digits_is_named_not_printed():
    with pytest.raises(SpecError, match=r"input_shape\[0\].*about 5,001 digits"):
        ArchitectureSpec.from_dict({**BASE, "input_shape": [10**5000, 32, 3]})
    with pytest.raises(SpecError, match="thousands of digits"):
        ArchitectureSpec.from_json(
            json.dumps(BASE).replace('"classes": 10', '"classes": ' + "9" * 5000)
        )


# ------------------------------------------------------------------------ URL tokens
def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


@FUZZ
@given(st.text(st.characters(blacklist_categories=()), max_size=300))
def test_any_token_decodes_or_is_explained(token):
    _accept_or_explain(lambda: decode_spec(token))


@FUZZ
@given(st.sampled_from(PATHS), hostile)
def test_a_token_of_a_hostile_spec_decodes_or_is_explained(path, value):
    if _is_huge(value):
        value = 10**300
    raw = json.dumps(_set(BASE, path, value)).encode("utf-8", "surrogatepass")
    _accept_or_explain(lambda: decode_spec(_token(raw)))


@FUZZ
@given(st.integers(0, 400), st.integers(0, 255))
def test_a_damaged_token_decodes_or_is_explained(cut, byte):
    token = encode_spec(get_spec("resnet50"))
    damaged = token[:cut] + chr(byte) + token[cut + 1 :]
    _accept_or_explain(lambda: decode_spec(damaged))
    _accept_or_explain(lambda: decode_spec(token[:cut]))


def test_tokens_that_unpack_too_far_or_are_not_utf8_are_refused():
    bomb = _token(b" " * 4_000_000)  # a short link that unpacks far past the JSON bound
    assert len(bomb) <= MAX_TOKEN_CHARS
    with pytest.raises(SpecError, match="unpacks to more than"):
        decode_spec(bomb)
    with pytest.raises(SpecError, match="damaged"):
        decode_spec(_token(b'{"name": "\xff"}'))
