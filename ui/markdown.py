"""Text shown through Streamlit's markdown as the characters it is (a leaf: every ui
module may import it)."""

from __future__ import annotations

import re


def escape_md(text: str) -> str:
    """Text shown through markdown (labels, errors, names from a link) as the characters
    it is: every markdown, HTML, LaTeX and Streamlit sign becomes a numeric character
    reference. GitHub-style autolinks are found in the text after parsing, so a bare
    ``http://``, ``www.`` or ``@`` also gets an invisible word joiner that stops them."""
    text = _AUTOLINK.sub(lambda m: m.group(0)[:-1] + WORD_JOINER + m.group(0)[-1], str(text))
    return "".join(f"&#{ord(ch)};" if ch in MARKDOWN_SIGNS else ch for ch in text)


MARKDOWN_SIGNS = set("\\`*_{}[]()#+-.!|<>~$:&")
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"://|(?<=w)ww\.|@", re.IGNORECASE)
