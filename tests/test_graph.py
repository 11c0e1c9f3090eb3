"""The graph: three levels, shapes on edges, skip connections drawn apart."""

import pytest

from resnet_core import analyze, get_spec
from resnet_core.graph import DotNotInstalled, dot_available, to_dot, to_svg


@pytest.mark.parametrize("level", ["stage", "block", "layer"])
def test_levels_have_shapes_on_edges_and_dashed_skips(level):
    dot = to_dot(get_spec("resnet18"), level)
    assert "56×56×64" in dot
    assert "style=dashed" in dot  # at least one skip edge, even at stage level
    assert dot.count("->") > 3


def test_layer_level_has_one_node_per_layer_and_every_skip():
    a = analyze(get_spec("cifar_resnet20"))
    dot = to_dot(a, "layer")
    for layer in a.layers:
        assert f"\t{layer.name} [" in dot
    skips = sum(s for l in a.layers for s in l.skip_inputs)
    # 9 blocks, one skip edge each, plus one more into each of the 2 zero-pad shortcuts
    assert dot.count("style=dashed") == skips == 9 + 2
    assert to_dot(get_spec("cifar_plain20"), "layer").count("style=dashed") == 0


def test_block_level_groups_layers():
    dot = to_dot(get_spec("resnet50"), "block")
    assert "stage3_block6" in dot and "stage3_block6_conv1" not in dot
    assert "rankdir=LR" in to_dot(get_spec("resnet50"), "block", "LR")


def test_broken_spec_is_drawn_up_to_the_error():
    dot = to_dot(get_spec("seed_resnet50").replace(input_shape=(16, 16, 3)), "stage")
    assert "cannot build" in dot


def test_bad_level_is_refused():
    with pytest.raises(ValueError, match="level must be"):
        to_dot(get_spec("resnet18"), "atoms")


def test_svg_or_a_clear_message():
    if dot_available():
        svg = to_svg(get_spec("resnet152"), "layer")
        assert svg.lstrip().startswith(b"<?xml") and b"stage3_block36_conv3" in svg
    else:
        with pytest.raises(DotNotInstalled, match="not installed"):
            to_svg(get_spec("resnet18"), "stage")
