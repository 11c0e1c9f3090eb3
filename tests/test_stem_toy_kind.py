"""A new stem layer kind is its ``StemKind`` entry, nothing else: a toy kind, registered
for one test, is checked by the spec, read from a spec file, and shows in the tracer, the
Keras builder, the exported script and Compose's stem table."""

import dataclasses
import json

import pytest

from resnet_core import ArchitectureSpec, Head, SpecError, Stage, StemLayer, analyze
from resnet_core.share import encode_spec
from resnet_core.stem_kinds import STEM_KINDS, StemKind
from tests.apptest import app, plain


def toy_apply(ops, x, layer, i):
    """A toy: a 1×1 conv without bias to ``filters`` channels, strided, then ReLU."""
    x = ops.conv(x, layer.filters, 1, layer.stride, "valid", False, name=f"toy{i}")
    return ops.activation(x, "relu", name=f"toy{i}_relu")


def toy_check(problems, path, layer):
    if isinstance(layer.stride, int) and layer.stride > 2:
        problems.append((f"{path}.stride", f"toy layers stride 1 or 2, got {layer.stride}"))


TOY = StemKind(
    "toy",
    "Toystem summary: a 1×1 conv and ReLU.",
    toy_apply,
    fields=("filters", "stride"),
    check=toy_check,
)


def toy_net(*stem):
    return ArchitectureSpec(
        name="toy_stem_net",
        input_shape=(8, 8, 3),
        stem=stem,
        stages=(Stage("basic", 1, 8, 1),),
        head=Head(classes=4),
    )


@pytest.fixture
def toy_spec(monkeypatch):
    """The toy in the registry for one test (monkeypatch takes it out again), and a
    network whose stem opens with it."""
    monkeypatch.setitem(STEM_KINDS, "toy", TOY)
    return toy_net(StemLayer("toy", filters=8, stride=2), StemLayer("batchnorm"))


def test_the_spec_refuses_a_stem_kind_outside_the_registry():
    with pytest.raises(SpecError, match=r"stem\[0\]\.kind: must be one of .*; got 'toy'"):
        toy_net(StemLayer("toy", filters=8))


def test_the_spec_checks_a_toy_stem_kind_by_its_entry(toy_spec):
    assert toy_spec.stem[0].kind == "toy"  # accepted
    with pytest.raises(SpecError) as e:
        toy_net(StemLayer("toy", kernel_size=3, stride=4))
    assert e.value.problems == [
        ("stem[0].filters", "is required by toy layers (a positive integer)"),
        ("stem[0].kernel_size", "is not used by toy layers; leave it empty (default None), got 3"),
        ("stem[0].stride", "toy layers stride 1 or 2, got 4"),  # its own check
    ]


def test_a_spec_file_with_a_toy_stem_kind_reads_back(toy_spec):
    assert ArchitectureSpec.from_json(toy_spec.to_json()) == toy_spec
    v1 = {
        "format_version": 1,
        "name": "toy_stem_net",
        "input_shape": [8, 8, 3],
        "stem": [{"kind": "toy", "filters": 8, "stride": 2}, {"kind": "batchnorm"}],
        "stages": [{"block": "basic", "blocks": 1, "filters": 8}],
        "head": {"classes": 4},
    }
    assert ArchitectureSpec.from_dict(v1) == toy_spec  # format 1: the toy reads no size
    v1["stem"][0]["size"] = 3
    with pytest.raises(SpecError, match=r"stem\[0\]\.size: is not used by toy layers"):
        ArchitectureSpec.from_dict(v1)


def test_tracer_builder_and_export_run_a_toy_stem_kind(toy_spec):
    from resnet_core.build import build_model
    from resnet_core.codegen import to_python
    from tests.test_codegen import _exec, assert_same_model

    a = analyze(toy_spec)
    assert a.ok, a.error
    stem = {l.name: l for l in a.layers if l.name.startswith("stem_")}
    assert list(stem) == ["stem_toy1", "stem_toy1_relu", "stem_bn2"]
    assert stem["stem_toy1"].output_shape == (4, 4, 8)  # strided by 2
    assert stem["stem_toy1"].params == 3 * 8  # 1×1, 3 → 8 channels, no bias

    model = build_model(toy_spec)
    assert model.count_params() == a.totals.total_params
    assert model.get_layer("stem_toy1").output.shape[1:] == (4, 4, 8)

    source = to_python(toy_spec)
    assert "name='stem_toy1'" in source and "resnet_core" not in source
    assert_same_model(_exec(source), model)


def test_compose_offers_and_explains_a_toy_stem_kind(toy_spec):
    at = app("pages/compose.py", spec=encode_spec(toy_spec))
    assert not at.error, [e.value for e in at.error]
    labels = [
        {c.get("label"): c for c in json.loads(d.proto.columns).values()} for d in at.dataframe
    ]
    at_stem = next(i for i, columns in enumerate(labels) if "pool" in columns)
    editor, columns = at.dataframe[at_stem], labels[at_stem]
    assert list(editor.value["kind"]) == ["toy", "batchnorm"]
    # The toy's cells, from its fields: the others empty.
    assert editor.value["filters"][0] == "8" and editor.value["stride"][0] == "2"
    assert editor.value[["kernel_size", "pool_size", "pad"]].iloc[0].isna().all()
    kind = columns["kind"]
    assert "toy" in json.dumps(kind)  # among the choices
    assert "**toy**: " + TOY.summary in kind["help"]  # its one line, beside the others'
    assert "**zeropad**: " in kind["help"]
    # Each column's help names the kinds that read it, from the registry.
    assert columns["filters"]["help"] == "conv, toy only"
    assert columns["stride"]["help"] == "conv, maxpool, avgpool, toy"
    assert columns["kernel"]["help"] == "conv only: k×k"
    captions = [plain(c.value) for c in at.caption]
    assert any("(batchnorm, relu and elu use none of them)" in c for c in captions)


def test_compare_names_a_toy_stem_kind_by_its_entry(toy_spec, monkeypatch):
    from resnet_core.compare import compare, stem_words

    # No words of its own: the kind's name; its own words once it gives them.
    assert stem_words(toy_spec.stem) == "toy → BN"
    assert compare(analyze(toy_spec), analyze(toy_spec))  # the whole comparison runs
    monkeypatch.setitem(
        STEM_KINDS, "toy", dataclasses.replace(TOY, words=lambda l: f"toy {l.filters}")
    )
    assert stem_words(toy_spec.stem) == "toy 8 → BN"
