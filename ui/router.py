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

from . import common, state

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
        st.Page("pages/train.py", title="Train", icon=":material/model_training:",
                url_path="train"),
        st.Page("pages/runs.py", title="Runs", icon=":material/history:", url_path="runs"),
    ]


def run_app() -> None:
    """Everything around a page: navigation, the URL's network, the page, the sidebar."""
    st.set_page_config(page_title="ResNet Explorer", page_icon=":material/stacks:",
                       layout="wide")
    page = st.navigation(pages())
    state.init_from_url()
    common.show_url_message()
    # The sidebar is drawn before the page (a page may end early with st.stop()) and
    # again after it, when the page has changed the network.
    sidebar = st.sidebar.empty()
    state.sync_url()
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
    common.sidebar(sidebar.container())


def ensure_router() -> None:
    """Inside the frame, do nothing; in a direct run, run the frame and stop there."""
    if not getattr(_local, "inside", False):
        run_app()
        st.stop()
