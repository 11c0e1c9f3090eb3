"""Issue 22, "a house without circles": one owner per concept, read from the source.

Checks that a concept written once stays written once (a shape's text, a limit), and that
docstrings name what exists.
"""

from __future__ import annotations

import re
from pathlib import Path

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
