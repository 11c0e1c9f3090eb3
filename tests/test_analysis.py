"""The analysis: stage roll-up, receptive fields, memory, and partial results on failure."""

import pytest

from resnet_core import ArchitectureSpec, analyze, get_spec, summary_dict
from resnet_core.spec import Head, Stage, StemLayer
from resnet_core.trace import TraceError, Tracer


def test_stage_rollup_adds_up_to_the_totals():
    a = analyze(get_spec("resnet50"))
    stages = a.stages()
    assert [s.stage for s in stages] == ["stem", "stage1", "stage2", "stage3", "stage4", "head"]
    assert sum(s.params for s in stages) == a.totals.total_params
    assert sum(s.macs for s in stages) == a.totals.macs
    assert [s.num_blocks for s in stages[1:5]] == [3, 4, 6, 3]
    assert stages[4].output_shape == (7, 7, 2048)


def test_receptive_fields_agree_with_published_values():
    # Araujo, Norris & Sim, "Computing Receptive Fields of CNNs" (Distill 2019):
    # ResNet-50 v1 → 483 pixels; VGG-16 (through pool5) → 212 pixels.
    assert analyze(get_spec("resnet50")).stages()[4].receptive_field == 483
    vgg = {l.name: l for l in analyze(get_spec("vgg16")).layers}
    assert vgg["stage5_pool"].rf == 212


def test_memory_estimate_scales_with_batch():
    a = analyze(get_spec("cifar_resnet20"))
    m1, m8 = a.memory(1), a.memory(8)
    params = a.totals.total_params
    assert m1.weights == 4 * params
    assert m1.optimizer == 2 * m1.gradients == 8 * a.totals.trainable_params
    assert m8.activations == 8 * m1.activations
    # input 32×32×3 alone is 3,072 values per image, and the net keeps far more.
    assert m1.activations > 4 * 32 * 32 * 3 * 10


def test_failure_keeps_the_layers_up_to_it_and_names_where():
    spec = get_spec("seed_resnet50").replace(input_shape=(16, 16, 3))
    a = analyze(spec)
    assert not a.ok
    assert a.layers[-1].name == "stage4_block3_out_relu"
    assert a.layers[-1].output_shape == (1, 1, 2048)
    assert a.error.startswith("head, layer head_pool:")
    assert "1×1" in a.error


def test_stride_that_shrinks_to_nothing_names_stage_block_and_shapes():
    spec = ArchitectureSpec(
        name="tiny",
        input_shape=(4, 4, 3),
        stem=(),
        stages=(
            Stage("basic", 1, 8, 2),
            Stage("bottleneck", 1, 16, 1),
            Stage("basic", 1, 8, 4, kernel_size=3, shortcut="none"),
            Stage("vgg", 1, 8, 1, kernel_size=1),
        ),
        head=Head(classes=2),
    )
    a = analyze(spec)
    assert a.ok  # 'same' padding never shrinks to nothing
    bad = spec.with_stage(1, kind="bias_bottleneck", stride=1)
    bad = bad.replace(stem=(StemLayer("conv", filters=4, kernel_size=5, padding="valid"),))
    a = analyze(bad)
    assert not a.ok
    assert "stem, layer stem_conv1" in a.error and "4×4×3" in a.error


def test_mismatched_add_is_explained():
    # No spec reaches a mismatched add (every shortcut matches its block's shape), so the
    # tracer's rule is driven directly, as a wrongly written block variant would.
    tracer = Tracer()
    x = tracer.input((8, 8, 16))
    with tracer.scope("stage1", "block1"):
        y = tracer.conv(x, 32, 3, 2, name="conv1")
        with pytest.raises(TraceError) as err:
            tracer.add(y, x)
    message = str(err.value)
    assert "cannot add the main path 4×4×32 and the skip 8×8×16" in message
    assert "stage1 block1" in message and "projection shortcut" in message
    with tracer.scope("stage1", "block2"):  # the same channels, a stride apart
        with pytest.raises(TraceError, match="main path 4×4×16 and the skip 8×8×16"):
            tracer.add(tracer.conv(x, 16, 3, 2, name="conv1"), x)


def test_summary_dict_has_the_cli_fields():
    d = summary_dict(analyze(get_spec("resnet18")))
    for key in (
        "name",
        "input_shape",
        "output_shape",
        "total_params",
        "trainable_params",
        "non_trainable_params",
        "macs",
        "layers",
    ):
        assert key in d
    assert {"name", "kind", "stage", "block_name", "output_shape", "params", "macs"} <= set(
        d["layers"][1]
    )


@pytest.mark.parametrize("name", ["resnet152", "googlenet", "seed_mnist_resnet"])
def test_layer_names_are_unique_and_hierarchical(name):
    layers = analyze(get_spec(name)).layers
    names = [l.name for l in layers]
    assert len(names) == len(set(names))
    for l in layers[1:]:
        assert l.name.startswith(l.stage + "_" + (l.block_name + "_" if l.block_name else ""))
