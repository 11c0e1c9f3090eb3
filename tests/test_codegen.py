"""The exported script builds the same model as ours, with Keras alone."""

import subprocess
import sys
from pathlib import Path

import pytest

from resnet_core import get_spec
from resnet_core.codegen import to_python

from .conftest import built_preset


def _exec(source):
    namespace = {"__name__": "exported"}
    exec(compile(source, "<exported>", "exec"), namespace)  # noqa: S102 - our own output
    return namespace["build_model"]()


@pytest.mark.parametrize("name", ["seed_resnet50", "seed_mnist_resnet", "cifar_resnet20",
                                  "seed_preact_resnet", "googlenet", "seed_cifar_plain"])
def test_exported_script_builds_the_same_model(name):
    source = to_python(get_spec(name))
    assert "resnet_core" not in source.split('"""', 2)[2]  # standalone
    exported, ours = _exec(source), built_preset(name)
    assert exported.count_params() == ours.count_params()
    assert [l.name for l in exported.layers] == [l.name for l in ours.layers]
    assert [tuple(l.output.shape) for l in exported.layers] == [
        tuple(l.output.shape) for l in ours.layers]


def test_exported_script_runs_as_a_program(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(to_python(get_spec("cifar_resnet20")))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "total parameters: 271,098" in out.stdout


def test_unbuildable_spec_is_refused():
    with pytest.raises(ValueError, match="cannot export"):
        to_python(get_spec("seed_resnet50").replace(input_shape=(16, 16, 3)))


def _layer_facts(model):
    """What must survive the export: each layer's class, weights, shape and the settings
    of the sources (BatchNorm's, initialisers, L2, groups)."""
    import keras

    keep = ("momentum", "epsilon", "scale", "groups", "kernel_initializer",
            "bias_initializer", "kernel_regularizer", "rate")
    facts = []
    for layer in model.layers:
        config = layer.get_config()
        picked = {k: keras.saving.serialize_keras_object(config[k]) if k.endswith(
            ("initializer", "regularizer")) else config[k] for k in keep if k in config}
        facts.append([layer.name, type(layer).__name__, layer.count_params(),
                      list(layer.output.shape[1:]), picked])
    return facts


@pytest.mark.slow
def test_exported_scripts_build_the_same_model_in_a_fresh_process(tmp_path):
    import json

    names = ["seed_preact_resnet", "seed_mnist_resnet", "seresnet50", "preact_resnet164"]
    for name in names:
        (tmp_path / f"{name}.py").write_text(to_python(get_spec(name)))
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import json, runpy, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent.parent)!r})\n"
        "from tests.test_codegen import _layer_facts\n"
        f"out = {{n: _layer_facts(runpy.run_path(n + '.py')['build_model']()) for n in {names!r}}}\n"
        "print(json.dumps(out))\n")
    done = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    exported = json.loads(done.stdout.strip().splitlines()[-1])
    for name in names:
        ours = json.loads(json.dumps(_layer_facts(built_preset(name))))
        assert exported[name] == ours, name


def test_exported_script_carries_the_sources_layer_settings():
    slim = to_python(get_spec("seed_preact_resnet"))
    assert "momentum=0.999, epsilon=0.001, scale=False" in slim
    mnist = to_python(get_spec("seed_mnist_resnet"))
    assert "'TruncatedNormal', 'config': {'stddev': 0.1}" in mnist
    assert "'Constant', 'config': {'value': 0.1}" in mnist
    vgg = to_python(get_spec("seed_vgg16_slim"))
    assert "'L2', 'config': {'l2': 0.0005}" in vgg and "Activation(activation='softmax'" not in vgg
    assert "groups=32" in to_python(get_spec("resnext50_32x4d"))
