"""``resnet-explorer``: the installed command that starts the app with Streamlit.

The app (``app.py``, ``pages/``, ``ui/``, ``assets/``) is not part of the installed
package: the package is the library and ``python -m resnet_core``. So the command runs
the app of a checkout: the one resnet_core was installed from in editable mode
(``pip install -e .``), else the one in the current folder; without either it says so.
Streamlit runs in a child process; resnet_core never imports it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def find_checkout(cwd: Path | None = None) -> Path | None:
    """The folder holding the app: beside this package (a checkout or an editable
    install), else the current folder; None when neither has ``app.py`` and ``pages/``."""
    for folder in (Path(__file__).resolve().parents[1], (cwd or Path.cwd()).resolve()):
        if (folder / "app.py").is_file() and (folder / "pages").is_dir():
            return folder
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="resnet-explorer",
        description="Start ResNet Explorer in the browser (Streamlit), "
        "from a checkout of the project: the one installed with `pip install -e .`, or the "
        "current folder.",
    )
    p.add_argument("--port", type=int, default=8501, help="default: 8501")
    p.add_argument(
        "--address",
        default="127.0.0.1",
        help="default: 127.0.0.1 (this machine only); 0.0.0.0 opens it to the network",
    )
    args = p.parse_args(argv)
    checkout = find_checkout()
    if checkout is None:
        print(
            "error: resnet-explorer runs the app of a checkout of the project, and found "
            "none: run it in the project's folder (where app.py is), or install the "
            "checkout with `pip install -e .`. The installed package alone offers the "
            "library and `python -m resnet_core`.",
            file=sys.stderr,
        )
        return 2
    command = [
        sys.executable,
        "-m",
        "ui.serve",  # streamlit run app.py, the web server's head bound raised first
        "--server.address",
        args.address,
        "--server.port",
        str(args.port),
    ]
    try:
        return subprocess.call(command, cwd=checkout)
    except KeyboardInterrupt:  # Ctrl-C reaches Streamlit too; it stops on its own
        return 130


if __name__ == "__main__":
    sys.exit(main())
