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

from resnet_core.faults import USER_FAULTS

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
        ("pages/degradation.py", "Degradation", ":material/trending_down:", "degradation"),
        ("pages/gradients.py", "Gradient flow", ":material/waterfall_chart:", "gradients"),
        ("pages/residual.py", "What a residual is", ":material/functions:", "residual"),
        ("pages/blocks.py", "Block gallery", ":material/widgets:", "blocks"),
        ("pages/inside.py", "Inside the networks", ":material/biotech:", "inside"),
    ],
}
PAGE_FILES = [f for section in SECTIONS.values() for f, *_ in section]
URL_PATHS = {f: u for section in SECTIONS.values() for f, _, _, u in section}
LAST_PAGE = "last_page"  # the URL path of the page the session's last run showed


def pages() -> dict[str, list]:
    """``st.navigation``'s argument: the sections above as ``st.Page`` objects."""
    return {
        section: [
            st.Page(f, title=t, icon=i, url_path=u or None, default=not u) for f, t, i, u in items
        ]
        for section, items in SECTIONS.items()
    }


def page_link(
    page_file: str,
    label: str,
    *,
    where=None,
    preset: str | None = None,
    talk: bool | None = None,
    **kwargs,
) -> None:
    """``st.page_link`` to a page of ours with the address the app writes there (the
    current network or ``preset``, talk mode, the page's view): opening it is exactly
    one history entry, and the app has nothing to rewrite. Every link between our pages
    is one of these."""
    query = state.link_query(URL_PATHS[page_file], preset=preset, talk=talk)
    (where or st).page_link(page_file, label=label, query_params=query, **kwargs)


def menu(container, talk: bool, drawn: str) -> None:
    """The sections and their pages: a list in the sidebar; in a talk, a menu per
    section in the top bar. (Streamlit's own menu opens a page without the query, which
    the app then wrote back: two history entries per page change.) ``drawn`` names the
    page and the draw ("before" or "after" it), so a menu opened on one page is closed
    on the next, and the two draws of one run do not share keys."""
    with container:
        if talk:
            with st.container(horizontal=True, key=f"talk_menu_{drawn}", gap="small"):
                for section, items in SECTIONS.items():
                    with st.popover(section, key=f"menu_{section}_{drawn}"):
                        for f, t, i, _ in items:
                            page_link(f, t, icon=i)
            return
        for section, items in SECTIONS.items():
            st.caption(section)
            for f, t, i, _ in items:
                page_link(f, t, icon=i)


def run_app() -> None:
    """Everything around a page: navigation, the URL's network, the page, the sidebar."""
    st.set_page_config(page_title="ResNet Explorer", page_icon=presentation.ICON, layout="wide")
    presentation.read_talk_from_url()
    talk = presentation.talk_mode()
    # Our own menus (see menu); Streamlit's is hidden, its routing kept.
    page = st.navigation(pages(), position="hidden")
    # The URL's network is read when a page is opened (a link, Back, Forward), not on a
    # widget's rerun of the same page, whose address may predate the app's last write.
    arrived = st.session_state.get(LAST_PAGE) != page.url_path
    st.session_state[LAST_PAGE] = page.url_path
    state.init_from_url(follow_link=arrived or state.history_navigation())
    st.html(presentation.stylesheet("app.css"))
    if talk:
        st.html(presentation.stylesheet("talk.css"))
        if st.button("Exit talk mode", icon=":material/close:", type="tertiary", key="exit_talk"):
            presentation.set_talk_mode(False)
            state.sync_url()
            st.rerun()
    common.show_url_message()
    # The menu and the sidebar are drawn before the page (a page may end early with
    # st.stop()) and again after it, when the page has changed the network (the links
    # carry it).
    nav = st.empty() if talk else None
    sidebar = None if talk else st.sidebar.empty()
    state.sync_url()
    _frame(nav, sidebar, talk, f"{page.url_path}_before")
    _local.inside = True
    try:
        page.run()
    except USER_FAULTS as exc:  # the machine's, not ours: say what to do
        st.error(common.escape_md(f"{str(exc)[:1].upper()}{str(exc)[1:]}."))
    except Exception:  # a bug of ours: say so plainly, keep the traceback in the log
        logging.getLogger("resnet_explorer").exception("page %s failed", page.title)
        st.error(
            "Something went wrong on this page. Your network is kept; try another "
            "page or reload. (The details are in the server log.)"
        )
    finally:
        _local.inside = False
    state.sync_url()
    state.remember_view(page.url_path)
    _frame(nav, sidebar, talk, f"{page.url_path}_after")


def _frame(nav, sidebar, talk: bool, drawn: str) -> None:
    if talk:
        menu(nav.container(), talk=True, drawn=drawn)
    else:
        box = sidebar.container()
        menu(box, talk=False, drawn=drawn)
        box.divider()
        common.sidebar(box)


def ensure_router() -> None:
    """Inside the frame, do nothing; in a direct run, run the frame and stop there."""
    if not getattr(_local, "inside", False):
        run_app()
        st.stop()
