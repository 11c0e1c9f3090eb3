"""The current network of a browser session, kept in sync with the page's URL.

``st.session_state`` holds the spec; the URL carries it (``?preset=`` or ``?spec=``) so
a copied link reproduces the screen. The URL is read once, when a session starts.
"""

from __future__ import annotations

import streamlit as st

from resnet_core import ArchitectureSpec, analyze, get_spec
from resnet_core.analysis import Analysis
from resnet_core.share import query_for, read_query

from . import presentation

SPEC, PRESET, EDITOR_VERSION, WRITTEN = "spec", "preset", "editor_version", "url_written"
# Query parameters of a page's own view (Graph's level, direction, opened and folded
# boxes): not the network's; the page writes them and they stay as it wrote them.
PAGE_KEYS = ("level", "direction", "expand", "fold")


def init_from_url() -> None:
    """Open what the URL asks for, when it asks for something new.

    That is on a session's first run, and after a link that carries ``?preset=`` or
    ``?spec=``. Navigation clears the query string: then the session's network stays.
    """
    query = {k: v for k, v in st.query_params.items()
             if k != presentation.TALK and k not in PAGE_KEYS}
    if SPEC in st.session_state and (not query or query == st.session_state.get(WRITTEN)):
        return
    state = read_query(query)
    st.session_state[SPEC] = state.spec
    st.session_state[PRESET] = state.preset
    st.session_state[EDITOR_VERSION] = st.session_state.get(EDITOR_VERSION, 0) + 1
    st.session_state[WRITTEN] = query
    if state.message:
        st.session_state["url_message"] = state.message


def current_spec() -> ArchitectureSpec:
    init_from_url()
    return st.session_state[SPEC]


def current_preset() -> str:
    """The preset the current network comes from, edited or not; ``""`` for none."""
    init_from_url()
    return st.session_state[PRESET]


def current_analysis() -> Analysis:
    """The analysis of the current spec, computed once per spec (milliseconds anyway)."""
    spec = current_spec()
    memo = st.session_state.get("_analysis")
    if memo is None or memo.spec is not spec:
        memo = analyze(spec)
        st.session_state["_analysis"] = memo
    return memo


def set_spec(spec: ArchitectureSpec, preset: str | None = None, reset_editor: bool = False):
    """Make ``spec`` the current network; ``reset_editor`` redraws the editors from it.

    ``preset``: the preset it comes from (``""``: none, a loaded file); ``None`` keeps
    the current one. Raises :class:`SpecError`, storing nothing, for a network that a
    link could not carry: the session never holds what the URL cannot.
    """
    query_for(spec, current_preset() if preset is None else preset)
    st.session_state[SPEC] = spec
    if preset is not None:
        st.session_state[PRESET] = preset
    if reset_editor:
        st.session_state[EDITOR_VERSION] = st.session_state.get(EDITOR_VERSION, 0) + 1
    sync_url()


def load_preset(name: str) -> None:
    set_spec(get_spec(name), name, reset_editor=True)


def sync_url() -> None:
    """Write the current network, and talk mode, into the URL (navigation clears the
    query)."""
    spec_part = query_for(current_spec(), current_preset())
    st.session_state[WRITTEN] = spec_part
    wanted = {**spec_part, presentation.TALK: "1"} if presentation.talk_mode() else spec_part
    wanted = {**wanted, **{k: v for k, v in st.query_params.items() if k in PAGE_KEYS}}
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def editor_version() -> int:
    return st.session_state.get(EDITOR_VERSION, 0)
