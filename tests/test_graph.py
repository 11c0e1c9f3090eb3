"""The graph: folding stages and blocks in place, skips where they are, escaping, views."""

import re

import pytest

from resnet_core import analyze, get_spec
from resnet_core.graph import (
    DotNotInstalled,
    dot_available,
    dot_text,
    render,
    to_dot,
    to_graph,
    to_png,
    to_svg,
)
from resnet_core.graph_model import View, fold, opened, read_view, view_query

needs_dot = pytest.mark.skipif(not dot_available(), reason="Graphviz's dot is not installed")


def skip_edges(g):
    return [e for e in g.edges if e.skip]


def test_stage_level_is_one_node_per_stage_and_draws_no_skip_between_stages():
    a = analyze(get_spec("resnet50"))
    g = fold(a, View("stage"))
    assert list(g.nodes) == ["input", "stem", "stage1", "stage2", "stage3", "stage4", "head"]
    assert [(e.src, e.dst) for e in g.edges] == list(zip(list(g.nodes), list(g.nodes)[1:]))
    assert skip_edges(g) == []  # every skip is inside a stage, around its own block
    assert "style=dashed" not in to_dot(a, "stage")


def test_block_level_draws_each_skip_around_its_own_block():
    a = analyze(get_spec("resnet18"))  # 8 basic blocks; the first of stages 2-4 projects
    g = fold(a, View("block"))
    skips = skip_edges(g)
    # identity blocks: input → sum; projection blocks: input → shortcut → sum
    assert len(skips) == 5 * 1 + 3 * 2
    for e in skips:
        dst = g.nodes[e.dst]
        assert dst.kind in ("sum", "shortcut")
        block = e.dst.rsplit("_", 1)[0]
        if dst.kind == "sum":  # the skip leaves the block's input, not its body
            assert e.src in (f"{block}_shortcut",) or not e.src.startswith(block)
    body_to_sum = [(e.src, e.dst) for e in g.edges if not e.skip and g.nodes[e.dst].kind == "sum"]
    assert ("stage2_block1", "stage2_block1_sum") in body_to_sum
    assert g.nodes["stage2_block1_shortcut"].subtitle.startswith("conv 1×1/2")
    assert skip_edges(fold(analyze(get_spec("cifar_plain20")), View("block"))) == []


def test_layer_level_has_one_node_per_layer_and_every_skip():
    a = analyze(get_spec("cifar_resnet20"))
    g = fold(a, View("layer"))
    assert set(g.nodes) == {l.name for l in a.layers}
    skips = sum(s for l in a.layers for s in l.skip_inputs)
    # 9 blocks, one skip edge each, plus one more into each of the 2 zero-pad shortcuts
    assert len(skip_edges(g)) == skips == 9 + 2
    assert to_dot(a, "layer").count("style=dashed") == skips


def test_opening_a_stage_in_place_keeps_the_rest_folded():
    a = analyze(get_spec("resnet50"))
    view = View("stage").toggled("stage3", a)
    assert view.expand == {"stage3"}
    g = fold(a, view)
    assert {"stage2", "stage4"} <= set(g.nodes)  # still folded
    assert "stage3" not in g.nodes and "stage3" in g.boxes
    blocks = [k for k, n in g.nodes.items() if n.kind == "block"]
    assert blocks == [f"stage3_block{i}" for i in range(1, 7)]
    assert all(g.nodes[k].parent == "stage3" for k in blocks)
    # opening a block of it shows that block's layers, its neighbours stay blocks
    view = view.toggled("stage3_block2", a)
    g = fold(a, view)
    assert (
        "stage3_block2_conv2" in g.nodes
        and g.nodes["stage3_block2_conv2"].parent == "stage3_block2"
    )
    assert "stage3_block3" in g.nodes and "stage3_block3_conv2" not in g.nodes
    # folding the stage forgets the block opened inside it
    back = view.toggled("stage3", a)
    assert back == View("stage") and list(fold(a, back).nodes)[4] == "stage3"


def test_a_block_opens_its_stage_and_folding_works_below_the_level():
    a = analyze(get_spec("resnet18"))
    view = View("stage").toggled("stage2_block2", a)
    assert opened(a, view) == {"stage2", "stage2_block2"}
    assert opened(a, View("stage", expand=frozenset({"stage2_block2"}))) == {
        "stage2",
        "stage2_block2",
    }  # as a hand-made link says it
    folded = View("layer").toggled("stage2", a)
    assert folded.fold == {"stage2"} and "stage2" in fold(a, folded).nodes
    assert folded.with_level("block") == View("block")  # a new level forgets the hand's
    assert View("layer").toggled("stage9", a) == View("layer")  # no such stage: no change
    assert View("stage").toggled("<script>", a) == View("stage")


def test_a_huge_network_is_drawn_folded_with_a_note():
    a = analyze(get_spec("resnet152"))
    g = fold(a, View("layer"), max_nodes=200)
    assert len(g.nodes) <= 200 and "parts stay folded" in g.note
    assert "stage3" in g.boxes and "stage3_block5" in g.nodes  # fell back to blocks
    assert fold(a, View("layer")).note == ""


def test_the_view_round_trips_through_the_url_and_bad_values_are_named():
    view = View("block", "LR", frozenset({"stage3_block2"}), frozenset({"stage1"}))
    query = view_query(view)
    assert query == {
        "level": "block",
        "direction": "LR",
        "expand": "stage3_block2",
        "fold": "stage1",
    }
    assert read_view(query) == (view, [])
    bad, problems = read_view(
        {"level": "atoms", "direction": "<b>", "expand": "stage2,../etc,stage3_block1"}
    )
    assert bad == View("stage", "TB", frozenset({"stage2", "stage3_block1"}))
    assert len(problems) == 3 and "level must be stage, block or layer" in problems[0]
    assert "<" not in " ".join(problems)
    huge, _ = read_view({"expand": "stage1," * 100_000})
    assert huge.expand == {"stage1"}


def test_dot_text_escapes_what_dot_would_read_as_syntax():
    assert str(dot_text("a\\")) == "a\\\\"
    assert str(dot_text("x\x00y\x1b")) == "x y "
    assert str(dot_text("\\N")) == "\\\\N"


@needs_dot
# (A NUL cannot reach a name: the spec refuses control characters; dot_text covers it.)
@pytest.mark.parametrize(
    "name", ["a\\", "<b>", "<x", 'say "hi"', "\\N\\G", "}; digraph evil {", "é ☃ 名前", "graph"]
)
def test_any_name_draws_and_shows_as_written(name):
    a = analyze(get_spec("cifar_resnet20").replace(name=name))
    svg = render(to_dot(a, "block")).decode()
    escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert f">{escaped}</text>" in svg.replace("&quot;", '"')


def test_bad_level_or_direction_is_refused():
    with pytest.raises(ValueError, match="level must be"):
        to_dot(get_spec("resnet18"), "atoms")
    with pytest.raises(ValueError, match="direction must be"):
        to_dot(get_spec("resnet18"), "stage", "RL")


def test_broken_spec_is_drawn_up_to_the_error():
    dot = to_dot(get_spec("seed_resnet50").replace(input_shape=(16, 16, 3)), "stage")
    assert "cannot build" in dot


def test_learn_pages_can_still_label_a_layer_graph():
    g = to_graph(get_spec("resnet18"), level="layer", direction="TB")
    g.attr(label="Basic", size="7,9")
    assert "stage1_block1_conv1" in g.source and "label=Basic" in g.source


@needs_dot
def test_svg_has_ids_for_nodes_and_open_boxes():
    svg = to_svg(get_spec("resnet152"), "layer").decode()
    assert 'id="node:stage3_block36_conv3"' in svg and 'id="box:stage3_block36"' in svg


@needs_dot
def test_png_is_bounded():
    dot = to_dot(get_spec("resnet152"), "layer")
    svg = render(dot)
    png = to_png(dot, svg, max_side=2000)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and max(width, height) <= 2000 + 2


def test_no_dot_gives_a_clear_message(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda _: None)
    with pytest.raises(DotNotInstalled, match="not installed"):
        to_svg(get_spec("resnet18"), "stage")
    assert re.search(r"digraph", to_dot(get_spec("resnet18")))
