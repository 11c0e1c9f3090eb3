"""Two networks compared from their block settings (resnet_core.compare), and the
command line that prints it."""

import json
import subprocess
import sys

import pytest

from resnet_core import PRESETS, analyze, get_spec
from resnet_core.blocks import shortcut_form
from resnet_core.compare import (
    FORM_WORDS,
    compare,
    count_forms,
    shortcut_forms,
    stage_inputs,
    to_text,
)
from resnet_core.spec import ArchitectureSpec, Head, Stage, StemLayer


def net(*stages: Stage, channels: int = 16) -> ArchitectureSpec:
    """A small network: a conv to ``channels``, then ``stages``."""
    return ArchitectureSpec(
        "t",
        (16, 16, 3),
        (StemLayer("conv", filters=channels, kernel_size=3),),
        tuple(stages),
        Head(classes=4),
    )


def unbuildable() -> ArchitectureSpec:
    """Stage 2's 4×4 max-pool on the 2×2 maps stage 1 leaves: the trace stops there."""
    return net(
        Stage("basic", 1, 16, stride=8),
        Stage("vgg", 1, 16, stride=4),
        Stage("basic", 1, 32, stride=2),
    )


def forms(spec) -> list[list[str]]:
    a = analyze(spec)
    inputs = stage_inputs(a)
    return [shortcut_forms(s, inputs.get(i)) for i, s in enumerate(spec.stages)]


def traced_forms(spec) -> list[str]:
    """Each block's skip as the tracer built it: the kinds of its shortcut layers."""
    blocks: dict[tuple, list] = {}
    for layer in analyze(spec).layers:
        if layer.stage_index is not None and layer.block_name:
            blocks.setdefault((layer.stage_index, layer.block_name), []).append(layer)
    out = []
    for layers in blocks.values():
        skip = {l.kind for l in layers if l.role == "shortcut"}
        if not any(l.kind == "add" for l in layers):
            out.append("none")
        elif not skip:
            out.append("identity")
        elif "pad_shortcut" in skip:
            out.append("zeropad")
        elif "maxpool" in skip:
            out.append("subsample")
        else:
            assert "conv" in skip, skip
            out.append("conv+bn" if "batchnorm" in skip else "conv")
    return out


@pytest.mark.parametrize(
    "kind, expected",
    [
        # stride 1, same width: every kind is the identity
        ("projection", ["identity", "identity"]),
        ("zeropad", ["identity", "identity"]),
    ],
)
def test_a_stage_that_keeps_its_shape_adds_the_input_itself(kind, expected):
    assert forms(net(Stage("basic", 2, 16, shortcut=kind))) == [expected]


@pytest.mark.parametrize(
    "kind, first, traced",
    [
        ("projection", "projection", "conv+bn"),
        ("conv", "conv", "conv"),
        ("zeropad", "zeropad", "zeropad"),
        ("subsample", "projection", "conv+bn"),  # the channels change: it must project
        ("none", "none", "none"),
    ],
)
def test_every_shortcut_kind_where_the_shape_changes(kind, first, traced):
    spec = net(Stage("basic", 2, 32, stride=2, shortcut=kind))
    rest = "none" if kind == "none" else "identity"
    assert forms(spec) == [[first, rest]]
    assert traced_forms(spec) == [traced, rest]


def test_subsample_keeps_every_other_pixel_where_the_channels_stay():
    """Keras's ResNetV2: the last block strides, its width unchanged: a max-pool skip."""
    spec = net(
        Stage("bottleneck", 3, 64, stride=2, shortcut="subsample", preact=True, stride_block="last")
    )
    assert forms(spec) == [["projection", "identity", "subsample"]]
    assert traced_forms(spec) == ["conv", "identity", "subsample"]  # preact: no BN after
    assert count_forms(forms(spec)[0]) == "1 identity, 1 projection, 1 subsample (max-pool)"


def test_the_forms_agree_with_the_traced_network_for_every_preset():
    """The one decision (blocks.shortcut_form) is what the blocks build, for every
    preset: no name is read to find a skip's kind."""
    for name in PRESETS:
        spec = get_spec(name)
        ours = [f for fs in forms(spec) for f in fs]
        traced = traced_forms(spec)
        # blocks without any layer traced cannot be checked; the presets all trace whole
        assert len(ours) == len(traced), name
        for f, t in zip(ours, traced):
            if t.startswith("conv"):
                assert f in ("projection", "conv"), (name, f, t)
                assert t == "conv" or f == "projection", (name, f, t)  # BN: a projection
            else:
                assert f == t, (name, f, t)


def test_shortcut_form_is_the_blocks_own_rule():
    assert shortcut_form("projection", 64, 64, 1) == "identity"
    assert shortcut_form("subsample", 64, 64, 2) == "subsample"
    assert shortcut_form("subsample", 64, 256, 1) == "projection"
    assert shortcut_form("zeropad", 16, 32, 2) == "zeropad"
    assert shortcut_form("none", 16, 32, 2) == "none"


def summary(c) -> dict:
    return {d.aspect: (d.a, d.b) for d in c.summary}


def compared(x: str, y: str):
    return compare(analyze(get_spec(x)), analyze(get_spec(y)))


def test_resnet50_and_resnext50_differ_in_groups_and_width_per_group():
    c = compared("resnet50", "resnext50_32x4d")
    s = summary(c)
    assert s["groups"] == ("every stage: 1", "every stage: 32")
    assert s["width per group"] == (
        "64, 128, 256, 512 (stage by stage)",
        "4, 8, 16, 32 (stage by stage)",
    )
    assert "pre-activation" not in s  # the same in both
    stage1 = next(p for p in c.parts if p.part == "stage1")
    assert stage1.differs == ("inner width", "groups", "width per group")
    assert stage1.describe(stage1.a) == "inner width 64; groups 1; width per group 64"
    assert stage1.describe(stage1.b) == "inner width 128; groups 32; width per group 4"
    assert not [p for p in c.parts if p.part.startswith("stage") and not p.differs]


def test_resnet50_and_v2_name_pre_activation_stride_and_skips_in_the_same_words():
    c = compared("resnet50", "resnet50v2")
    s = summary(c)
    assert s["pre-activation"] == ("every stage: no", "every stage: yes")
    assert s["skip connections"] == (
        "16 skip connections: 12 identity, 4 projection",
        "16 skip connections: 9 identity, 4 projection, 3 subsample (max-pool)",
    )
    assert s["stride placement"][1] == "stages 1–3: last block, its 3×3 conv; stage 4: no stride"
    assert "BN → ReLU" in s["head"][1] and "BN → ReLU" not in s["head"][0]
    assert "1×1 conv" not in s["skip connections"][1]  # the max-pool skip is no conv
    words = set(FORM_WORDS.values())
    for line in s["skip connections"]:
        named = {part.split(" ", 1)[1] for part in line.split(": ", 1)[1].split(", ")}
        assert named <= words


def test_deltas_are_b_minus_a_and_add_up_to_the_totals():
    for x, y in (
        ("resnet50", "resnet50v2"),
        ("resnet18", "googlenet"),
        ("cifar_resnet20", "cifar_resnet56"),
    ):
        c = compared(x, y)
        assert sum(p.delta_params for p in c.parts) == (
            c.b.totals.total_params - c.a.totals.total_params
        )
        assert sum(p.delta_macs for p in c.parts) == c.b.totals.macs - c.a.totals.macs
    c = compared("cifar_resnet20", "cifar_resnet56")
    assert summary(c)["blocks per stage"] == ("3–3–3", "9–9–9")


def test_a_stage_only_one_network_has_is_named_whole():
    c = compared("resnet18", "googlenet")
    stage9 = next(p for p in c.parts if p.part == "stage9")
    assert stage9.a is None and stage9.describe(stage9.a) == "(none)"
    assert "block inception" in stage9.describe(stage9.b)
    assert [p.part for p in c.parts][-1] == "head"


def test_identical_networks_differ_in_nothing_but_the_fixed_lines():
    c = compared("resnet50", "resnet50")
    assert [d.aspect for d in c.summary] == ["skip connections", "blocks per stage", "depth"]
    assert all(p.describe(p.a) == "same" and p.delta_params == 0 for p in c.parts)


def test_a_network_that_cannot_be_built_is_compared_as_far_as_it_goes():
    a = analyze(unbuildable())
    assert not a.ok
    c = compare(a, analyze(net(Stage("basic", 2, 16))))
    assert summary(c)["skip connections"][0] == "unknown: the network cannot be built"
    assert "cannot be built" in to_text(c)
    json.dumps(c.to_dict())  # still JSON


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "resnet_core", "compare", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_command_line_prints_the_same_comparison(tmp_path):
    out = run("resnet50", "resnext50_32x4d", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == compared("resnet50", "resnext50_32x4d").to_dict()
    spec_file = tmp_path / "v2.json"
    spec_file.write_text(get_spec("resnet50v2").to_json())
    out = run("resnet50", str(spec_file))
    assert out.returncode == 0, out.stderr
    assert out.stdout == to_text(compared("resnet50", "resnet50v2")) + "\n"
    assert "subsample (max-pool)" in out.stdout and "pre-activation" in out.stdout


def test_the_command_line_says_which_network_is_wrong(tmp_path):
    out = run("resnet50", "resnet5O")
    assert out.returncode == 2 and out.stderr.startswith("error: B: 'resnet5O' is neither")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    out = run(str(bad), "resnet50")
    assert out.returncode == 2 and out.stderr.startswith(f"error: A: {bad}: invalid spec")
    assert "Traceback" not in out.stderr
    broken = tmp_path / "broken.json"
    broken.write_text(unbuildable().to_json())
    out = run(str(broken), "resnet18")
    assert out.returncode == 1 and "error: A (t) cannot be built" in out.stderr
    assert "unknown: the network cannot be built" in out.stdout


def test_pre_activation_and_widths_come_from_the_block_library():
    from resnet_core.compare import stage_words

    assert stage_words(Stage("preact", 2, 64), 64)["pre-activation"] == "yes"  # seed 004
    assert stage_words(Stage("basic", 2, 64, preact=True), 64)["pre-activation"] == "yes"
    assert stage_words(Stage("relu_bn", 2, 64), 64)["pre-activation"] == "no"
    assert stage_words(Stage("bias_bottleneck", 2, 256), 64)["inner width"] == "64"
    se = stage_words(Stage("bottleneck", 2, 256, groups=8, width=64, se_ratio=16), 64)
    assert (se["groups"], se["width per group"], se["squeeze-excite"]) == ("8", "8", "ratio 16")
    inception = stage_words(Stage("inception", 1, (8, 8, 8, 8, 8, 8), stride=2), 64)
    assert inception["groups"] == "—" and inception["shortcuts"] == "none"
    assert inception["stride placement"] == "a max-pool before the blocks"
