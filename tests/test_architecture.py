"""The shape of the code: one-way layering, no import cycle, no module over 600 lines.

The import graph is read from the source (every ``import`` statement, at module level or
inside a function), so a cycle hidden behind a lazy import counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
FOLDERS = {"api": "border_readiness", "features": "border_readiness.features"}
FOLDERS |= {name: f"border_readiness.{name}" for name in ("clustering", "experiments")}
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the package."""
    out = {}
    for folder, package in FOLDERS.items():
        for path in (PROJECT / folder).rglob("*.py"):
            rel = path.relative_to(PROJECT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            if folder == "api" and parts and parts[0] in ("features", "clustering", "experiments"):
                continue
            out[".".join([package, *parts])] = path
    return out


MODULES = _modules()


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (never executed)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            typing_only = isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            if not typing_only:
                todo.append(child)


def _imports(name: str, path: Path) -> set[str]:
    """The package modules that ``name`` imports.

    A name imported from a package counts as the submodule when one of that name exists, else
    as the package.
    """
    is_package = path.name == "__init__.py"
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [
                f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module
                for a in node.names
            ]
        else:
            continue
        found |= {t for t in targets if t in MODULES and t != name}
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def test_the_graph_sees_the_package():
    assert "border_readiness.experiments.pipeline" in GRAPH
    assert "border_readiness.experiments.steps" in GRAPH["border_readiness.experiments.pipeline"]


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as a path that returns to its start, or None (depth-first)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_planted_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle():
    cycle = _find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("lower", "upper"),
    [("features", "clustering"), ("features", "experiments"), ("clustering", "experiments")],
)
def test_layers_import_one_way(lower, upper):
    prefix = f"border_readiness.{lower}"
    bad = {
        (name, dep)
        for name, deps in GRAPH.items()
        if name.startswith(prefix)
        for dep in deps
        if dep.startswith(f"border_readiness.{upper}")
    }
    assert not bad


def test_no_python_file_over_600_lines():
    files = [p for p in PROJECT.rglob("*.py") if not {".git", "build"} & set(p.parts)]
    files = [p for p in files if "venv" not in p.as_posix() and ".egg" not in p.as_posix()]
    long = {
        str(p.relative_to(PROJECT)): n
        for p in files
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long
