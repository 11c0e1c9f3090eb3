"""Any name the spec accepts trains: the Keras model gets a safe name derived from it,
and the run, the tables and the charts keep the name as the person wrote it."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resnet_core import ArchitectureSpec, Head, SpecError, Stage, StemLayer
from resnet_core.limits import MAX_NAME_CHARS
from resnet_core.ops import MAX_MODEL_NAME, SCOPE_NAME, model_name
from resnet_core.spec_validation import validate

# Names people write (the two first), and the awkward ones.
HOSTILE = [
    "(copy) r20",
    "Réseau 20",
    "ResNet 🔥 fast",
    "20 layers",
    "_private",
    "-dash",
    "..",
    "名前",
    "a/b\\c",
    'say "hi" <b>&amp;</b>',
    "x" * MAX_NAME_CHARS,
    "🔥🔥",
]


def tiny(name: str) -> ArchitectureSpec:
    """A network small enough to build and train a step in a second."""
    return ArchitectureSpec(
        name=name,
        input_shape=(8, 8, 1),
        stem=(StemLayer("conv", filters=4, kernel_size=3),),
        stages=(Stage(kind="basic", num_blocks=1, filters=4),),
        head=Head(classes=3),
    )


# A name the spec accepts: one line of printable, valid Unicode (not only spaces).
accepted_names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
    min_size=1,
    max_size=MAX_NAME_CHARS,
).filter(lambda s: _accepted(s))


def _accepted(name: str) -> bool:
    try:
        return not validate(tiny(name))
    except SpecError:
        return False


@given(accepted_names)
@settings(max_examples=300, deadline=None)
def test_every_accepted_name_gives_a_valid_root_scope_name(name):
    safe = model_name(name)
    assert SCOPE_NAME.fullmatch(safe), (name, safe)
    assert len(safe) <= MAX_MODEL_NAME
    assert model_name(name) == safe  # deterministic


def test_model_names_keep_what_can_be_kept():
    assert model_name("Réseau 20") == "Reseau_20"
    assert model_name("(copy) r20") == "copy_r20"
    assert model_name("cifar_resnet20") == "cifar_resnet20"  # a preset's name unchanged
    assert model_name("🔥🔥") == "model"


def test_the_exported_script_names_the_model_safely_and_keeps_the_name_in_its_text():
    from resnet_core.codegen import to_python

    source = to_python(tiny("Réseau 20"))
    assert "name='Reseau_20'" in source and "Réseau 20" in source


@pytest.mark.slow
@pytest.mark.parametrize("name", HOSTILE)
def test_a_network_of_any_name_builds_and_trains_a_step(name):
    from resnet_core.build import build_model

    spec = tiny(name)
    assert not validate(spec)
    model = build_model(spec)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    loss = model.train_on_batch(np.zeros((2, 8, 8, 1), "float32"), np.array([0, 1]))
    assert np.isfinite(loss)


@pytest.mark.slow
@given(accepted_names)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_property_any_accepted_name_trains_a_step(name):
    from resnet_core.build import build_model

    model = build_model(tiny(name))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert np.isfinite(model.train_on_batch(np.zeros((2, 8, 8, 1), "float32"), np.array([0, 1])))


@pytest.mark.slow
def test_a_run_of_a_network_named_in_french_trains_and_keeps_its_name(tmp_path):
    from resnet_core.data import DataChoice
    from resnet_core.training import RunStore
    from resnet_core.training.engine import execute
    from resnet_core.training.submit import plan_run, submit_run

    store = RunStore(tmp_path / "home")
    spec = replace(tiny("Réseau 20"), input_shape=(8, 8, 1), head=Head(classes=10))
    run_id = submit_run(
        store,
        plan_run(spec, DataChoice.from_dict({"source": "digits", "subset": 100, "fit": "adapt"})),
        {"steps": 1, "batch_size": 8},
    )
    summary = execute(store, run_id)
    assert summary["status"] == "completed", store.get(run_id).error
    assert store.get(run_id).name == "Réseau 20" == summary["name"]
