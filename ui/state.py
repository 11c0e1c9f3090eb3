"""The current network of a browser session, kept in sync with the page's URL.

``st.session_state`` holds the spec; the URL carries it (``?preset=`` or ``?spec=``) so
a copied link reproduces the screen. The URL is read once, when a session starts.
"""

from __future__ import annotations

import streamlit as st

from resnet_core import PRESETS, ArchitectureSpec, analyze, get_spec
from resnet_core.analysis import Analysis
from resnet_core.share import query_for, read_query

from . import presentation

SPEC, PRESET, EDITOR_VERSION, WRITTEN = "spec", "preset", "editor_version", "url_written"
PAGE_VIEWS = "page_views"  # per page: the view parameters it last left in the URL
# Query parameters of a page's own view (Graph's level, direction, opened and folded
# boxes): not the network's; the page writes them and they stay as it wrote them.
PAGE_KEYS = ("level", "direction", "expand", "fold")


def init_from_url(follow_link: bool = False) -> None:
    """Open what the URL asks for, when it is a link followed, not an echo.

    That is on a session's first run, and, with ``follow_link`` (the router's: a page
    opened, or Back / Forward), when the URL carries another ``?preset=`` or ``?spec=``
    than the app wrote. A rerun of the same page asked for by a widget may carry the
    address from before the app's last write (an edit made while the page redrew): it is
    not a link, and the session's network stays (an edit would be undone otherwise).
    """
    query = {
        k: v for k, v in st.query_params.items() if k != presentation.TALK and k not in PAGE_KEYS
    }
    if SPEC in st.session_state and (
        not follow_link or not query or query == st.session_state.get(WRITTEN)
    ):
        return
    state = read_query(query)
    st.session_state[SPEC] = state.spec
    st.session_state[PRESET] = state.preset
    st.session_state[EDITOR_VERSION] = st.session_state.get(EDITOR_VERSION, 0) + 1
    st.session_state[WRITTEN] = query
    if state.message:
        st.session_state["url_message"] = state.message


def history_navigation() -> bool:
    """Whether this run is the browser's Back or Forward (Streamlit tells its script
    runner; there is no public call for it)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(getattr(ctx, "is_history_navigation", False))


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


def link_query(
    url_path: str, *, preset: str | None = None, talk: bool | None = None
) -> dict[str, str]:
    """The address the app will write for page ``url_path``: the current network (or
    ``preset``), talk mode, and that page's own view as last shown (or its first).

    A link that carries it is the one history entry of a page change: Streamlit's own
    menu opens a page with no query, and the app's writing it back made a second entry
    (so Back seemed to do nothing).
    """
    network = {"preset": preset} if preset else query_for(current_spec(), current_preset())
    on = presentation.talk_mode() if talk is None else talk
    view = st.session_state.get(PAGE_VIEWS, {}).get(url_path) or first_view(url_path)
    return {**network, **({presentation.TALK: "1"} if on else {}), **view}


def first_view(url_path: str) -> dict[str, str]:
    """A page's own view parameters when it is first opened (the Graph's default view)."""
    if url_path == "graph":
        from resnet_core.graph_model import View, view_query

        return view_query(View())
    return {}


def remember_view(url_path: str) -> None:
    """Keep the view parameters page ``url_path`` left in the URL, for links back to it."""
    view = {k: v for k, v in st.query_params.items() if k in PAGE_KEYS}
    st.session_state.setdefault(PAGE_VIEWS, {})[url_path] = view


def sync_url() -> None:
    """Write the current network, and talk mode, into the URL, keeping the page's own
    view parameters. After a page change through :func:`ui.router.page_link` the URL
    already says this, and nothing is written (no second history entry)."""
    spec_part = query_for(current_spec(), current_preset())
    st.session_state[WRITTEN] = spec_part
    wanted = {**spec_part, presentation.TALK: "1"} if presentation.talk_mode() else spec_part
    wanted = {**wanted, **{k: v for k, v in st.query_params.items() if k in PAGE_KEYS}}
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def open_network(spec: ArchitectureSpec) -> None:
    """Make a stored network (a run's) the current one, under its preset's name when it
    is that preset unchanged."""
    preset = spec.name if spec.name in PRESETS and get_spec(spec.name) == spec else ""
    set_spec(spec, preset, reset_editor=True)


def editor_version() -> int:
    return st.session_state.get(EDITOR_VERSION, 0)
