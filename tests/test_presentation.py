"""ui/presentation: readable charts, and talk mode through the frame (AppTest)."""

from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots
from streamlit.testing.v1 import AppTest

from resnet_core import analyze, get_spec
from ui import charts
from ui.presentation import MODEBAR_STRIP, TALK_CHART_HEIGHT, style_chart

ROOT = Path(__file__).resolve().parent.parent


def sizes(fig) -> list[int]:
    """Every font size the figure sets for text a person reads."""
    lo = fig.layout
    out = [lo.font.size, lo.legend.font.size, lo.hoverlabel.font.size]
    out += [a.font.size for a in lo.annotations]
    for axis in [*fig.select_xaxes(), *fig.select_yaxes()]:
        out += [axis.tickfont.size, axis.title.font.size]
    for scene in fig.select_scenes():  # 3-D axes: the loss surfaces
        for axis in (scene.xaxis, scene.yaxis, scene.zaxis):
            out += [axis.tickfont.size, axis.title.font.size]
    return out


def surfaces():
    """The Inside page's loss surfaces: two 3-D scenes."""
    import numpy as np

    from tests.test_experiments import _landscape
    from ui import experiments

    a = np.linspace(-1, 1, 3)
    bowl = (a[:, None] ** 2 + a[None, :] ** 2).tolist()
    return experiments.landscape_surfaces([_landscape(bowl), _landscape(bowl, False)])


@pytest.mark.parametrize("talk, least", [(False, 14), (True, 16)])
def test_style_chart_sets_readable_fonts_and_room_above_titles(talk, least):
    a = analyze(get_spec("cifar_resnet20"))
    for fig in (
        charts.stage_bars(a),
        charts.output_size(a),
        charts.receptive_field(a),
        make_subplots(rows=1, cols=2, subplot_titles=("x", "y")),
        go.Figure(),
        surfaces(),
    ):
        height = fig.layout.height
        fig = style_chart(fig, talk=talk)
        assert min(sizes(fig)) >= least
        # The margins grow to hold axis titles (inside.png had "ccuracy (%)").
        assert all(a.automargin for a in [*fig.select_xaxes(), *fig.select_yaxes()])
        if fig.layout.title.text:
            assert fig.layout.title.font.size > least
            strip = 0 if talk else MODEBAR_STRIP  # a talk shows no toolbar
            assert fig.layout.margin.t > strip + fig.layout.title.font.size
        assert fig.layout.height == (TALK_CHART_HEIGHT if talk else height)


def test_talk_mode_hides_the_sidebar_and_stays_in_the_url():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["preset"] = "cifar_resnet20"
    at.query_params["talk"] = "1"
    at.run()
    assert not at.exception and not at.sidebar.markdown
    assert at.button(key="exit_talk").label == "Exit talk mode"
    at.switch_page("pages/inspect.py").run()
    assert at.query_params["talk"] == "1" and at.query_params["preset"] == "cifar_resnet20"
    assert not at.sidebar.markdown

    at.button(key="exit_talk").click().run()
    assert "talk" not in at.query_params
    assert "271,098" in " ".join(m.value for m in at.sidebar.markdown)


def test_escape_md_keeps_every_character_and_leaves_no_markup():
    import html

    from ui.common import MARKDOWN_SIGNS, WORD_JOINER, escape_md

    text = "**x** [a](http://h:9/x) ![i](www.h.io/i.png) <b>y</b> $z$ :red[w] a@b.c &amp; _ :smile:"
    out = escape_md(text)
    assert not set(html.unescape(out)) - set(text) - {WORD_JOINER}
    assert html.unescape(out).replace(WORD_JOINER, "") == text
    left = set(out.replace("&#", "").replace(";", ""))
    assert not MARKDOWN_SIGNS & left
    # Written out here, as the module's own set cannot check itself (':' makes :smile: an emoji).
    assert not set("\\`*_[]<>$:~|#!&") & left
    assert "://" not in html.unescape(out) and "www." not in html.unescape(out)


def test_download_file_names_hold_no_path_or_quote():
    from ui.common import file_stem

    assert file_stem("cifar_resnet20_edited") == "cifar_resnet20_edited"
    assert file_stem('../x/"a b"') == "x_a_b"
    assert file_stem("///") == "network" and len(file_stem("é" * 200)) == 60
