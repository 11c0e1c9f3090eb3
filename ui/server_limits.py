"""The web server's bound on a request's head, raised so that a long link reaches the app.

Streamlit serves the app with uvicorn, whose h11 parser answers a request head that is
still incomplete past 16 KiB (a long address arrives in a network's pieces) with a bare
"400 Bad Request": a 100 KB ``?preset=`` link never reached the app's own message ("This
link is too long"). Streamlit has no setting for it; uvicorn reads h11's default for each
new connection, so raising it when the app first runs covers every later connection (a
fresh server's very first request still meets the old bound). 2 MiB is Chromium's
longest address: every link a browser sends gets the app's message, and one connection's
head stays bounded.
"""

from __future__ import annotations

MAX_REQUEST_HEAD = 2 * 2**20


def let_long_links_reach_the_app() -> bool:
    """Raise uvicorn's h11 bound to :data:`MAX_REQUEST_HEAD`; False when this server is
    not uvicorn's h11 (nothing to raise)."""
    try:
        from uvicorn.protocols.http import h11_impl
    except ImportError:
        return False
    if not hasattr(h11_impl, "DEFAULT_MAX_INCOMPLETE_EVENT_SIZE"):
        return False
    h11_impl.DEFAULT_MAX_INCOMPLETE_EVENT_SIZE = max(
        h11_impl.DEFAULT_MAX_INCOMPLETE_EVENT_SIZE, MAX_REQUEST_HEAD
    )
    return True
