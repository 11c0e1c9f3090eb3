"""The block gallery's entries, computed in the core (the Block gallery page only draws)."""

import ast

from resnet_core import gallery
from resnet_core.blocks import BLOCK_KINDS


def test_a_basic_block_measured_alone_matches_the_count_by_hand():
    e = gallery.gallery_entry("basic", (16, 16, 64), 64, 1)
    # Two 3×3 convs 64→64 with biases, two BatchNorms (4 × 64 each), no projection.
    assert e["params"] == 2 * (3 * 3 * 64 * 64 + 64) + 2 * 4 * 64
    assert e["macs"] == 2 * 16 * 16 * 3 * 3 * 64 * 64
    assert (e["output"], e["skips"], e["layers"]) == ("16×16×64", 1, 7)
    assert "digraph basic_block" in e["dot"]
    ast.parse(e["script"])  # a whole script, the head included


def test_every_kind_has_an_entry_and_a_bad_width_is_said_not_raised():
    for name in BLOCK_KINDS:
        e = gallery.gallery_entry(name, (16, 16, 64), 64, 2)
        assert e["output"] == "8×8×64", name
    bad = gallery.gallery_entry("bottleneck", (16, 16, 64), 6, 1)
    assert bad == {"error": bad["error"]} and "multiple of expansion 4" in bad["error"]


def test_the_gallery_offers_inputs_the_spec_takes():
    lo, hi = gallery.SIDE
    for side in (lo, hi):
        spec = gallery.block_spec(BLOCK_KINDS["basic"], (side, side, 3), gallery.WIDTH[0], 1)
        assert spec.input_shape == (side, side, 3)
