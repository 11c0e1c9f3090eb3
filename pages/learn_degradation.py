"""(being written)"""

import streamlit as st

from ui import router

router.ensure_router()

st.title("learn_degradation")
st.info("This page is being written.")
