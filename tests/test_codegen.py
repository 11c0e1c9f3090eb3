"""The exported script builds the same model as ours, with Keras alone."""

import subprocess
import sys

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
