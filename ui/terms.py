"""The glossary on screen: terms underlined with their one line on hover, and help texts.

The words live in ``resnet_core/glossary.py`` (one line per term); this module only shows
them: Home's cards and Compose read them through here.
"""

from __future__ import annotations

import html

from resnet_core.glossary import GLOSSARY, explain, terms_in

from .common import escape_md


def with_hovers(text: str) -> str:
    """``text`` as HTML (for ``unsafe_allow_html``) with each glossary term underlined
    and its one line shown on hover; every other character escaped."""
    out, at = [], 0
    for start, end, term in terms_in(text):
        out.append(escape_md(text[at:start]))
        out.append(
            f'<abbr title="{html.escape(GLOSSARY[term], quote=True)}">'
            f"{escape_md(text[start:end])}</abbr>"
        )
        at = end
    out.append(escape_md(text[at:]))
    return "".join(out)


def help_for(*terms: str, lead: str = "") -> str:
    """A widget's help text: ``lead``, then each term in bold with its one line."""
    lines = [lead] if lead else []
    lines += [f"**{t}**: {explain(t)}" for t in terms]
    return "  \n".join(lines)
