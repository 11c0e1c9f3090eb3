"""The graph explorer component: Graphviz's SVG with pan, zoom, fit, hover details, and
clicks that open or fold a stage or block (``st.components.v2``, no iframe).

Its JavaScript and CSS are files next to this one, read once and sent inline: nothing is
loaded from the network at run time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import streamlit as st

_HERE = Path(__file__).parent
_component = st.components.v2.component(
    "resnet_explorer.graph_explorer",
    js=(_HERE / "explorer.js").read_text(encoding="utf-8"),
    css=(_HERE / "explorer.css").read_text(encoding="utf-8"),
)


def graph_explorer(
    svg: str, nodes: dict[str, dict], key: str, on_toggle: Callable[[], None], talk: bool = False
) -> str | None:
    """Draw ``svg``; ``nodes`` maps each node's key to its tooltip (``title``, ``rows`` of
    (label, value), ``action``, ``expands``); ``talk`` draws it larger. Returns the stage or block the user clicked
    to open or fold, once, on the rerun that click causes."""
    data = {
        "svg": svg,
        "nodes": nodes,
        "key": key,
        "talk": talk,
        "id": hashlib.sha1(svg.encode("utf-8", "replace")).hexdigest()[:16],
    }
    result = _component(key=key, data=data, on_toggle_change=on_toggle)
    return getattr(result, "toggle", None)
