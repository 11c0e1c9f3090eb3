"""The app's pages, and a guard for pages opened without the router.

Streamlit treats an app with a ``pages/`` folder in its legacy way until ``app.py`` first
calls ``st.navigation``: the first request after a server start for, say, ``/compose``
runs ``pages/compose.py`` alone, without the sidebar or URL handling. Each page calls
:func:`ensure_router` first; it registers the real navigation and reruns through
``app.py``.
"""

from __future__ import annotations

import threading

import streamlit as st

_local = threading.local()  # per script-runner thread: sessions run in parallel


def pages() -> list:
    return [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/compose.py", title="Compose", icon=":material/construction:",
                url_path="compose"),
        st.Page("pages/inspect.py", title="Inspect", icon=":material/table_view:",
                url_path="inspect"),
        st.Page("pages/graph.py", title="Graph", icon=":material/account_tree:",
                url_path="graph"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:",
                url_path="compare"),
        st.Page("pages/code.py", title="Code & files", icon=":material/code:",
                url_path="code"),
    ]


def run_page(page) -> None:
    _local.inside = True
    try:
        page.run()
    finally:
        _local.inside = False


def ensure_router() -> None:
    """Stop a page run outside ``app.py`` and rerun it through the router."""
    if not getattr(_local, "inside", False):
        st.navigation(pages(), position="hidden")
        st.rerun()
