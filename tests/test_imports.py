"""The import graph of resnet_core, ui, pages and app.py: no circles, and no import from a
lower floor up (so the core never imports ui, a page or the app, and ui never a page).

Imports are read from the source (``ast``), late ones inside functions and those under
``if TYPE_CHECKING:`` included: a circle closed by a late import is still a circle to the
reader. A module may import its own floor and those below it; each floor is listed
bottom up in ``LAYERS``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("resnet_core", "ui", "pages")
SCRIPTS = ("app.py",)  # modules outside the packages, by file

# Bottom up. A name covers the module and, with ".*", everything under the package.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "leaves: naming a fault, running a child process",
        ("resnet_core.faults", "resnet_core.child"),
    ),
    (
        "limits and value display",
        ("resnet_core.limits", "resnet_core.documents", "resnet_core.glossary"),
    ),
    (
        "the op vocabulary, and the blocks and stem layers written against it",
        (
            "resnet_core.op_table",
            "resnet_core.ops",
            "resnet_core.blocks",
            "resnet_core.stem_kinds",
            "resnet_core.layers",
        ),
    ),
    # The spec: its parts, their validation, its file formats, then the whole (which
    # validates itself and reads and writes through the file format) and named specs.
    ("the spec's parts and the words their fields take", ("resnet_core.spec_parts",)),
    ("spec validation", ("resnet_core.spec_validation",)),
    ("the spec file, format 1 read", ("resnet_core.spec_format_v1", "resnet_core.spec_format")),
    ("the spec and named specs", ("resnet_core.spec", "resnet_core.presets")),
    (
        "the network walk and its interpreters",
        (
            "resnet_core.network",
            "resnet_core.trace",
            "resnet_core.keras_internals",
            "resnet_core.build",
            "resnet_core.pretrained",
        ),
    ),
    (
        "analysis, graph, code export, sharing",
        (
            "resnet_core",
            "resnet_core.analysis",
            "resnet_core.graph_model",
            "resnet_core.graph",
            "resnet_core.codegen",
            "resnet_core.share",
            "resnet_core.compare",
            "resnet_core.boosting",
            "resnet_core.gallery",
        ),
    ),
    ("data", ("resnet_core.data", "resnet_core.data.*")),
    # Named one by one: a new module under training/ is given its floor here.
    (
        "training's parts: devices and strategy, settings, the store, the model and its "
        "optimizer, checkpoints, steps and chunks, one run's state, its records",
        (
            "resnet_core.devices",
            "resnet_core.training",
            "resnet_core.training.settings",
            "resnet_core.training.estimate",
            "resnet_core.training.checkpoints",
            "resnet_core.training.store",
            "resnet_core.training.predictions",
            "resnet_core.training.forward_metrics",
            "resnet_core.training.run_results",
            "resnet_core.training.tensorboard_log",
            "resnet_core.training.trainee",
            "resnet_core.training.strategy",
            "resnet_core.training.schedules",
            "resnet_core.training.optimizers",
            "resnet_core.training.training_model",
            "resnet_core.training.steps",
            "resnet_core.training.chunks",
            "resnet_core.training.distributed",
        ),
    ),
    (
        "the training loop, what queues and runs it, and what reads its runs",
        (
            "resnet_core.training.engine",
            "resnet_core.training.submit",
            "resnet_core.training.queue",
            "resnet_core.training.worker",
            "resnet_core.gradients",
            "resnet_core.verdict",
            "resnet_core.experiments",
            "resnet_core.experiments.*",
        ),
    ),
    ("the command line", ("resnet_core.cli", "resnet_core.__main__", "resnet_core.launch")),
    ("Streamlit pieces", ("ui", "ui.*")),
    ("the pages: each draws one screen", ("pages.*",)),
    ("the app: the frame that runs the pages", ("app",)),
]


def modules(root: Path = ROOT, packages=PACKAGES, scripts=SCRIPTS) -> dict[str, Path]:
    """Every module of ``packages`` under ``root`` and each of ``scripts`` there, by dotted
    name (``app.py`` is ``app``)."""
    found = {s.removesuffix(".py"): root / s for s in scripts if (root / s).exists()}
    for package in packages:
        for f in sorted((root / package).rglob("*.py")):
            parts = f.relative_to(root).with_suffix("").parts
            found[".".join(parts).removesuffix(".__init__")] = f
    return found


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Which of ``mods`` each module imports, anywhere in its source."""
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        package = m if f.name == "__init__.py" else m.rpartition(".")[0]
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"), str(f))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                # `from . import op_table` names a module; `from .spec import X` a member.
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names
                ]
            else:
                continue
            for t in targets:
                while t and t not in mods:  # `import resnet_core.data.sources as s`, ...
                    t = t.rpartition(".")[0]
                if t and t != m:
                    edges[m].add(t)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Each circle once, as the path that closes it (depth-first, in name order)."""
    found, state = [], {}
    for start in sorted(edges):
        if start in state:
            continue
        stack = [(start, iter(sorted(edges[start])))]
        path, state[start] = [start], "open"
        while stack:
            v, rest = stack[-1]
            w = next(rest, None)
            if w is None:
                stack.pop()
                path.pop()
                state[v] = "done"
            elif state.get(w) == "open":
                found.append(path[path.index(w) :] + [w])
            elif w not in state:
                state[w] = "open"
                path.append(w)
                stack.append((w, iter(sorted(edges[w]))))
    return found


def layer_of(module: str) -> int | None:
    for i, (_, names) in enumerate(LAYERS):
        for name in names:
            if module == name or (
                name.endswith(".*") and module.startswith(name.removesuffix("*"))
            ):
                return i
    return None


def test_the_import_graph_has_no_circle():
    found = cycles(imports(modules()))
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_every_module_has_a_floor_and_imports_none_above_it():
    edges = imports(modules())
    unplaced = sorted(m for m in edges if layer_of(m) is None)
    assert not unplaced, f"give these modules a floor in LAYERS: {unplaced}"
    upward = [
        f"{m} ({LAYERS[layer_of(m)][0]}) imports {t} ({LAYERS[layer_of(t)][0]})"
        for m, targets in sorted(edges.items())
        for t in sorted(targets)
        if layer_of(t) > layer_of(m)
    ]
    assert not upward, "imports from a lower floor up:\n" + "\n".join(upward)


def test_the_pages_and_the_app_are_in_the_graph():
    """Issue 22: the house rules cover what Streamlit runs too, not only the packages."""
    mods = modules()
    assert "app" in mods and "pages.compose" in mods and "pages.inside" in mods
    edges = imports(mods)
    assert "ui.router" in edges["app"] and "ui.router" in edges["pages.compose"]


def test_a_core_module_importing_a_page_or_ui_and_a_circle_through_the_app_are_found(
    tmp_path,
):
    """The finder on a made-up tree laid out as ours: the core importing ui or a page is
    an import from a lower floor up; ui and app.py importing each other is a circle."""
    for d in ("resnet_core", "ui", "pages"):
        (tmp_path / d).mkdir()
    (tmp_path / "resnet_core" / "__init__.py").write_text("")
    (tmp_path / "resnet_core" / "limits.py").write_text("from ui import state\nimport pages.x\n")
    (tmp_path / "ui" / "__init__.py").write_text("")
    (tmp_path / "ui" / "state.py").write_text("def f():\n    import app\n")
    (tmp_path / "pages" / "x.py").write_text("from ui import state\n")
    (tmp_path / "app.py").write_text("from ui import state\n")
    edges = imports(modules(tmp_path))
    assert edges["resnet_core.limits"] == {"ui.state", "pages.x"}
    assert [layer_of(t) > layer_of("resnet_core.limits") for t in edges["resnet_core.limits"]] == [
        True,
        True,
    ]
    assert layer_of("app") > layer_of("pages.x") > layer_of("ui.state")
    assert cycles(edges) == [["app", "ui.state", "app"]]


def test_the_reader_sees_late_relative_and_type_only_imports(tmp_path):
    """The finder itself, on a made-up package: a circle closed by an import inside a
    function, one through ``from . import x`` and one under TYPE_CHECKING are found."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import thing\n")
    (pkg / "b.py").write_text("def f():\n    from pkg import a\n")
    (pkg / "sub" / "__init__.py").write_text("from .. import c\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .sub import x\n"
    )
    (pkg / "sub" / "x.py").write_text("import os\n")
    edges = imports(modules(tmp_path, ("pkg",)))
    assert edges["pkg.b"] == {"pkg.a"} and edges["pkg.sub"] == {"pkg.c"}
    assert edges["pkg.c"] == {"pkg.sub.x"} and edges["pkg.sub.x"] == set()
    assert cycles(edges) == [["pkg.a", "pkg.b", "pkg.a"]]
    (pkg / "sub" / "x.py").write_text("from .. import c\n")
    assert ["pkg.c", "pkg.sub.x", "pkg.c"] in cycles(imports(modules(tmp_path, ("pkg",))))
