"""ResNet Explorer: `streamlit run app.py`. Routes to the pages; keeps no logic of its own."""

import logging

import streamlit as st

from ui import common, router, state

st.set_page_config(page_title="ResNet Explorer", page_icon=":material/stacks:", layout="wide")


page = st.navigation(router.pages())
state.init_from_url()
common.show_url_message()
try:
    router.run_page(page)
except Exception:  # a bug of ours: say so plainly, keep the traceback in the server log
    logging.getLogger("resnet_explorer").exception("page %s failed", page.title)
    st.error("Something went wrong on this page. Your network is kept; try another page or "
             "reload. (The details are in the server log.)")
state.sync_url()
common.sidebar()
