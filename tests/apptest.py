"""Running the app in Streamlit's AppTest, shared by the app-level test files."""

import html
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def app(page=None, timeout: float = 120, **query):
    """The app opened with ``query`` in its URL, then switched to ``page``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def plain(markdown: str) -> str:
    """Markdown as a person reads it: the character references of ``escape_md`` undone."""
    return html.unescape(markdown)
