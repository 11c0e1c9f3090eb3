"""The app's frame: pages, navigation, URL state, sidebar; and a guard for direct runs.

Streamlit treats an app with a ``pages/`` folder in its legacy way until ``app.py`` calls
``st.navigation``: the first request after a server start for, say, ``/compose`` runs
``pages/compose.py`` alone (AppTest does so on every run). Each page therefore calls
:func:`ensure_router` first, which runs the whole frame from there and stops the
direct run, without a rerun that would drop a pending button click.
"""

from __future__ import annotations

import logging
import threading

import streamlit as st

from . import common, presentation, state

_local = threading.local()  # per script-runner thread: sessions run in parallel


# The navigation, in sections: (file, title, icon, URL path). Tests and the screenshot
# script read this table, so a new page is one line here and one file in pages/. A file is
# named as its URL path: the first request after a server start finds a page by its file
# name (Streamlit's legacy pages/ mode); any other name opens "Page not found" there.
SECTIONS: dict[str, list[tuple[str, str, str, str]]] = {
    "Explore": [
        ("pages/home.py", "Home", ":material/home:", ""),
        ("pages/compose.py", "Compose", ":material/construction:", "compose"),
        ("pages/inspect.py", "Inspect", ":material/table_view:", "inspect"),
        ("pages/graph.py", "Graph", ":material/account_tree:", "graph"),
        ("pages/compare.py", "Compare", ":material/compare_arrows:", "compare"),
        ("pages/code.py", "Code & files", ":material/code:", "code"),
    ],
    "Train": [
        ("pages/train.py", "Train", ":material/model_training:", "train"),
        ("pages/race.py", "Race", ":material/sprint:", "race"),
        ("pages/runs.py", "Runs", ":material/history:", "runs"),
    ],
    "Learn": [
        ("pages/degradation.py", "Degradation", ":material/trending_down:",
         "degradation"),
        ("pages/gradients.py", "Gradient flow", ":material/waterfall_chart:",
         "gradients"),
        ("pages/residual.py", "What a residual is", ":material/functions:",
         "residual"),
        ("pages/blocks.py", "Block gallery", ":material/widgets:", "blocks"),
        ("pages/inside.py", "Inside the networks", ":material/biotech:", "inside"),
    ],
}
PAGE_FILES = [f for section in SECTIONS.values() for f, *_ in section]


def pages() -> dict[str, list]:
    """``st.navigation``'s argument: the sections above as ``st.Page`` objects."""
    return {section: [st.Page(f, title=t, icon=i, url_path=u or None, default=not u)
                      for f, t, i, u in items]
            for section, items in SECTIONS.items()}


def run_app() -> None:
    """Everything around a page: navigation, the URL's network, the page, the sidebar."""
    st.set_page_config(page_title="ResNet Explorer", page_icon=presentation.ICON,
                       layout="wide")
    presentation.read_talk_from_url()
    talk = presentation.talk_mode()
    # In a talk the sidebar goes; the sections become the top bar's menus.
    page = st.navigation(pages(), position="top" if talk else "sidebar", expanded=True)
    state.init_from_url()
    st.html(presentation.stylesheet("app.css"))
    if talk:
        st.html(presentation.stylesheet("talk.css"))
        if st.button("Exit talk mode", icon=":material/close:", type="tertiary",
                     key="exit_talk"):
            presentation.set_talk_mode(False)
            state.sync_url()
            st.rerun()
    common.show_url_message()
    # The sidebar is drawn before the page (a page may end early with st.stop()) and
    # again after it, when the page has changed the network.
    sidebar = None if talk else st.sidebar.empty()
    state.sync_url()
    if sidebar is not None:
        common.sidebar(sidebar.container())
    _local.inside = True
    try:
        page.run()
    except Exception:  # a bug of ours: say so plainly, keep the traceback in the log
        logging.getLogger("resnet_explorer").exception("page %s failed", page.title)
        st.error("Something went wrong on this page. Your network is kept; try another "
                 "page or reload. (The details are in the server log.)")
    finally:
        _local.inside = False
    state.sync_url()
    if sidebar is not None:
        common.sidebar(sidebar.container())


def ensure_router() -> None:
    """Inside the frame, do nothing; in a direct run, run the frame and stop there."""
    if not getattr(_local, "inside", False):
        run_app()
        st.stop()
