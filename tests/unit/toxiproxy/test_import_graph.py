"""The fakes' modules import each other without a circle (TYPE_CHECKING imports count)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``path`` imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {name for name in names if name in known}
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


@pytest.mark.parametrize("package", ["fakes/toxiproxy", "fakes/llm"])
def test_no_import_circle(package: str) -> None:
    """No module of the package reaches itself through its imports."""
    files = sorted((ROOT / package).rglob("*.py"))
    modules = {_module(f): f for f in files}
    graph = {
        name: _imports(path, set(modules)) - {name, _module(path.parent / "__init__.py")}
        for name, path in modules.items()
    }
    assert _cycle(graph) is None


def test_the_checker_finds_a_circle() -> None:
    """The circle finder reports a two-module circle (so the test above can fail)."""
    assert _cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
