"""One run's training state is declared in one place (resnet_core/training/trainee.py):
the loop sets no attribute the dataclass does not name."""

import ast
from dataclasses import fields
from pathlib import Path

import pytest

from resnet_core import get_spec
from resnet_core.data import DataChoice
from resnet_core.training import RunStore
from resnet_core.training.trainee import Trainee

TRAINING = Path(__file__).resolve().parents[1] / "resnet_core" / "training"


def _set_on(names: set[str], tree: ast.AST) -> set[str]:
    """The attributes assigned on any of ``names`` (``t.step = ...``, ``t.a, t.b = ...``,
    ``t.step += 1``) anywhere in ``tree``."""
    found = set()
    for node in ast.walk(tree):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AugAssign | ast.AnnAssign)
            else []
        )
        for target in targets:
            for part in ast.walk(target):
                if (
                    isinstance(part, ast.Attribute)
                    and isinstance(part.ctx, ast.Store)
                    and isinstance(part.value, ast.Name)
                    and part.value.id in names
                ):
                    found.add(part.attr)
    return found


def test_the_loop_sets_only_attributes_the_trainee_declares():
    declared = {f.name for f in fields(Trainee)}
    set_by_loop = set()
    for f in TRAINING.glob("*.py"):
        set_by_loop |= _set_on({"t", "trainee"}, ast.parse(f.read_text(encoding="utf-8")))
    # what the loop prepares, trains and ends: the finder sees them
    assert {"x_train", "steps_per_epoch", "tensorboard", "step", "done"} <= set_by_loop
    assert set_by_loop <= declared, f"declare these in Trainee: {set_by_loop - declared}"
    module = ast.parse((TRAINING / "trainee.py").read_text(encoding="utf-8"))
    [cls] = [n for n in module.body if isinstance(n, ast.ClassDef) and n.name == "Trainee"]
    own = _set_on({"self"}, cls)
    assert {"run", "dir", "done"} <= own
    assert own <= declared, f"declare these in Trainee: {own - declared}"


def test_a_trainee_starts_from_its_stored_run_and_refuses_an_undeclared_attribute(tmp_path):
    store = RunStore(tmp_path / "home")
    run_id = store.create(
        "cifar_resnet20",
        get_spec("cifar_resnet20").to_dict(),
        DataChoice().to_dict(),
        {"epochs": 3},
    )
    t = Trainee(store, run_id)
    assert t.settings.epochs == 3 and t.spec.name == "cifar_resnet20" and t.dir.is_dir()
    assert (t.step, t.done, t.buffer, t.model) == (0, False, [], None)
    with pytest.raises(AttributeError):
        t.steps_per_epcoh = 7  # a misspelt name is refused, not silently added
