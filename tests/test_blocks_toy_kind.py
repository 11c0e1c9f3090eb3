"""A new block kind is a function and its ``BlockKind`` entry, nothing else: a toy kind,
registered for one test, shows in Compose, the Block gallery, the tracer, the Keras
builder and the exported script."""

import json

import pytest

from resnet_core import ArchitectureSpec, Head, SpecError, Stage, StemLayer, analyze
from resnet_core.blocks import BLOCK_KINDS, BlockKind, shortcut
from resnet_core.share import encode_spec
from tests.apptest import app, plain


def toy_block(
    ops,
    x,
    filters: int,
    kernel_size: int = 3,
    stride: int = 1,
    shortcut_kind: str = "projection",
    use_bias: bool = True,
    groups: int = 1,
):
    """A toy: one k×k conv and BN, plus the skip, then ReLU."""
    skip = shortcut(ops, x, filters, stride, shortcut_kind, use_bias, with_bn=True)
    y = ops.conv(x, filters, kernel_size, stride, use_bias=use_bias, name="toyconv", groups=groups)
    y = ops.add(ops.batchnorm(y, name="toybn"), skip)
    return ops.activation(y, "relu", name="out_relu")


TOY = BlockKind(
    "toy",
    "Toy k×k conv (BN), plus the input",
    "a test's own",
    toy_block,
    summary="Toyblock summary: one conv, one BatchNorm, the skip.",
    fields=("filters", "stride", "kernel_size", "shortcut", "stride_block", "groups"),
    library_call=lambda f, s: f"build.toy_block(x, {f}, stride={s})",
)


@pytest.fixture
def toy_spec(monkeypatch):
    """The toy in the registry for one test (monkeypatch takes it out again), and a
    network with a stage of it (the spec refuses the kind outside the registry)."""
    monkeypatch.setitem(BLOCK_KINDS, "toy", TOY)
    return ArchitectureSpec(
        name="toy_net",
        input_shape=(8, 8, 3),
        stem=(StemLayer("conv", filters=8, kernel_size=3),),
        stages=(Stage("basic", 1, 8, 1), Stage("toy", 2, 16, 2)),
        head=Head(classes=4),
    )


def test_the_spec_refuses_a_kind_outside_the_registry():
    with pytest.raises(SpecError, match="got 'toy'"):
        ArchitectureSpec(
            name="n",
            input_shape=(8, 8, 3),
            stem=(),
            stages=(Stage("toy", 1, 8, 1),),
            head=Head(classes=4),
        )


def test_tracer_builder_and_export_run_a_toy_kind(toy_spec):
    from resnet_core.build import build_model
    from resnet_core.codegen import to_python
    from tests.test_codegen import _exec, assert_same_model

    a = analyze(toy_spec)
    assert a.ok, a.error
    toy = [l for l in a.layers if l.name.startswith("stage2_block")]
    names = {l.name for l in toy}
    assert {"stage2_block1_toyconv", "stage2_block2_toybn", "stage2_block1_shortcut_conv"} <= names
    assert toy[-1].output_shape == (4, 4, 16)  # the first toy block strides
    # conv 3×3 8 → 16 with bias, BN, and the 1×1 projection (with BN) of block 1
    block1 = sum(l.params for l in toy if l.name.startswith("stage2_block1_"))
    assert block1 == (9 * 8 * 16 + 16) + 4 * 16 + (8 * 16 + 16) + 4 * 16

    model = build_model(toy_spec)
    assert model.count_params() == a.totals.total_params
    assert model.get_layer("stage2_block2_toyconv").output.shape[1:] == (4, 4, 16)

    source = to_python(toy_spec)
    assert "name='stage2_block1_toyconv'" in source and "resnet_core" not in source
    assert_same_model(_exec(source), model)


def test_compose_offers_and_explains_a_toy_kind(toy_spec):
    at = app("pages/compose.py", spec=encode_spec(toy_spec))
    assert not at.error, [e.value for e in at.error]
    editor = next(d for d in at.dataframe if "pre-act" in d.proto.columns)
    assert list(editor.value["kind"]) == ["basic", "toy"]
    columns = json.loads(editor.proto.columns)
    kind_column = next(c for c in columns.values() if c.get("label") == "block")
    assert "toy" in json.dumps(kind_column)  # among the block choices
    groups = next(c for c in columns.values() if c.get("label") == "groups")
    assert "bottleneck, toy:" in groups["help"]  # who reads the setting, from the registry
    texts = [plain(m.value) for m in at.markdown] + [plain(c.value) for c in at.caption]
    assert any("toy" in t and TOY.summary in t for t in texts)  # under the table
    assert any("**toy**: " + TOY.summary in t for t in texts)  # the list of every kind


def test_block_gallery_shows_a_toy_kind(toy_spec):  # the fixture registers the toy
    at = app("pages/blocks.py")
    table = at.dataframe[0].value.set_index("kind")
    assert table.loc["toy"]["output"] == "16×16×64"
    assert table.loc["toy"]["skip connections"] == 1
    assert any(TOY.summary in m.value for m in at.markdown)
    codes = [c.value for c in at.code]
    assert any("build.toy_block(x, 64, stride=1)" in c for c in codes)
    assert any("def build_model" in c and "toyconv" in c for c in codes)
    # The toy reads no expansion: the width's help names only the kinds that do.
    assert "toy" not in at.number_input(key="gallery_width").help
    assert at.number_input(key="gallery_width").help.startswith("bottleneck, ")
