"""ResNet Explorer: `streamlit run app.py`. The frame (navigation, sidebar, URL) lives in
ui/router.py and the pages in pages/; the logic in resnet_core."""

from ui.router import run_app
from ui.server_limits import let_long_links_reach_the_app

let_long_links_reach_the_app()  # a long link gets the app's message, not the server's 400
run_app()
