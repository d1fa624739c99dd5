"""The layer order of the package and the import rules of the layers (STYLE.md, "Import and
resource rules"), read from the source with `ast`, so a violation fails here before it becomes
a tangle. docs/ARCHITECTURE.md carries the same table (checked below), so the map stays true.

Layers (`LAYERS`): every top-level module or package of `redline` has a rank; an import
points to a lower rank, or to a peer on the same rank only where the table's last column
allows it. In-function imports count, and so do modules loaded by name (an
`importlib.import_module("redline.x")` call, a `"redline.x.y:Name"` factory string): each such
string must name a module (and attribute) that exists.

Rules besides the order:
- no cycle between packages or top-level modules (in-function imports included);
- no `from redline.x.y import _private` from another file (private means that file's own);
- no service (anything below the entry points) imports redline.demo, redline.cli or
  redline.commands;
- Qt (PySide6, shiboken6) and matplotlib's GUI backends only under redline.ui; pyplot nowhere
  (it keeps global figures; the app embeds canvases); the sqlite3 driver not in redline.ui
  (the UI reads through the store, never with its own connection);
- redline.store imports nothing of ours but the foundations;
- redline.analytics opens no database: no sqlalchemy, no redline.store;
- nothing outside redline.ui imports redline.ui, except redline.cli, and only inside a
  function body (lazily, so the headless commands never load Qt).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import redline

PACKAGE_DIR = Path(redline.__file__).parent
ARCHITECTURE_DOC = Path(__file__).parents[1] / "docs" / "ARCHITECTURE.md"

# The layer order. Copied verbatim into docs/ARCHITECTURE.md (test_the_map_shows_this_table).
# A name is a top-level module (`errors` is redline/errors.py) or package (`store` is
# redline/store/); `redline` is the package's own __init__.py. The last column lists the
# imports allowed between peers of one rank ("each other": any, as long as no cycle forms).
# A markdown row is one line, hence the long lines.
LAYERS = """\
| rank | layer | modules | peers may import |
|---:|---|---|---|
| 0 | foundations | `redline`, `errors`, `progress`, `clock`, `csvcells`, `settings`, `logs`, `roles`, `profiles`, `textdiff` | each other |
| 1 | store | `store` | |
| 2 | ingest, analytics | `ingest`, `analytics` | |
| 3 | review, sync | `review`, `sync` | |
| 4 | export | `export` | |
| 5 | prompts | `prompts` | |
| 6 | policies | `policies` | |
| 7 | drift | `drift` | |
| 8 | quality | `quality` | |
| 9 | entry points | `__main__`, `cli`, `commands`, `ui`, `demo` | `__main__` → `cli`; `cli` → `commands`, `ui`, `demo`; `ui` → `demo` |
"""  # noqa: E501

ENTRY_POINTS = frozenset({"__main__", "cli", "commands", "ui", "demo"})


@dataclass(frozen=True)
class Layers:
    """The parsed table: each name's rank, and the peer imports it allows."""

    rank: Mapping[str, int]
    peers: frozenset[tuple[str, str]]
    free_ranks: frozenset[int] = field(default_factory=frozenset)

    def allows(self, importer: str, imported: str) -> bool:
        low, high = self.rank[imported], self.rank[importer]
        if low != high:
            return low < high
        return high in self.free_ranks or (importer, imported) in self.peers


def parse_layers(table: str) -> Layers:
    """Read the markdown table: rank, layer, `names`, and peer rules like "`a` → `b`, `c`"."""
    rank: dict[str, int] = {}
    peers: set[tuple[str, str]] = set()
    free: set[int] = set()
    for row in table.strip().splitlines()[2:]:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        number, _, modules, allowed = cells
        for name in re.findall(r"`([^`]+)`", modules):
            assert name not in rank, f"{name} is in the layer table twice"
            rank[name] = int(number)
        if allowed == "each other":
            free.add(int(number))
            continue
        for rule in filter(None, (r.strip() for r in allowed.split(";"))):
            source, _, targets = rule.partition("→")
            (importer,) = re.findall(r"`([^`]+)`", source)
            peers.update((importer, t) for t in re.findall(r"`([^`]+)`", targets))
    return Layers(rank, frozenset(peers), frozenset(free))


LAYER_ORDER = parse_layers(LAYERS)


@dataclass(frozen=True)
class Import:
    """One imported module (or module attribute), as an absolute dotted name.

    `name` is set for `from m import name` (the name as written), `by_string` for a module
    that is loaded by a string (`import_module("m")`, `"m:Attr"`), with `attribute` the
    attribute the string names.
    """

    module: str
    line: int
    in_function: bool
    name: str | None = None
    by_string: bool = False
    attribute: str | None = None


def module_name(path: Path, package_dir: Path = PACKAGE_DIR) -> str:
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


FACTORY_STRING = re.compile(r"redline(?:\.\w+)+:\w+")
MODULE_STRING = re.compile(r"redline(?:\.\w+)+")
IMPORT_CALLS = frozenset({"import_module", "__import__"})


def _calls_import(node: ast.Call) -> bool:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in IMPORT_CALLS


def collect_imports(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    """Every import in `source` (at any depth), relative ones resolved against `module`.

    `from a import b` yields both `a` and `a.b` (b may be a module), so a rule on
    `matplotlib.backends` catches `from matplotlib import backends` too. Modules loaded by a
    string are imports too (lazy ones, like an in-function import): a literal argument of
    `import_module`/`__import__`, a `"redline.m:Attr"` factory string anywhere, and, in a file
    that calls `import_module` with a computed name, every `"redline.m"` string (the names it
    chooses from).
    """
    package = module if is_package else module.rpartition(".")[0]
    tree = ast.parse(source)
    found: list[Import] = []
    literal_loads: set[int] = set()
    computed_load: list[int] = []

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
                    Import(f"{base}.{a.name}", child.lineno, in_function, name=a.name)
                    for a in child.names
                    if a.name != "*"
                )
            elif isinstance(child, ast.Call) and _calls_import(child) and child.args:
                first = child.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.append(Import(first.value, child.lineno, True, by_string=True))
                    literal_loads.add(id(first))
                else:
                    computed_load.append(child.lineno)
            visit(child, inner)

    visit(tree, in_function=False)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if id(node) in literal_loads:
            continue
        if FACTORY_STRING.fullmatch(node.value):
            target, _, attribute = node.value.partition(":")
            found.append(Import(target, node.lineno, True, by_string=True, attribute=attribute))
        elif computed_load and MODULE_STRING.fullmatch(node.value):
            found.append(Import(node.value, node.lineno, True, by_string=True))
    return found


def computed_loads(source: str) -> list[int]:
    """Lines that call `import_module`/`__import__` with a name computed at run time."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and _calls_import(node)
        and node.args
        and not (isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))
    ]


def is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def unit_of(module: str) -> str:
    """The layer-table name of a redline module: `redline.store.models` -> `store`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@dataclass(frozen=True)
class Package:
    """What the checker knows of the package: its modules and their top-level names."""

    modules: Mapping[str, frozenset[str]]

    def target(self, name: str) -> str | None:
        """The module `name` (a module or module.attribute) is in, if it is ours."""
        while name:
            if name in self.modules:
                return name
            name = name.rpartition(".")[0]
        return None


def top_level_names(source: str) -> frozenset[str]:
    """Names a module defines at top level (defs, classes, assignments, imports)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return frozenset(names)


def violations(
    module: str,
    imports: list[Import],
    *,
    package: Package | None = None,
    layers: Layers = LAYER_ORDER,
) -> list[str]:
    """The broken rules of one module, one readable line each.

    With `package` (the modules that exist), the layer order and the string loads are
    checked too; without it, only the rules that need no knowledge of other modules.
    """
    # One line per written import and rule: `from a import b, c` yields a, a.b and a.c,
    # which break a rule together; the first (the module) names them.
    problems: dict[tuple[int, str], str] = {}

    def report(imp: Import, why: str) -> None:
        how = " (by name)" if imp.by_string else ""
        problems.setdefault(
            (imp.line, why), f"{module}:{imp.line} imports {imp.module}{how}: {why}"
        )

    in_ui = is_within(module, "redline.ui")
    unit = unit_of(module)
    for imp in imports:
        name = imp.module
        if not in_ui and any(
            is_within(name, qt) for qt in ("PySide6", "shiboken6", "matplotlib.backends")
        ):
            report(imp, "Qt and matplotlib's GUI backends belong in redline.ui")
        if is_within(name, "matplotlib.pyplot"):
            report(imp, "pyplot keeps global state; draw on a Figure/FigureCanvas")
        if in_ui and is_within(name, "sqlite3"):
            report(imp, "the sqlite3 driver stays out of redline.ui; read through redline.store")
        if is_within(module, "redline.analytics") and (
            is_within(name, "sqlalchemy") or is_within(name, "redline.store")
        ):
            report(imp, "analytics takes arrays, never a database")
        if not is_within(name, "redline"):
            continue
        imported = unit_of(name)
        source = imp.module.rpartition(".")[0]
        if imp.name is not None and is_private(imp.name) and source != module:
            report(imp, f"{imp.name} is private to {source}; make it public or move it")
        if (
            is_within(module, "redline.store")
            and name != "redline"
            and imported != "store"
            and layers.rank.get(imported, 0) != 0
        ):
            report(imp, "redline.store imports nothing of ours but the foundations")
        if (
            not in_ui
            and is_within(name, "redline.ui")
            and (module != "redline.cli" or not imp.in_function)
        ):
            report(imp, "only redline.cli may import redline.ui, and only inside a function")
        if unit not in ENTRY_POINTS and imported in {"demo", "cli", "commands"}:
            report(imp, f"a service never imports redline.{imported} (an entry point)")
        if package is None:
            continue
        target = package.target(name)
        if imp.by_string:
            if target != name:
                report(imp, "no such module: a string-loaded module must exist")
                continue
            if imp.attribute is not None and imp.attribute not in package.modules[target]:
                report(imp, f"{target} defines no {imp.attribute}")
        if target is None or imported in {unit, "redline"}:
            continue
        if imported not in layers.rank or unit not in layers.rank:
            continue  # reported once per module by test_every_module_is_in_the_table
        if not layers.allows(unit, imported):
            here, there = layers.rank[unit], layers.rank[imported]
            where = "a higher layer" if there > here else "a peer the table does not allow"
            report(imp, f"{unit} (rank {here}) may not import {imported} (rank {there}): {where}")
    return list(problems.values())


@dataclass(frozen=True)
class Edge:
    """One import between two layer-table names, where it is written."""

    importer: str
    imported: str
    where: str


def unit_edges(modules: Iterable[tuple[str, list[Import]]], package: Package) -> list[Edge]:
    """Imports between different top-level modules/packages, with their module:line."""
    edges: list[Edge] = []
    for module, imports in modules:
        for imp in imports:
            target = package.target(imp.module)
            if target is None:
                continue
            importer, imported = unit_of(module), unit_of(target)
            if imported not in {importer, "redline"}:
                edges.append(Edge(importer, imported, f"{module}:{imp.line}"))
    return edges


def cycles(edges: Iterable[Edge]) -> list[list[str]]:
    """The strongly connected groups (more than one name) of the import graph, each sorted."""
    graph: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        graph[edge.importer].add(edge.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan; the graph has a few dozen nodes
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return groups


def cycle_problems(edges: list[Edge]) -> list[str]:
    """Each cycle, with every edge inside it and where that edge is written."""
    problems: list[str] = []
    for group in cycles(edges):
        members = set(group)
        inside = sorted(
            {
                (e.importer, e.imported, e.where)
                for e in edges
                if {e.importer, e.imported} <= members
            }
        )
        lines = [f"  {a} -> {b} at {where}" for a, b, where in inside]
        problems.append(f"import cycle between {', '.join(group)}:\n" + "\n".join(lines))
    return problems


# --------------------------------------------------------------------------- the package


def all_modules() -> list[Path]:
    return sorted(PACKAGE_DIR.rglob("*.py"))


def read_package() -> tuple[Package, list[tuple[str, Path, list[Import]]]]:
    names: dict[str, frozenset[str]] = {}
    parsed: list[tuple[str, Path, list[Import]]] = []
    for path in all_modules():
        name = module_name(path)
        source = path.read_text(encoding="utf-8")
        names[name] = top_level_names(source)
        is_package = path.name == "__init__.py"
        parsed.append((name, path, collect_imports(source, name, is_package=is_package)))
    return Package(names), parsed


def test_the_package_is_found() -> None:
    names = {module_name(p) for p in all_modules()}
    assert {"redline", "redline.cli", "redline.store.models", "redline.settings"} <= names


def table_problems(modules: Iterable[str], layers: Layers = LAYER_ORDER) -> list[str]:
    """Top-level modules the table leaves out, and names in it the package does not have."""
    units = {unit_of(m) for m in modules}
    missing = sorted(units - set(layers.rank))
    gone = sorted(set(layers.rank) - units)
    return [f"add to LAYERS (and docs/ARCHITECTURE.md): {name}" for name in missing] + [
        f"LAYERS names a module the package does not have: {name}" for name in gone
    ]


def test_every_module_is_in_the_table() -> None:
    problems = table_problems(module_name(p) for p in all_modules())
    assert problems == [], "\n".join(problems)


def test_every_module_follows_the_import_rules() -> None:
    package, parsed = read_package()
    problems: list[str] = []
    for name, path, imports in parsed:
        where = path.relative_to(PACKAGE_DIR.parent)
        source = path.read_text(encoding="utf-8")
        for line in computed_loads(source):
            if not any(imp.by_string for imp in imports):
                problems.append(f"{name}:{line} loads a module by a name the checker cannot see")
        problems.extend(
            f"{where}:{p.partition(':')[2]}" for p in violations(name, imports, package=package)
        )
    assert problems == [], f"{len(problems)} import rules broken:\n" + "\n".join(problems)


def test_no_import_cycle_between_packages() -> None:
    package, parsed = read_package()
    edges = unit_edges(((name, imports) for name, _, imports in parsed), package)
    problems = cycle_problems(edges)
    assert problems == [], "\n".join(problems)


def test_the_map_shows_this_table() -> None:
    doc = ARCHITECTURE_DOC.read_text(encoding="utf-8")
    assert LAYERS in doc, "docs/ARCHITECTURE.md must carry LAYERS verbatim: copy it there"


# --------------------------------------------------------------------------- the checker itself
# Each rule catches what it should and nothing more.

SMALL_PACKAGE = Package(
    {
        "redline": frozenset({"__version__"}),
        "redline.errors": frozenset({"RedlineError"}),
        "redline.settings": frozenset({"Settings"}),
        "redline.store": frozenset(),
        "redline.store.models": frozenset({"Sample", "_table"}),
        "redline.store.queries": frozenset({"_page"}),
        "redline.ingest.service": frozenset({"_detect", "import_file"}),
        "redline.ingest.explain": frozenset(),
        "redline.review.service": frozenset({"ReviewService"}),
        "redline.sync.service": frozenset(),
        "redline.export.service": frozenset(),
        "redline.prompts.audit": frozenset(),
        "redline.cli": frozenset(),
        "redline.commands.export": frozenset({"register"}),
        "redline.demo": frozenset(),
        "redline.ui.app": frozenset(),
        "redline.ui.studio.page": frozenset({"StudioPage"}),
        "redline.ui.workspaces": frozenset(),
    }
)


def check(module: str, source: str) -> list[str]:
    imports = collect_imports(source, module)
    return violations(module, imports, package=SMALL_PACKAGE)


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("redline.review.service", "from PySide6.QtCore import QObject", "Qt"),
        ("redline.review.service", "import shiboken6", "Qt"),
        ("redline.export.report", "from matplotlib.backends import backend_qtagg", "Qt"),
        ("redline.export.report", "from matplotlib import backends", "Qt"),
        ("redline.ui.plots.canvas", "import matplotlib.pyplot as plt", "pyplot"),
        ("redline.store.queries", "from redline.review.types import Verdict", "redline.store"),
        ("redline.store.queries", "from ..ingest import service", "redline.store"),
        ("redline.analytics.curves", "from sqlalchemy import select", "arrays"),
        ("redline.analytics.curves", "from redline.store import models", "arrays"),
        ("redline.sync.service", "from redline.ui.tasks import Task", "only redline.cli"),
        ("redline.cli", "from redline.ui.app import run", "only redline.cli"),
        ("redline.review.service", "def f():\n    from redline.ui import app", "only"),
        ("redline.ui.queue_model", "import sqlite3", "sqlite3"),
        ("redline.ui.queue_model", "def f():\n    from sqlite3 import connect", "sqlite3"),
        ("redline.sync.service", "from redline.demo import DEMO_SOURCE", "entry point"),
        ("redline.sync.service", "def f():\n    from redline import demo", "entry point"),
        ("redline.export.service", "from redline.cli import main", "entry point"),
        ("redline.quality.data", "from redline.commands.shared import table", "entry point"),
        ("redline.ingest.explain", "from redline.ingest.service import _detect", "private"),
        ("redline.ingest.explain", "from .service import import_file, _detect", "private"),
        ("redline.review.service", "from redline.store.models import _table", "private"),
        # Upward, in a function or not, and between peers the table does not link.
        ("redline.sync.service", "from redline.prompts.audit import chain", "higher layer"),
        ("redline.review.service", "def f():\n    from redline.export import service", "higher"),
        ("redline.store.queries", "from redline.ingest.service import import_file", "rank"),
        ("redline.sync.service", "from redline.review.service import ReviewService", "peer"),
        ("redline.ingest.service", "from redline.analytics import stats", "peer"),
        ("redline.commands.export", "from redline.cli import main", "peer"),
        ("redline.ui.app", "from redline.cli import main", "peer"),
        ("redline.demo", "from redline.ui import app", "only redline.cli"),
        # Modules loaded by name must exist and count as imports.
        (
            "redline.cli",
            "import importlib\nimportlib.import_module('redline.comands.x')",
            "no such",
        ),
        ("redline.cli", "from importlib import import_module\nimport_module('redline.nope')", "no"),
        ("redline.ui.workspaces", "PAGE = 'redline.ui.studio.page:StudoPage'", "defines no"),
        ("redline.ui.workspaces", "PAGE = 'redline.ui.studio.pages:StudioPage'", "no such"),
        ("redline.review.service", "F = 'redline.export.service:run'", "higher layer"),
        (
            "redline.store.queries",
            "import importlib\nimportlib.import_module('redline.demo')",
            "demo",
        ),
        (
            "redline.cli",
            "import importlib\nMODS = ('redline.commands.export', 'redline.commands.gone')\n"
            "def load(name):\n    importlib.import_module(name)",
            "no such",
        ),
    ],
)
def test_the_checker_catches(module: str, source: str, expected: str) -> None:
    problems = check(module, source)
    assert len(problems) >= 1
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("redline.ui.app", "from PySide6.QtWidgets import QApplication"),
        ("redline.ui.plots.canvas", "from matplotlib.backends.backend_qtagg import FigureCanvas"),
        ("redline.export.report", "from matplotlib.figure import Figure"),
        ("redline.store.migrate", "from redline.errors import RedlineError"),
        ("redline.store.migrate", "from ..settings import Settings"),
        ("redline.store.queries", "from .models import Sample"),
        ("redline.store.queries", "import sqlite3"),
        ("redline.cli", "def gui():\n    from redline.ui.app import run\n    run()"),
        ("redline.cli", "from redline.commands import export\nfrom redline import demo"),
        ("redline.ui.app", "from redline.demo import seed"),
        ("redline.analytics.curves", "import numpy as np\nimport pandas as pd"),
        ("redline.export.service", "from redline.review.service import ReviewService"),
        ("redline.export.service", "def f():\n    from redline.ingest.service import import_file"),
        ("redline.settings", "from redline.errors import RedlineError"),
        ("redline.sync.service", "from redline import __version__"),
        # Its own private names, dunders and private attributes of third-party modules.
        ("redline.store.queries", "from redline.store.queries import _page"),
        ("redline.store.queries", "from redline.store import __doc__"),
        ("redline.export.service", "from typing import _GenericAlias"),
        # Modules loaded by name that exist, the way the workspaces and the CLI do it.
        ("redline.ui.workspaces", "PAGE = 'redline.ui.studio.page:StudioPage'"),
        ("redline.cli", "import importlib\nimportlib.import_module('redline.commands.export')"),
        (
            "redline.cli",
            "import importlib\nMODS = ('redline.commands.export',)\n"
            "def load(name):\n    return importlib.import_module(name)",
        ),
        # A logger's dotted name is no import where nothing loads modules by a computed name.
        ("redline.sync.service", "import logging\nlog = logging.getLogger('redline.sync.push')"),
    ],
)
def test_the_checker_allows(module: str, source: str) -> None:
    assert check(module, source) == []


def test_the_checker_finds_cycles_and_where_they_are() -> None:
    edges = [
        Edge("sync", "review", "redline.sync.service:3"),
        Edge("review", "prompts", "redline.review.guidelines:9"),
        Edge("prompts", "sync", "redline.prompts.audit:12"),
        Edge("prompts", "store", "redline.prompts.audit:4"),
        Edge("export", "store", "redline.export.service:2"),
    ]
    (problem,) = cycle_problems(edges)
    assert problem.startswith("import cycle between prompts, review, sync:")
    assert "prompts -> sync at redline.prompts.audit:12" in problem
    assert "store" not in problem
    assert cycle_problems(edges[1:]) == []


def test_in_function_imports_make_cycles_too() -> None:
    package = Package(dict.fromkeys(["redline.x.readers", "redline.y.doc"], frozenset[str]()))
    back = collect_imports("def f():\n    from redline.y.doc import g", "redline.x.readers")
    forth = collect_imports("from redline.x import readers", "redline.y.doc")
    edges = unit_edges([("redline.x.readers", back), ("redline.y.doc", forth)], package)
    assert cycles(edges) == [["x", "y"]]
    # Inside one package a file may import another lazily (that is no package cycle).
    inner = collect_imports("def f():\n    from .doc import g", "redline.y.readers")
    assert cycles(unit_edges([("redline.y.readers", inner)], package)) == []


def test_a_module_missing_from_the_table_is_reported() -> None:
    layers = parse_layers(LAYERS)
    present = [f"redline.{name}" for name in layers.rank if name != "redline"] + ["redline"]
    assert table_problems(present, layers) == []
    assert table_problems([*present, "redline.cluster.service"], layers) == [
        "add to LAYERS (and docs/ARCHITECTURE.md): cluster"
    ]
    assert table_problems([p for p in present if p != "redline.clock"], layers) == [
        "LAYERS names a module the package does not have: clock"
    ]


def test_a_computed_load_without_names_is_reported() -> None:
    source = "import importlib\ndef load(name):\n    return importlib.import_module(name)"
    assert computed_loads(source) == [3]
    assert not any(i.by_string for i in collect_imports(source, "redline.cli"))


def test_the_table_parses() -> None:
    layers = parse_layers(LAYERS)
    assert layers.rank["errors"] == layers.rank["settings"] == 0
    assert layers.rank["store"] < layers.rank["ingest"] == layers.rank["analytics"]
    assert layers.rank["review"] < layers.rank["export"] < layers.rank["prompts"]
    assert layers.rank["prompts"] < layers.rank["policies"] < layers.rank["drift"]
    assert layers.rank["drift"] < layers.rank["quality"] < layers.rank["ui"]
    assert layers.allows("settings", "errors") and layers.allows("logs", "settings")
    assert layers.allows("cli", "commands") and not layers.allows("commands", "cli")
    assert layers.allows("ui", "demo") and not layers.allows("demo", "ui")
    assert not layers.allows("review", "sync") and not layers.allows("sync", "review")


def test_relative_imports_resolve() -> None:
    source = "from . import models\nfrom ..errors import RedlineError\nfrom .base import Base"
    names = {i.module for i in collect_imports(source, "redline.store.local")}
    assert {"redline.store.models", "redline.errors", "redline.store.base"} <= names
    in_package = collect_imports("from . import engine", "redline.store", is_package=True)
    assert "redline.store.engine" in {i.module for i in in_package}
