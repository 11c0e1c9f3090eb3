"""ResNet Explorer: `streamlit run app.py`. The frame (navigation, sidebar, URL) lives in
ui/router.py and the pages in pages/; the logic in resnet_core."""

from ui.router import run_app

run_app()
