"""Specs in URLs: a compact, URL-safe token, and reading a page's query parameters safely.

A token is the spec's JSON, zlib-compressed and base64url-encoded. Decoding refuses
oversized tokens and decompression bombs, and every failure becomes a :class:`SpecError`
with a message a person can act on.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from .presets import DEFAULT_PRESET, PRESETS, get_spec
from .spec import ArchitectureSpec, SpecError

# A link's bound. The web server under Streamlit 1.67 (uvicorn with h11) refuses a request
# whose head, the address and the browser's headers, passes 16 KiB whenever it arrives in
# more than one piece, with its own bare "400 Bad Request / Invalid HTTP request received"
# before the app can answer (one piece: it passes; hence "sometimes"). A link the app
# writes stays well inside, with room for the headers (a test sends one in pieces); a
# longer value that reaches the app is refused with the app's message (read_query).
MAX_TOKEN_CHARS = 12_000
MAX_QUERY_VALUE_CHARS = MAX_TOKEN_CHARS
SERVER_HEAD_LIMIT = 16 * 1024  # for the messages and README: not ours to change
MAX_JSON_BYTES = 256_000


def encode_spec(spec: ArchitectureSpec) -> str:
    raw = json.dumps(spec.to_dict(), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def shareable_token(spec: ArchitectureSpec) -> str:
    """``spec``'s token, once :func:`decode_spec` is known to read it back as ``spec``: a
    link the app writes is a link it can open. :class:`SpecError` says why not."""
    try:
        token = encode_spec(spec)
    except (TypeError, ValueError) as exc:  # text JSON or UTF-8 cannot carry
        raise SpecError([("spec", f"this network cannot be written to a link ({exc})")]) from None
    if decode_spec(token) != spec:
        raise SpecError([("spec", "this network does not read back the same from a link")])
    return token


def decode_spec(token: str) -> ArchitectureSpec:
    """The spec in ``token``; :class:`SpecError` when it is damaged or invalid."""
    if len(token) > MAX_TOKEN_CHARS:
        raise SpecError(
            [
                (
                    "spec",
                    f"the network takes {len(token):,} characters in a link, "
                    f"more than the {MAX_TOKEN_CHARS:,} allowed; shorten its "
                    "description, or share its JSON file instead",
                )
            ]
        )
    try:
        packed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_JSON_BYTES)
        if inflater.unconsumed_tail:
            raise SpecError(
                [("spec", f"the link's spec unpacks to more than {MAX_JSON_BYTES:,} bytes")]
            )
        text = raw.decode("utf-8")
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, SpecError):
            raise
        raise SpecError(
            [
                (
                    "spec",
                    "the link's spec is damaged (it may have been cut off "
                    "when copied); copy the whole link again",
                )
            ]
        ) from None
    return ArchitectureSpec.from_json(text)


@dataclass(frozen=True)
class UrlState:
    """What a page's query parameters ask for: a spec, its preset, and any problem."""

    spec: ArchitectureSpec
    preset: str
    message: str | None = None


def read_query(params: Mapping[str, str]) -> UrlState:
    """``?preset=NAME`` or ``?spec=TOKEN[&base=NAME]``; the default network on any problem.

    ``preset`` of the result is the preset the network was edited from, or ``""`` for a
    network that comes from no preset (a loaded file). Messages hold the link's text as
    is: escape them for where they are shown.
    """
    longest = max(params, key=lambda k: len(params[k] or ""), default=None)
    if longest is not None and len(params[longest] or "") > MAX_QUERY_VALUE_CHARS:
        shown = re.sub(r"[^\w.-]", "", str(longest))[:20]
        return UrlState(
            get_spec(DEFAULT_PRESET),
            DEFAULT_PRESET,
            f"This link is too long: its {shown!r} holds "
            f"{len(params[longest]):,} characters, more than the "
            f"{MAX_QUERY_VALUE_CHARS:,} a link of the explorer carries (it may "
            "have been damaged; a much longer one the web server refuses "
            f"before the explorer sees it); showing {DEFAULT_PRESET}. Share a "
            "large network as its JSON file (Code & files).",
        )
    token = params.get("spec")
    preset = params.get("preset") or params.get("base") or ("" if token else DEFAULT_PRESET)
    problem = None
    if preset and preset not in PRESETS:
        shown = re.sub(r"[^\w.-]", "", preset)[:40]  # never echo markup back
        problem = f"There is no preset called {shown!r}; showing {DEFAULT_PRESET}."
        preset = "" if token else DEFAULT_PRESET
    if token:
        try:
            return UrlState(decode_spec(token), preset, problem)
        except (ValueError, RecursionError) as exc:  # SpecError, or what JSON refuses
            return UrlState(
                get_spec(DEFAULT_PRESET),
                DEFAULT_PRESET,
                f"The link's network could not be opened ({exc}); showing "
                f"{DEFAULT_PRESET} instead.",
            )
    return UrlState(get_spec(preset), preset, problem)


def query_for(spec: ArchitectureSpec, preset: str) -> dict[str, str]:
    """The query parameters that reproduce ``spec``: just the preset when unedited, the
    token (and the preset it was edited from, if any) otherwise. Raises
    :class:`SpecError` for a network a link cannot carry."""
    if preset in PRESETS and get_spec(preset) == spec:
        return {"preset": preset}
    token = shareable_token(spec)
    return {"base": preset, "spec": token} if preset in PRESETS else {"spec": token}
