"""Our packages import each other without cycles (imports under TYPE_CHECKING count too).

Read with `ast`, nothing imported: an edge goes from a module to each module of ours it names
(`from package import name` names `package.name` when that is a module, else `package`). A
package's `__init__` is a module like any other; the parent packages Python runs on the way to
a submodule are not edges, or every re-exporting `__init__` would be a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rtproto", "mockserver", "refclient", "conformance")
NAMESPACE = "realtime_conformance"  # what every module of ours is imported as

Graph = dict[str, set[str]]


def module_files() -> dict[str, Path]:
    """Every module of our packages, by dotted name (under the namespace, as imported)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = [NAMESPACE, *path.relative_to(ROOT).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _named(module: str, is_package: bool, node: ast.AST) -> list[str]:
    """The dotted names one import statement names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        source = _absolute(module, is_package, node)
        return [source, *(f"{source}.{alias.name}" for alias in node.names)]
    return []


def module_imports(module: str, is_package: bool, source: str, known: set[str]) -> set[str]:
    """The modules of `known` that one module's source imports."""
    targets: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        names = _named(module, is_package, node)
        if isinstance(node, ast.ImportFrom):  # `from p import m`: m when a module, else p
            members = [name for name in names[1:] if name in known]
            targets.update(members or [name for name in names[:1] if name in known])
        else:
            targets.update(name for name in names if name in known)
    return targets - {module}


def import_graph(files: dict[str, Path]) -> Graph:
    known = set(files)
    return {
        module: module_imports(
            module, path.name == "__init__.py", path.read_text(encoding="utf-8"), known
        )
        for module, path in files.items()
    }


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_our_packages_have_no_import_cycle() -> None:
    graph = import_graph(module_files())
    # The walker sees our imports (names that no longer matched would make every test vacuous).
    assert sum(len(targets) for targets in graph.values()) > len(graph)
    found = cycles(graph)
    assert not found, "import cycles (each a group of modules importing each other): " + "; ".join(
        ", ".join(group) for group in found
    )


def test_the_walker_finds_a_cycle_through_type_checking_and_relative_imports() -> None:
    sources = {
        "p": ("from p.a import thing\n", True),
        "p.a": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import b\n",
            False,
        ),
        "p.b": ("import p.a\nfrom p import helper\n", False),
        "p.c": ("from .a import thing\n", False),
    }
    known = set(sources)
    graph = {
        module: module_imports(module, is_package, text, known)
        for module, (text, is_package) in sources.items()
    }
    assert graph == {"p": {"p.a"}, "p.a": {"p.b"}, "p.b": {"p", "p.a"}, "p.c": {"p.a"}}
    assert cycles(graph) == [["p", "p.a", "p.b"]]
    assert cycles({"x": {"y"}, "y": set()}) == []
