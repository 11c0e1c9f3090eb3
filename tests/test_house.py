"""Issue 22, "a house without circles": one owner per concept, read from the source.

Checks that a concept written once stays written once (a shape's text, a limit), and that
docstrings name what exists.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = [
    *sorted((ROOT / "resnet_core").rglob("*.py")),
    *sorted((ROOT / "ui").rglob("*.py")),
    *sorted((ROOT / "pages").glob("*.py")),
    ROOT / "app.py",
]


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_a_shape_is_written_by_fmt_shape_alone():
    """``limits.fmt_shape`` is the one way a shape reads (``32×32×3``)."""
    joins = re.compile(r"""["']×["']\s*\.join""")
    found = [
        f"{_rel(p)}:{i}"
        for p in OURS
        if p.name != "limits.py"
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if joins.search(line)
    ]
    assert found == [], found


def test_every_relative_module_a_docstring_names_exists():
    """``:mod:`.summary``` in the engine's docstring outlived the module (run_results)."""
    named = re.compile(r":mod:`~?(\.+)([\w.]+)`")
    missing = []
    for p in sorted((ROOT / "resnet_core").rglob("*.py")):
        for dots, name in named.findall(p.read_text()):
            base = p.parent
            for _ in dots[1:]:
                base = base.parent
            target = base.joinpath(*name.split("."))
            if not (target.with_suffix(".py").exists() or (target / "__init__.py").exists()):
                missing.append(f"{_rel(p)}: {dots}{name}")
    assert missing == [], missing


def test_the_documents_docstring_shows_what_plain_sources_gives():
    from resnet_core import documents

    for text in ("Seed 000's ResNet50", "seed 004 residual_block(x)"):
        assert f'"{text}"' in documents.plain_sources.__doc__
        assert f'"{documents.plain_sources(text)}"' in " ".join(
            documents.plain_sources.__doc__.split()
        ), text


def _string_groups(path: Path):
    """Each tuple, list, set or dict-keys literal of two or more plain strings in ``path``."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
        if not isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)) or not items:
            continue
        words = [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]
        if len(words) == len(items) >= 2:
            yield node.lineno, set(words)


def test_head_pooling_names_have_one_home():
    """spec_parts.HEAD_POOL_KINDS: the builder, the words and the Compose page read it (a
    tuple of names, a dict in compare and a literal in network and on the page were four)."""
    from resnet_core.spec_parts import HEAD_POOLS

    copies = [
        f"{_rel(p)}:{line} {sorted(words)}"
        for p in OURS
        # op_table's POOLS are the vocabulary's modes ("avg", "max"), which a HeadPool's
        # ``reduce`` names: another concept with the same words.
        if p.name not in ("spec_parts.py", "op_table.py")
        for line, words in _string_groups(p)
        if words <= set(HEAD_POOLS)
    ]
    assert copies == [], copies


@pytest.mark.parametrize("pool", ["global_avg", "global_max", "avg", "max", "flatten"])
def test_every_head_pool_builds_and_reads_as_its_entry_says(pool):
    from resnet_core import get_spec
    from resnet_core.compare import head_words
    from resnet_core.spec_parts import HEAD_POOL_KINDS
    from resnet_core.trace import trace_spec

    spec = get_spec("cifar_resnet20")
    spec = replace(spec, head=replace(spec.head, pool=pool, pool_size=2))
    entry = HEAD_POOL_KINDS[pool]
    assert entry.words.format(window="2×2") in head_words(spec.head)
    names = [layer.name for layer in trace_spec(spec).layers]
    assert f"head_{entry.layer}" in names, names


def _has_colour(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.startswith("#")
        for n in ast.walk(node)
    )


def test_residual_and_plain_colours_have_one_home():
    """ui.charts.COLOURS (and its light shades): Inside, Gradient flow and Degradation
    drew residual in three different blues."""
    kinds = ({True, False}, {"residual", "plain"})
    copies = []
    for p in OURS:
        if _rel(p) == "ui/charts.py":
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if not isinstance(node, ast.Dict) or not all(
                isinstance(k, ast.Constant) for k in node.keys
            ):
                continue
            if {k.value for k in node.keys} in kinds and any(map(_has_colour, node.values)):
                copies.append(f"{_rel(p)}:{node.lineno}")
    assert copies == [], copies


def test_the_pages_draw_residual_and_plain_in_the_one_colour():
    from ui import charts, degradation, experiments

    assert experiments.COLORS == charts.COLOURS
    for residual in (True, False):
        assert degradation.COLOURS[residual][-1] == charts.COLOURS[residual]


def test_no_page_writes_a_widgets_upper_bound_as_a_number():
    """A number box's or slider's top comes from the core (settings.OPTIONS, a data
    source, a constant): a literal equal to the core's today (Runs' 1000 epochs) drifts
    from it tomorrow, which the AppTest check of the values cannot see. The Inside page
    is left to its own work (tests/test_train_settings.PAGES_NOT_COVERED)."""
    from tests.test_train_settings import PAGES_NOT_COVERED

    literal = []
    for p in [*sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").rglob("*.py"))]:
        if _rel(p) in PAGES_NOT_COVERED:
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("number_input", "slider")
            ):
                continue
            bounds = node.args[1:3]  # (label, min, max, ...); *CORE_RANGE stands for both
            starred = any(isinstance(a, ast.Starred) for a in bounds)
            top = bounds[1] if len(bounds) == 2 and not starred else None
            top = next((k.value for k in node.keywords if k.arg == "max_value"), top)
            if isinstance(top, ast.Constant) and isinstance(top.value, (int, float)):
                literal.append(f"{_rel(p)}:{node.lineno}")
    assert literal == [], literal


def test_the_app_starts_through_ui_serve_as_streamlit_run_would(monkeypatch):
    """`python -m ui.serve OPTIONS` is `streamlit run app.py OPTIONS`, the web server's
    head bound raised before the server starts (its first connection included)."""
    from uvicorn.protocols.http import h11_impl

    from ui import serve
    from ui.server_limits import MAX_REQUEST_HEAD

    seen = {}
    monkeypatch.setattr(h11_impl, "DEFAULT_MAX_INCOMPLETE_EVENT_SIZE", 16 * 1024)
    monkeypatch.setattr("streamlit.web.cli.main", lambda: seen.update(argv=list(sys.argv)))
    monkeypatch.setattr(sys, "argv", ["serve", "--server.port", "8612"])
    serve.main()
    assert seen["argv"] == ["streamlit", "run", str(ROOT / "app.py"), "--server.port", "8612"]
    assert h11_impl.DEFAULT_MAX_INCOMPLETE_EVENT_SIZE == MAX_REQUEST_HEAD


def test_a_presets_plain_twin_is_its_named_plain_preset():
    """cifar_resnet20 without its skips is cifar_plain20, by that name, on every page
    (Gradient flow said cifar_resnet20_plain where Race said cifar_plain20)."""
    from resnet_core.presets import RESIDUAL_TWINS, get_spec, plain_twin

    for residual, plain in RESIDUAL_TWINS.items():
        assert plain_twin(get_spec(residual)) == get_spec(plain)
    changed = get_spec("cifar_resnet20").replace(name="mine")
    assert plain_twin(changed).name == "mine_plain"
