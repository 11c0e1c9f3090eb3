"""The Compose form's tables and messages: cells a kind ignores, the form's words."""

import pandas as pd
import pytest

from resnet_core import PRESETS, SpecError, get_spec
from resnet_core.spec import StemLayer
from ui import spec_form


def _form(spec, stages=None, stem=None, **changes):
    values = dict(
        name=spec.name,
        input_shape=list(spec.input_shape),
        classes=spec.head.classes,
        conv_bias=spec.conv_bias,
        stem=spec_form.stem_frame(spec) if stem is None else stem,
        stages=spec_form.stage_frame(spec) if stages is None else stages,
        head={"hidden": ", ".join(map(str, spec.head.hidden))},
    )
    return spec_form.spec_from_form(spec, **{**values, **changes})


@pytest.mark.parametrize("name", list(PRESETS))
def test_the_tables_offer_only_what_a_kind_reads_and_read_back_the_same_network(name):
    spec = get_spec(name)
    stages = spec_form.stage_frame(spec)
    for row, stage in zip(stages.to_dict("records"), spec.stages):
        if stage.kind in ("basic", "relu_bn", "preact", "inception", "vgg"):
            assert pd.isna(row["expansion"])
        if stage.kind in ("inception", "vgg"):
            assert pd.isna(row["shortcut"])
        if stage.kind == "inception":
            assert pd.isna(row["kernel_size"])
    for row in spec_form.stem_frame(spec).to_dict("records"):
        if row["kind"] in ("relu", "elu", "batchnorm"):
            assert all(pd.isna(row[c]) for c in spec_form.STEM_COLUMNS if c != "kind")
    assert _form(spec) == spec


def test_a_value_typed_into_a_cell_the_kind_ignores_is_refused_in_the_forms_words():
    spec = get_spec("cifar_resnet20")
    stages = spec_form.stage_frame(spec)
    stages.loc[1, "expansion"] = "2"
    stem = pd.concat(
        [spec_form.stem_frame(spec), pd.DataFrame([{"kind": "relu", "use_bias": False}])],
        ignore_index=True,
    )
    with pytest.raises(SpecError) as exc:
        _form(spec, stages=stages, stem=stem, input_shape=[0, 32, 3], classes=0)
    texts = spec_form.group_problems(exc.value)
    assert texts["stages"] == [
        "Stage 2, expansion is not used by basic blocks; leave it empty (default 4), got 2"
    ]
    assert texts["stem"] == [
        f"Stem row {len(stem)}, bias is not used by relu layers; leave "
        "it empty (default True), got False"
    ]
    assert texts["input"] == ["Height must be at least 1, got 0"]
    assert texts["head"] == ["Classes must be at least 1, got 0"]


@pytest.mark.parametrize(
    "path, words",
    [
        ("input_shape[2]", "Channels"),
        ("head.classes", "Classes"),
        ("head.pool", "Pooling"),
        ("stages[0].kernel_size", "Stage 1, kernel"),
        ("stem[3]", "Stem row 4"),
        ("stages[1].kind", "Stage 2, block"),
        ("stages[0].num_blocks", "Stage 1, blocks"),
        ("stem[0].kind", "Stem row 1, kind"),
        ("head.hidden[1]", "Hidden dense layers, number 2"),
        ("name", "Name"),
    ],
)
def test_paths_become_the_forms_labels(path, words):
    assert spec_form.label(path) == words


def test_an_edited_preset_is_renamed_once_and_a_chosen_name_stays():
    base = get_spec("cifar_resnet20")
    edited = base.replace(head=base.head.__class__(classes=7))
    described = spec_form.describe_edit(edited, "cifar_resnet20")
    assert described.name == "cifar_resnet20_edited"
    assert described.description == "Edited from the preset cifar_resnet20."
    assert spec_form.describe_edit(described, "cifar_resnet20") is described
    mine = edited.replace(name="mine", description="my words")
    assert spec_form.describe_edit(mine, "cifar_resnet20") is mine
    assert spec_form.describe_edit(base, "cifar_resnet20") is base  # not edited
    assert spec_form.describe_edit(edited, "") is edited  # from no preset


def test_a_row_switched_to_another_kind_drops_what_only_the_old_kind_used():
    spec = get_spec("seed_resnet50")  # bottleneck stages, a conv in the stem
    base_stages, base_stem = spec_form.stage_frame(spec), spec_form.stem_frame(spec)
    stages, stem = base_stages.copy(), base_stem.copy()
    stages.loc[0, "kind"] = "basic"
    stages.loc[0, "expansion"] = "2"  # typed for the bottleneck
    stem.loc[1, "kind"] = "relu"  # was the 7×7 conv
    stages, switched = spec_form.clear_unused(stages, base_stages, spec_form.stage_columns_read)
    stem, stem_switched = spec_form.clear_unused(stem, base_stem, spec_form.stem_columns_read)
    assert switched and stem_switched
    assert stages.loc[0, "expansion"] is None and stages.loc[0, "filters"] == "256"
    assert all(stem.loc[1, c] is None for c in spec_form.STEM_COLUMNS if c != "kind")
    built = _form(spec, stages=stages, stem=stem)
    assert built.stages[0].kind == "basic" and built.stem[1].kind == "relu"
    # Unchanged rows keep every value, even one the kind ignores: the spec refuses it.
    same, switched = spec_form.clear_unused(base_stages, base_stages, spec_form.stage_columns_read)
    assert not switched and same.equals(base_stages)


def test_an_added_row_switched_from_the_editors_default_kind_drops_its_defaults():
    """A row added to the stem starts as a conv with the conv columns' defaults; switched
    to maxpool it keeps only what a maxpool reads, as a drawn row would."""
    spec = get_spec("resnet18")
    base = spec_form.stem_frame(spec)
    added = {
        **{c: None for c in spec_form.STEM_COLUMNS},
        "kind": "maxpool",
        "filters": 64,
        "kernel_size": 3,
        "stride": 2,
        "padding": "same",
        "use_bias": False,
        "pool_size": 2,
    }
    stem = pd.concat([base, pd.DataFrame([added])], ignore_index=True)
    cleared, switched = spec_form.clear_unused(stem, base, spec_form.stem_columns_read, "conv")
    assert switched
    row = cleared.iloc[-1]
    assert row["filters"] is None and row["kernel_size"] is None and row["use_bias"] is None
    assert (row["pool_size"], row["stride"], row["padding"]) == (2, 2, "same")
    built = _form(spec, stem=cleared)
    assert built.stem[-1] == StemLayer("maxpool", pool_size=2, stride=2, padding="same")
    # Still a conv: nothing to drop.
    conv = pd.concat([base, pd.DataFrame([{**added, "kind": "conv"}])], ignore_index=True)
    assert not spec_form.clear_unused(conv, base, spec_form.stem_columns_read, "conv")[1]


def _problems(spec, **cells):
    """The form's messages for ``cells`` typed into the first stage / stem row."""
    stages, stem = spec_form.stage_frame(spec), spec_form.stem_frame(spec)
    head = {"hidden": cells.pop("hidden", "")}
    for key, text in cells.items():
        table, column = key.split("__")
        (stages if table == "stage" else stem).loc[0, column] = text
    with pytest.raises(SpecError) as exc:
        _form(spec, stages=stages, stem=stem, head=head)
    return [t for texts in spec_form.group_problems(exc.value).values() for t in texts]


@pytest.mark.parametrize(
    "cells, expected",
    [
        # Text in a number cell is refused as text, quoted, never read as another number.
        ({"stage__kernel_size": "3x3"}, ["Stage 1, kernel: '3x3' is not a whole number"]),
        ({"stage__num_blocks": "two"}, ["Stage 1, blocks: 'two' is not a whole number"]),
        ({"stage__stride": "1.5"}, ["Stage 1, stride: '1.5' is not a whole number"]),
        ({"stage__filters": "16, x"}, ["Stage 1, filters: 'x' is not a whole number"]),
        ({"stem__kernel_size": "3x3"}, ["Stem row 1, kernel: '3x3' is not a whole number"]),
        (
            {"hidden": "lots"},
            [
                "Hidden dense layers: 'lots' is not a whole number; write the "
                "sizes separated by commas, e.g. 4096, 4096"
            ],
        ),
        # A value under a cell's minimum is refused by the spec, in the form's words.
        ({"stage__stride": "0"}, ["Stage 1, stride must be at least 1, got 0"]),
        ({"stage__num_blocks": "0"}, ["Stage 1, blocks must be at least 1, got 0"]),
        ({"stem__stride": "0"}, ["Stem row 1, stride must be at least 1, got 0"]),
        (
            {"stage__kernel_size": "99999999999999999999999999999999"},
            ["Stage 1, kernel: '99999999999999999999999999999999' is not a whole number"],
        ),
    ],
)
def test_every_refused_cell_gets_its_own_sentence(cells, expected):
    assert _problems(get_spec("cifar_resnet20"), **cells) == expected


def test_number_cells_read_whole_numbers_as_typed():
    spec = get_spec("cifar_resnet20")
    stages = spec_form.stage_frame(spec)
    assert stages.loc[0, "num_blocks"] == "3"  # text cells: shown as the number
    stages.loc[0, "num_blocks"], stages.loc[0, "stride"] = " 4 ", "+2"
    built = _form(spec, stages=stages, head={"hidden": "64; 32"})
    assert (built.stages[0].num_blocks, built.stages[0].stride) == (4, 2)
    assert built.head.hidden == (64, 32)
    assert spec_form.read_whole("") is None and spec_form.read_whole(None) is None
