"""The package's import graph, read from the source with ``ast``: no import cycle
(function-level imports included), and no private name taken from another module.

A private *module* (``_validate``, ``_backend``) is a home and may be imported; a
private *name* (``from .one_d import _root``, or ``points._problem`` through a module
alias) belongs to its module alone: promote it to a public-in-package name instead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("divergences", "gan", "benchmarks")


@dataclass(frozen=True)
class Use:
    """One import (or private attribute read) in ``module`` at ``line``."""

    module: str
    line: int
    target: str  # the module imported from
    name: str | None  # the name taken from it (None: the module itself)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _absolute(module: str, level: int, target: str | None) -> str:
    """The absolute name of a relative import ``from ..target`` inside ``module``."""
    if level == 0:
        return target or ""
    base = module.split(".")
    if not _is_package(module):
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _uses(module: str) -> Iterator[Use]:
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    aliases: dict[str, str] = {}  # local name -> in-project module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Use(module, node.lineno, alias.name, None)
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node.level, node.module)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in MODULES:
                    yield Use(module, node.lineno, sub, None)
                    aliases[alias.asname or alias.name] = sub
                else:
                    yield Use(module, node.lineno, source, alias.name)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and aliases.get(node.value.id) in MODULES and _private(node.attr)
                and f"{aliases[node.value.id]}.{node.attr}" not in MODULES):
            yield Use(module, node.lineno, aliases[node.value.id], node.attr)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts))]


def _graph() -> dict[str, set[str]]:
    """module -> modules whose code runs when it imports: the target and the target's
    packages, less the importer's own packages (already running by then)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        own = set(_ancestors(module))
        for use in _uses(module):
            for target in [use.target, *_ancestors(use.target)]:
                if target in MODULES and target != module and target not in own:
                    graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _private_names() -> list[str]:
    found = []
    for module in MODULES:
        for use in _uses(module):
            if use.name and _private(use.name) and use.target in MODULES and use.target != module:
                found.append(f"{module}:{use.line} takes {use.target}.{use.name}")
    return sorted(found)


def test_the_graph_is_read():
    graph = _graph()
    assert "divergences.transport._polytope" in graph["divergences.entropic._dense"]
    assert "divergences.transport" in graph["divergences.entropic._dense"]  # its package runs too
    assert "divergences" not in graph["divergences.entropic._dense"]


def test_no_import_cycle():
    assert _cycles(_graph()) == []


def test_the_cycle_check_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize("package", ["divergences", "gan", "benchmarks"])
def test_no_private_name_crosses_modules(package):
    assert [line for line in _private_names() if line.startswith(package + ".")] == []
