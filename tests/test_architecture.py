"""The import rules of the layers (STYLE.md, "Import and resource rules"), read from the
source with `ast`, so a violation fails here before it becomes a tangle.

- Qt (PySide6, shiboken6) and matplotlib's GUI backends only under redline.ui;
  pyplot nowhere (it keeps global figures; the app embeds canvases).
- redline.store imports nothing of ours outside redline.store, except the leaf
  foundations below it: redline.errors (every layer raises from it) and
  redline.progress (the audit chain's verification and the search index report progress
  and stop on cancel).
- redline.analytics opens no database: no sqlalchemy, no redline.store.
- Nothing outside redline.ui imports redline.ui, except redline.cli, and only inside a
  function body (lazily, so the headless commands never load Qt).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import redline

PACKAGE_DIR = Path(redline.__file__).parent
# What redline.store may import of ours besides itself.
STORE_FOUNDATIONS = ("redline.errors", "redline.progress")


@dataclass(frozen=True)
class Import:
    """One imported module, as an absolute dotted name."""

    module: str
    line: int
    in_function: bool


def module_name(path: Path, package_dir: Path = PACKAGE_DIR) -> str:
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def collect_imports(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    """Every import in `source` (at any depth), relative ones resolved against `module`.

    `from a import b` yields both `a` and `a.b` (b may be a module), so a rule on
    `matplotlib.backends` catches `from matplotlib import backends` too.
    """
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend(Import(a.name, child.lineno, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base_parts = package.split(".")
                    base_parts = base_parts[: len(base_parts) - (child.level - 1)]
                    base = ".".join(base_parts + ([child.module] if child.module else []))
                else:
                    base = child.module or ""
                found.append(Import(base, child.lineno, in_function))
                found.extend(
                    Import(f"{base}.{a.name}", child.lineno, in_function)
                    for a in child.names
                    if a.name != "*"
                )
            visit(child, inner)

    visit(ast.parse(source), in_function=False)
    return found


def is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(module: str, imports: list[Import]) -> list[str]:
    """The broken rules, one readable line each."""
    problems: list[str] = []

    def report(imp: Import, why: str) -> None:
        problems.append(f"{module}:{imp.line} imports {imp.module}: {why}")

    in_ui = is_within(module, "redline.ui")
    for imp in imports:
        name = imp.module
        if not in_ui and any(
            is_within(name, qt) for qt in ("PySide6", "shiboken6", "matplotlib.backends")
        ):
            report(imp, "Qt and matplotlib's GUI backends belong in redline.ui")
        if is_within(name, "matplotlib.pyplot"):
            report(imp, "pyplot keeps global state; draw on a Figure/FigureCanvas")
        if (
            is_within(module, "redline.store")
            and is_within(name, "redline")
            and not is_within(name, "redline.store")
            and name != "redline"
            and not any(is_within(name, leaf) for leaf in STORE_FOUNDATIONS)
        ):
            report(imp, "redline.store imports nothing of ours outside redline.store")
        if is_within(module, "redline.analytics") and (
            is_within(name, "sqlalchemy") or is_within(name, "redline.store")
        ):
            report(imp, "analytics takes arrays, never a database")
        if not in_ui and is_within(name, "redline.ui"):
            if module == "redline.cli" and imp.in_function:
                continue
            report(imp, "only redline.cli may import redline.ui, and only inside a function")
    return problems


def all_modules() -> list[Path]:
    return sorted(PACKAGE_DIR.rglob("*.py"))


def test_the_package_is_found() -> None:
    names = {module_name(p) for p in all_modules()}
    assert {"redline", "redline.cli", "redline.store.models", "redline.settings"} <= names


def test_every_module_follows_the_import_rules() -> None:
    problems: list[str] = []
    for path in all_modules():
        name = module_name(path)
        source = path.read_text(encoding="utf-8")
        imports = collect_imports(source, name, is_package=path.name == "__init__.py")
        problems.extend(violations(name, imports))
    assert problems == [], "import rules broken:\n" + "\n".join(problems)


# The checker itself: each rule catches what it should and nothing more.
@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("redline.review.service", "from PySide6.QtCore import QObject", "Qt"),
        ("redline.review.service", "import shiboken6", "Qt"),
        ("redline.export.report", "from matplotlib.backends import backend_qtagg", "Qt"),
        ("redline.export.report", "from matplotlib import backends", "Qt"),
        ("redline.ui.plots.canvas", "import matplotlib.pyplot as plt", "pyplot"),
        ("redline.store.queries", "from redline.review.types import Verdict", "redline.store"),
        ("redline.store.queries", "from ..settings import load_settings", "redline.store"),
        ("redline.analytics.curves", "from sqlalchemy import select", "arrays"),
        ("redline.analytics.curves", "from redline.store import models", "arrays"),
        ("redline.sync.service", "from redline.ui.tasks import Task", "only redline.cli"),
        ("redline.cli", "from redline.ui.app import run", "only redline.cli"),
        ("redline.review.service", "def f():\n    from redline.ui import app", "only"),
    ],
)
def test_the_checker_catches(module: str, source: str, expected: str) -> None:
    problems = violations(module, collect_imports(source, module))
    assert len(problems) >= 1
    assert expected in problems[0]


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("redline.ui.app", "from PySide6.QtWidgets import QApplication"),
        ("redline.ui.plots.canvas", "from matplotlib.backends.backend_qtagg import FigureCanvas"),
        ("redline.export.report", "from matplotlib.figure import Figure"),
        ("redline.store.migrate", "from redline.errors import RedlineError"),
        ("redline.store.search", "from redline.progress import NO_PROGRESS, Progress"),
        ("redline.store.queries", "from .models import Sample"),
        ("redline.cli", "def gui():\n    from redline.ui.app import run\n    run()"),
        ("redline.analytics.curves", "import numpy as np\nimport pandas as pd"),
    ],
)
def test_the_checker_allows(module: str, source: str) -> None:
    assert violations(module, collect_imports(source, module)) == []


def test_relative_imports_resolve() -> None:
    source = "from . import models\nfrom ..errors import RedlineError\nfrom .base import Base"
    names = {i.module for i in collect_imports(source, "redline.store.local")}
    assert {"redline.store.models", "redline.errors", "redline.store.base"} <= names
    in_package = collect_imports("from . import engine", "redline.store", is_package=True)
    assert "redline.store.engine" in {i.module for i in in_package}
