"""The spec: immutability, JSON round trips and validation messages that name the field."""

import dataclasses
import json
from pathlib import Path

import pytest

from resnet_core import PRESETS, ArchitectureSpec, SpecError, Stage, StemLayer, get_spec
from resnet_core.spec_format import FORMAT_VERSION


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
    edited = spec.with_stage(0, num_blocks=5)
    assert edited.stages[0].num_blocks == 5 and spec.stages[0].num_blocks == 2


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
        ({"kind": "resnext"}, "stages[2].kind", "must be one of"),
        ({"num_blocks": 0}, "stages[2].num_blocks", "at least 1, got 0"),
        ({"stride": "2"}, "stages[2].stride", "got '2'"),
        ({"kernel_size": 99}, "stages[2].kernel_size", "at most 31"),
        ({"shortcut": "magic"}, "stages[2].shortcut", "projection"),
        ({"filters": True}, "stages[2].filters", "positive integer"),
        ({"num_blocks": 100000}, "stages[2].num_blocks", "at most 512"),
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
    stage = _data(num_blocks=410)["stages"][2]
    data = {**_data(), "stages": [stage] * 5}  # 2,050 blocks, each stage within its 512
    with pytest.raises(SpecError, match="at most 2048 blocks in all, got 2050"):
        ArchitectureSpec.from_dict(data)
    ArchitectureSpec.from_dict({**data, "stages": [stage] * 4 + [{**stage, "num_blocks": 408}]})


@pytest.mark.parametrize(
    "block, filters, changes, field",
    [
        ("basic", 64, {"expansion": 2}, "expansion"),
        ("inception", (8, 8, 8, 8, 8, 8), {"kernel_size": 5}, "kernel_size"),
        ("inception", (8, 8, 8, 8, 8, 8), {"shortcut": "conv"}, "shortcut"),
        ("vgg", 64, {"shortcut": "none"}, "shortcut"),
    ],
)
def test_a_setting_the_block_ignores_is_refused(block, filters, changes, field):
    spec = get_spec("seed_resnet34")
    plain = dict(kind=block, filters=filters, kernel_size=3, shortcut="projection", expansion=4)
    with pytest.raises(SpecError) as exc:
        spec.with_stage(0, **{**plain, **changes})
    assert (f"stages[0].{field}",) == exc.value.problems[0][:1]
    assert f"is not used by {block} blocks" in exc.value.problems[0][1]
    # At its default the setting is accepted: presets and old files stay valid.
    spec.with_stage(0, **plain)


def test_every_block_kind_explains_itself_and_names_settings_it_reads():
    from resnet_core.blocks import BLOCK_KINDS

    for kind in BLOCK_KINDS.values():
        assert 40 < len(kind.summary) < 200 and "seed" not in kind.summary
        stage_fields = {f.name for f in dataclasses.fields(Stage)} - {"kind", "num_blocks"}
        assert "filters" in kind.fields and set(kind.fields) <= stage_fields
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
    data["stages"][0]["num_blocks"] = -1
    data["stages"][1]["foo"] = 1
    data["stem"][0]["bar"] = 2
    data["stages"][2].pop("kind")
    with pytest.raises(SpecError) as exc:
        ArchitectureSpec.from_dict(data)
    assert dict(exc.value.problems) == {
        "stem[0].bar": dict(exc.value.problems)["stem[0].bar"],
        "stages[1].foo": dict(exc.value.problems)["stages[1].foo"],
        "stages[2].kind": "is required",
        "input_shape[0]": "must be at least 1, got 0",
        "input_shape[1]": "must be at least 1, got -3",
        "stages[0].num_blocks": "must be at least 1, got -1",
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
    from resnet_core.documents import plain_sources

    for p in PRESETS.values():
        for text in (p.description, p.spec().description):
            assert not re.search(r"(?i)\bseed \d", text), (p.name, text)
    assert (
        plain_sources("seed 004 residual_block(x, f, r)")
        == "the TF-Slim residuals tutorial's residual_block(x, f, r)"
    )
    assert plain_sources("Seed 000's ResNet50").startswith("The Keras ResNet-50 tutorial's")


DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name", ["resnet18", "seed_resnet50", "googlenet"])
def test_a_format_1_file_still_opens_as_the_same_network(name):
    # Written by format 1 (stages' "block"/"blocks", stem layers' "size"): ResNet-18's
    # stem pads, convolves and max-pools; GoogLeNet's stages take six widths.
    text = (DATA / f"spec_v1_{name}.json").read_text()
    assert json.loads(text)["format_version"] == 1 and '"blocks"' in text
    assert ArchitectureSpec.from_json(text) == get_spec(name)


def test_a_file_in_the_current_format_opens():
    # Checked in: a change of the format without a new version and a reader fails here.
    text = (DATA / f"spec_v{FORMAT_VERSION}_resnet18.json").read_text()
    assert json.loads(text)["format_version"] == FORMAT_VERSION
    assert ArchitectureSpec.from_json(text) == get_spec("resnet18")
    assert json.loads(get_spec("resnet18").to_json()) == json.loads(text)


@pytest.mark.parametrize(
    "mutate, problem",
    [
        (
            lambda d: d["stages"][0].update(blocks=0),
            ("stages[0].blocks", "must be at least 1, got 0"),
        ),
        (lambda d: d["stages"][1].update(block="resnext"), ("stages[1].block", "must be one of")),
        (lambda d: d["stages"][1].pop("block"), ("stages[1].block", "is required")),
        (lambda d: d["stem"][1].update(size=99), ("stem[1].size", "must be at most 31, got 99")),
        (lambda d: d["stem"][0].update(size=-1), ("stem[0].size", "must be at least 0, got -1")),
        (
            lambda d: d["stem"][2].update(size=3),
            ("stem[2].size", "is not used by batchnorm layers"),
        ),
        (
            lambda d: d["stages"][0].update(depth=3),
            ("stages[0].depth", "unknown field; expected one of block, blocks, filters"),
        ),
        # Format 2's name beside format 1's: which one counts is not guessed.
        (
            lambda d: d["stages"][0].update(kind="bottleneck"),
            ("stages[0].kind", "is format 2's name; this file is format 1, where it is 'block'"),
        ),
        (
            lambda d: d["stem"][1].update(kernel_size=5),
            (
                "stem[1].kernel_size",
                "is format 2's name; this file is format 1, where it is 'size'",
            ),
        ),
    ],
)
def test_a_format_1_files_problems_name_its_own_fields(mutate, problem):
    data = json.loads((DATA / "spec_v1_resnet18.json").read_text())
    mutate(data)
    with pytest.raises(SpecError) as exc:
        ArchitectureSpec.from_dict(data)
    path, message = exc.value.problems[0]
    assert (path, message[: len(problem[1])]) == problem, exc.value.problems


def test_a_file_from_a_newer_version_is_refused_in_words():
    data = {**get_spec("resnet18").to_dict(), "format_version": FORMAT_VERSION + 1}
    with pytest.raises(SpecError, match="written by a newer version of ResNet Explorer"):
        ArchitectureSpec.from_dict(data)


def test_stem_sizes_mean_one_thing_each():
    spec = get_spec("resnet18")  # zeropad, conv, batchnorm, relu, zeropad, maxpool
    assert [(l.kernel_size, l.pool_size, l.pad) for l in spec.stem] == [
        (None, None, 3),
        (7, None, None),
        (None, None, None),
        (None, None, None),
        (None, None, 1),
        (None, 3, None),
    ]
    with pytest.raises(SpecError) as exc:  # a pool's window on a conv: refused, by name
        spec.replace(stem=(dataclasses.replace(spec.stem[1], pool_size=3), *spec.stem[1:]))
    assert exc.value.problems[0][0] == "stem[0].pool_size"
    assert "is not used by conv layers" in exc.value.problems[0][1]
    with pytest.raises(SpecError) as exc:  # an empty cell in Compose: required, by name
        spec.replace(stem=(StemLayer("conv", filters=8), StemLayer("zeropad")))
    assert exc.value.problems == [
        ("stem[0].kernel_size", "is required by conv layers (a positive integer)"),
        ("stem[1].pad", "is required by zeropad layers (an integer >= 0)"),
    ]


def test_the_readmes_example_spec_opens():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    example = readme.split("## The spec file")[1].split("```json")[1].split("```")[0]
    spec = ArchitectureSpec.from_json(example)
    assert spec.stem[0].kernel_size == 3 and spec.stages[1].num_blocks == 2
    assert json.loads(example)["format_version"] == FORMAT_VERSION


def test_a_format_1_file_without_defaults_keeps_format_1s_defaults():
    # Format 1's size defaulted to 1 for every kind; format 2's sizes have no default.
    spec = ArchitectureSpec.from_dict(
        {
            "format_version": 1,
            "name": "terse",
            "input_shape": [8, 8, 1],
            "stem": [
                {"kind": "conv", "filters": 4},
                {"kind": "avgpool"},
                {"kind": "zeropad"},
                {"kind": "relu"},
            ],
            "stages": [{"block": "basic", "blocks": 1, "filters": 4}],
            "head": {"classes": 2},
        }
    )
    assert [(l.kernel_size, l.pool_size, l.pad) for l in spec.stem] == [
        (1, None, None),
        (None, 1, None),
        (None, None, 1),
        (None, None, None),
    ]
    assert spec.stages[0] == Stage("basic", 1, 4)


def test_a_format_1_file_without_its_version_is_told_by_its_names():
    """Format 1 let a file leave ``format_version`` out; format 2's files always write it."""
    data = json.loads((DATA / "spec_v1_resnet18.json").read_text())
    del data["format_version"]
    assert ArchitectureSpec.from_dict(data) == get_spec("resnet18")
    current = get_spec("resnet18").to_dict()
    del current["format_version"]
    assert ArchitectureSpec.from_dict(current) == get_spec("resnet18")
