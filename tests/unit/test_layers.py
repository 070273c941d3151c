"""Imports point down the layers and never in a circle (README, "Data flow and layers").

core → schemas → sinks → agents / grafana / planning → pipeline: a module may import from its
own layer's package and from the layers its package lists below, never from above.
`tests/` and `bench/` stand beside the shipped packages and may import any of them, but no
shipped package imports them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

BELOW: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "schemas": frozenset({"core"}),
    "sinks": frozenset({"core", "schemas"}),
    "agents": frozenset({"core", "schemas", "sinks"}),
    "grafana": frozenset({"core", "schemas", "sinks"}),
    "planning": frozenset({"core", "schemas", "sinks"}),
    "pipeline": frozenset({"core", "schemas", "sinks", "agents", "grafana", "planning"}),
}
TOOLING = ("tests", "bench", "deploy")
OURS = frozenset(BELOW) | frozenset(TOOLING)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> Iterator[Path]:
    for top in sorted(OURS):
        yield from sorted((ROOT / top).rglob("*.py"))


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(path: Path) -> set[str]:
    """Every module of ours that the file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if _is_module(sub) else node.module)
    return {name for name in found if name.split(".")[0] in OURS}


GRAPH = {_module_name(path): _imports(path) for path in _sources()}


def test_the_scan_sees_the_packages() -> None:
    assert {name.split(".")[0] for name in GRAPH} >= {
        "core",
        "schemas",
        "sinks",
        "agents",
        "pipeline",
    }
    assert "pipeline.cli" in GRAPH and "core.settings" in GRAPH


@pytest.mark.parametrize("layer", sorted(BELOW))
def test_a_layer_imports_only_from_below(layer: str) -> None:
    allowed = BELOW[layer] | {layer}
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.split(".")[0] == layer
        for target in targets
        if target.split(".")[0] not in allowed
    )
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_two_modules_import_each_other() -> None:
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
