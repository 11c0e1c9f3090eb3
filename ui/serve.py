"""Start the app as ``streamlit run app.py`` does, with the web server's bound on a
request's head raised first (:mod:`ui.server_limits`), so that even the server's first
connection takes a long link to the app's message: ``python -m ui.serve [options of
streamlit run]``. ``make app``, ``resnet-explorer`` and the browser tests start it so;
a plain ``streamlit run app.py`` works too, its bound raised once the app has run."""

from __future__ import annotations

import sys
from pathlib import Path

from ui.server_limits import let_long_links_reach_the_app

APP = Path(__file__).resolve().parents[1] / "app.py"


def main(argv: list[str] | None = None) -> None:
    let_long_links_reach_the_app()
    from streamlit.web import cli  # the server runs in this process: the bound holds

    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
