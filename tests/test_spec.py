"""The spec: immutability, JSON round trips and validation messages that name the field."""

import dataclasses
import json

import pytest

from resnet_core import PRESETS, ArchitectureSpec, SpecError, Stage, get_spec
from resnet_core.spec import FORMAT_VERSION


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_round_trips_through_json(name):
    spec = get_spec(name)
    text = spec.to_json()
    data = json.loads(text)
    assert data["format_version"] == FORMAT_VERSION
    assert ArchitectureSpec.from_json(text) == spec


def test_spec_is_immutable():
    spec = get_spec("resnet18")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "other"
    edited = spec.with_stage(0, blocks=5)
    assert edited.stages[0].blocks == 5 and spec.stages[0].blocks == 2


def _data(**stage_changes):
    data = get_spec("resnet18").to_dict()
    data["stages"][2].update(stage_changes)
    return data


def test_negative_filters_message_names_the_field():
    with pytest.raises(SpecError) as exc:
        ArchitectureSpec.from_dict(_data(filters=-4))
    assert str(exc.value) == "stages[2].filters: must be at least 1, got -4"
    assert exc.value.problems == [("stages[2].filters", "must be at least 1, got -4")]


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"block": "resnext"}, "stages[2].block", "must be one of"),
        ({"blocks": 0}, "stages[2].blocks", "at least 1, got 0"),
        ({"stride": "2"}, "stages[2].stride", "got '2'"),
        ({"kernel_size": 99}, "stages[2].kernel_size", "at most 31"),
        ({"shortcut": "magic"}, "stages[2].shortcut", "projection"),
        ({"filters": True}, "stages[2].filters", "positive integer"),
        ({"blocks": 100000}, "stages[2].blocks", "at most 512"),
        ({"filtres": 3}, "stages[2].filtres", "unknown field"),
    ],
)
def test_stage_errors(changes, field, words):
    with pytest.raises(SpecError) as exc:
        ArchitectureSpec.from_dict(_data(**changes))
    path, message = exc.value.problems[0]
    assert path == field
    assert words in message



def test_the_blocks_of_all_stages_together_are_bounded():
    stage = _data(blocks=410)["stages"][2]
    data = {**_data(), "stages": [stage] * 5}  # 2,050 blocks, each stage within its 512
    with pytest.raises(SpecError, match="at most 2048 blocks in all, got 2050"):
        ArchitectureSpec.from_dict(data)
    ArchitectureSpec.from_dict({**data, "stages": [stage] * 4 + [{**stage, "blocks": 408}]})


@pytest.mark.parametrize("block, filters, changes, field", [
    ("basic", 64, {"expansion": 2}, "expansion"),
    ("inception", (8, 8, 8, 8, 8, 8), {"kernel_size": 5}, "kernel_size"),
    ("inception", (8, 8, 8, 8, 8, 8), {"shortcut": "conv"}, "shortcut"),
    ("vgg", 64, {"shortcut": "none"}, "shortcut"),
])
def test_a_setting_the_block_ignores_is_refused(block, filters, changes, field):
    spec = get_spec("seed_resnet34")
    plain = dict(block=block, filters=filters, kernel_size=3, shortcut="projection", expansion=4)
    with pytest.raises(SpecError) as exc:
        spec.with_stage(0, **{**plain, **changes})
    assert (f"stages[0].{field}", ) == exc.value.problems[0][:1]
    assert f"is not used by {block} blocks" in exc.value.problems[0][1]
    # At its default the setting is accepted: presets and old files stay valid.
    spec.with_stage(0, **plain)


def test_every_block_kind_explains_itself_and_names_settings_it_reads():
    from resnet_core.blocks import BLOCK_KINDS
    for kind in BLOCK_KINDS.values():
        assert 40 < len(kind.summary) < 200 and "seed" not in kind.summary
        stage_fields = {f.name for f in dataclasses.fields(Stage)} - {"block", "blocks"}
        assert "filters" in kind.fields and set(kind.fields) <= stage_fields
        assert ("expansion" in kind.fields) == kind.uses_expansion
        assert ("shortcut" in kind.fields) == kind.residual


def test_bottleneck_filters_must_divide_by_expansion():
    data = get_spec("resnet50").to_dict()
    data["stages"][0]["filters"] = 250
    with pytest.raises(SpecError, match=r"stages\[0\].filters: must be a multiple of expansion 4"):
        ArchitectureSpec.from_dict(data)


def test_inception_needs_six_widths():
    data = get_spec("googlenet").to_dict()
    data["stages"][1]["filters"] = [1, 2, 3]
    with pytest.raises(SpecError, match=r"stages\[1\].filters: inception blocks take six"):
        ArchitectureSpec.from_dict(data)


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda d: d.update(input_shape=[32, 32]), "input_shape"),
        (lambda d: d.update(input_shape=[0, 32, 3]), "input_shape[0]"),
        (lambda d: d["head"].update(classes=0), "head.classes"),
        (lambda d: d["head"].update(dropout=1.5), "head.dropout"),
        (lambda d: d["head"].update(pool="median"), "head.pool"),
        (lambda d: d["stem"][1].update(kind="conv3d"), "stem[1].kind"),
        (lambda d: d.update(stages=[]), "stages"),
        (lambda d: d.update(format_version=99), "format_version"),
        (lambda d: d.pop("head"), "head"),
        (lambda d: d["head"].pop("classes"), "head.classes"),
        (lambda d: d.update(name=""), "name"),
        (lambda d: d.update(stages="many"), "stages"),
    ],
)
def test_top_level_errors_name_the_field(mutate, field):
    data = get_spec("resnet18").to_dict()
    mutate(data)
    with pytest.raises(SpecError) as exc:
        ArchitectureSpec.from_dict(data)
    assert exc.value.problems[0][0] == field, exc.value


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", "null", '"spec"', "[" * 100000])
def test_garbage_json_is_a_spec_error(text):
    with pytest.raises(SpecError):
        ArchitectureSpec.from_json(text)


def test_constructor_validates_too():
    spec = get_spec("resnet18")
    with pytest.raises(SpecError, match=r"stages\[0\].stride"):
        dataclasses.replace(spec, stages=(Stage("basic", 2, 64, stride=0),))


def test_every_problem_of_a_spec_is_listed_at_once():
    data = get_spec("cifar_resnet20").to_dict()
    data["input_shape"] = [0, -3, 3]
    data["head"]["classes"] = 0
    data["stages"][0]["blocks"] = -1
    data["stages"][1]["foo"] = 1
    data["stem"][0]["bar"] = 2
    data["stages"][2].pop("block")
    with pytest.raises(SpecError) as exc:
        ArchitectureSpec.from_dict(data)
    assert dict(exc.value.problems) == {
        "stem[0].bar": dict(exc.value.problems)["stem[0].bar"],
        "stages[1].foo": dict(exc.value.problems)["stages[1].foo"],
        "stages[2].block": "is required",
        "input_shape[0]": "must be at least 1, got 0",
        "input_shape[1]": "must be at least 1, got -3",
        "stages[0].blocks": "must be at least 1, got -1",
        "head.classes": "must be at least 1, got 0",
    }
    assert "unknown field" in dict(exc.value.problems)["stages[1].foo"]


def test_a_stem_setting_the_layer_ignores_is_refused():
    data = get_spec("cifar_resnet20").to_dict()
    data["stem"].append({"kind": "relu", "use_bias": False})
    data["stem"].append({"kind": "maxpool", "filters": 8})
    with pytest.raises(SpecError) as exc:
        ArchitectureSpec.from_dict(data)
    problems = dict(exc.value.problems)
    n = len(data["stem"])
    assert "is not used by relu layers" in problems[f"stem[{n - 2}].use_bias"]
    assert "is not used by maxpool layers" in problems[f"stem[{n - 1}].filters"]


def test_no_seed_numbers_reach_a_reader():
    """Descriptions (they head the exported script) name the tutorials, not "seed 000"."""
    import re

    from resnet_core import PRESETS
    from resnet_core.sources import plain_sources

    for p in PRESETS.values():
        for text in (p.description, p.spec().description):
            assert not re.search(r"(?i)\bseed \d", text), (p.name, text)
    assert plain_sources("seed 004 residual_block(x, f, r)") == \
        "the TF-Slim residuals tutorial's residual_block(x, f, r)"
    assert plain_sources("Seed 000's ResNet50").startswith("The Keras ResNet-50 tutorial's")
