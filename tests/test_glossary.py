"""One glossary: every term a card or Compose uses has one line, shown on hover."""

import html
import json
import re

from resnet_core.glossary import GLOSSARY, explain, terms_in


def test_every_entry_is_one_short_line():
    for term, line in GLOSSARY.items():
        assert "\n" not in line and 20 < len(line) <= 160, term
        assert line.endswith(".") and (line[0].isupper() or line[0].isdigit()), term


def test_the_words_a_newcomer_meets_are_explained():
    for word in (
        "BN",
        "bottleneck",
        "pre-activation",
        "projection",
        "ELU",
        "ReLU",
        "skip connection",
        "plain",
        "residual",
        "SE",
        "groups",
        "zero-pad",
    ):
        assert explain(word) == explain(word.upper()) == explain(word.lower())


def test_terms_are_found_whole_and_in_the_plural_never_inside_other_words():
    found = [
        t
        for *_, t in terms_in(
            "Two Bottleneck blocks; BN → ELU; skip connections; Plain-20; plainly; BNs"
        )
    ]
    assert found == ["bottleneck", "BN", "ELU", "skip connection", "BN"]


def test_card_lines_and_block_summaries_get_their_hovers_and_escape_the_rest():
    from resnet_core.blocks import BLOCK_KINDS
    from ui.preset_cards import _TEXT
    from ui.terms import with_hovers

    out = with_hovers("Five BN → ELU → conv blocks <b>x</b>")
    assert f'<abbr title="{html.escape(explain("BN"), quote=True)}">BN</abbr>' in out
    assert "<b>" not in out and "&#60;b&#62;" in out  # user-looking text stays text
    texts = [
        html.unescape(with_hovers(t))
        for t in [line for _, line in _TEXT.values()] + [k.summary for k in BLOCK_KINDS.values()]
    ]
    for word in ("bottleneck", "pre-activation", "ELU", "BN"):
        assert any(re.search(rf"<abbr title=\"[^\"]+\">{word}", t, re.I) for t in texts), word


def test_compose_column_help_reads_the_glossary():
    from tests.apptest import app

    at = app("pages/compose.py", preset="cifar_resnet20")
    assert not at.exception
    editor = next(d for d in at.dataframe if "pre-act" in d.proto.columns)
    helps = " ".join(c.get("help", "") for c in json.loads(editor.proto.columns).values())
    for term in (
        "projection",
        "pre-activation",
        "bottleneck",
        "squeeze-and-excitation",
        "stride",
        "kernel size",
        "bottleneck width",
        "strided conv",
    ):
        assert explain(term) in helps, term
    # The boxes around the table: BatchNorm's settings and the head's pooling (issue 19).
    widgets = {w.label: w.help or "" for kind in ("number_input", "checkbox", "selectbox")
               for w in at.get(kind)}  # fmt: skip
    assert explain("BN momentum") in widgets["BN momentum"]
    assert explain("BN epsilon") in widgets["BN epsilon"]
    assert explain("BN scale") in widgets["BN scale (γ)"]
    assert explain("global average pooling") in widgets["Pooling"]
    assert explain("flatten") in widgets["Pooling"]
