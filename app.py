"""ResNet Explorer: `streamlit run app.py`. Routes to the pages; keeps no logic of its own."""

import logging

import streamlit as st

from ui import common, state

st.set_page_config(page_title="ResNet Explorer", page_icon=":material/stacks:", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/compose.py", title="Compose", icon=":material/construction:", url_path="compose"),
    st.Page("pages/inspect.py", title="Inspect", icon=":material/table_view:", url_path="inspect"),
    st.Page("pages/graph.py", title="Graph", icon=":material/account_tree:", url_path="graph"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:", url_path="compare"),
    st.Page("pages/code.py", title="Code & files", icon=":material/code:", url_path="code"),
]

page = st.navigation(PAGES)
state.init_from_url()
common.show_url_message()
try:
    page.run()
except Exception:  # a bug of ours: say so plainly, keep the traceback in the server log
    logging.getLogger("resnet_explorer").exception("page %s failed", page.title)
    st.error("Something went wrong on this page. Your network is kept; try another page or "
             "reload. (The details are in the server log.)")
state.sync_url()
common.sidebar()
