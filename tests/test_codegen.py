"""The exported script builds the same model as ours, with Keras alone."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resnet_core import ArchitectureSpec, Head, SpecError, Stage, StemLayer, get_spec
from resnet_core.build import build_model
from resnet_core.codegen import to_python

from .conftest import built_preset


def _exec(source):
    namespace = {"__name__": "exported"}
    exec(compile(source, "<exported>", "exec"), namespace)  # noqa: S102 - our own output
    return namespace["build_model"]()


@pytest.mark.parametrize(
    "name",
    [
        "seed_resnet50",
        "seed_mnist_resnet",
        "cifar_resnet20",
        "seed_preact_resnet",
        "googlenet",
        "seed_cifar_plain",
    ],
)
def test_exported_script_builds_the_same_model(name):
    source = to_python(get_spec(name))
    assert "resnet_core" not in source.split('"""', 2)[2]  # standalone
    assert_same_model(_exec(source), built_preset(name))


def assert_same_model(exported, ours):
    """Same layers, shapes, and wiring: with our weights, the same outputs (a skip wired
    to the wrong tensor of the same shape changes no count or shape, only the values)."""
    assert exported.count_params() == ours.count_params()
    assert [l.name for l in exported.layers] == [l.name for l in ours.layers]
    assert [tuple(l.output.shape) for l in exported.layers] == [
        tuple(l.output.shape) for l in ours.layers
    ]
    exported.set_weights(ours.get_weights())
    x = np.random.default_rng(0).normal(size=(1, *ours.input_shape[1:])).astype("float32")
    np.testing.assert_allclose(np.asarray(exported(x)), np.asarray(ours(x)), rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_exported_script_runs_as_a_program(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(to_python(get_spec("cifar_resnet20")))
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert "total parameters: 271,098" in out.stdout


def test_unbuildable_spec_is_refused():
    with pytest.raises(ValueError, match="cannot export"):
        to_python(get_spec("seed_resnet50").replace(input_shape=(16, 16, 3)))


def _layer_facts(model):
    """What must survive the export: each layer's class, weights, shape and the settings
    of the sources (BatchNorm's, initialisers, L2, groups)."""
    import keras

    keep = (
        "momentum",
        "epsilon",
        "scale",
        "groups",
        "kernel_initializer",
        "bias_initializer",
        "kernel_regularizer",
        "rate",
    )
    facts = []
    for layer in model.layers:
        config = layer.get_config()
        picked = {
            k: keras.saving.serialize_keras_object(config[k])
            if k.endswith(("initializer", "regularizer"))
            else config[k]
            for k in keep
            if k in config
        }
        facts.append(
            [
                layer.name,
                type(layer).__name__,
                layer.count_params(),
                list(layer.output.shape[1:]),
                picked,
            ]
        )
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
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, str(probe)], capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
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
    assert "'L2', 'config': {'l2': 0.00025}" in vgg and "Activation(activation='softmax'" not in vgg
    assert "groups=32" in to_python(get_spec("resnext50_32x4d"))


# -------------------------------------------------------------- hostile names and text
TINY = ArchitectureSpec(
    name="tiny",
    input_shape=(8, 8, 1),
    stem=(StemLayer("conv", filters=4, kernel_size=3), StemLayer("relu")),
    stages=(Stage("basic", 1, 4),),
    head=Head(classes=3),
)
# Pieces that broke out of string literals and comments, or made scripts that do not parse.
NASTY = [
    '"""',
    "'''",
    '"',
    "\\",
    "\\N{BULLET}",
    "\\x00",
    "\x00",
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\x85",
    "\ufeff",
    "\ud800",
    "\udfff",
    "#",
    "{",
    "}",
    "\t",
    "\nimport os\n",
    '"""; __import__("os").system("echo pwned"); """',
    "🙂",
    "é",
    "\x1b[31m",
]
hostile_text = st.lists(
    st.one_of(st.sampled_from(NASTY), st.text(st.characters(blacklist_categories=()), max_size=6)),
    max_size=8,
).map("".join)


def _top_level_kinds(source):
    return [type(node).__name__ for node in ast.parse(source).body]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text, hostile_text)
def test_any_accepted_name_and_description_export_a_script_that_is_data_not_code(name, doc):
    try:
        spec = TINY.replace(name=name, description=doc)
    except SpecError:
        return  # refused with a message naming the field (test_spec checks the words)
    source = to_python(spec)
    tree = ast.parse(source)  # parses, whatever the text held
    assert ast.get_docstring(tree, clean=False).startswith(f"{name}: {doc or name}\n")
    # The text stayed inside its string: the module is a docstring, imports and one
    # function, and the function's docstring is the name too.
    assert _top_level_kinds(source) == ["Expr", "Import", "ImportFrom", "FunctionDef", "If"]
    function = tree.body[3]
    assert ast.get_docstring(function, clean=False) == f"Build {name} as a Keras functional model."
    assert [type(n).__name__ for n in function.body[1:-1]] == ["Assign"] * (len(function.body) - 2)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text)
def test_a_hostile_name_builds_the_same_model(name):
    try:
        spec = TINY.replace(name=name, description=name[::-1])
    except SpecError:
        return
    exported = _exec(to_python(spec))
    assert exported.count_params() == build_model(spec).count_params()
    assert exported.name == build_model(spec).name


def test_docstring_literal_reads_back_exactly():
    from resnet_core.codegen import docstring_literal

    for text in NASTY + ["".join(NASTY), 'ends with a quote"', "ends with a backslash\\"]:
        assert ast.literal_eval(docstring_literal(text)) == text
