"""No import cycle among the modules of orbital_sim/ and kernels/.

The graph is read from the source with ``ast``: every ``import`` and ``from ... import``
statement counts, at module level and inside functions alike. Function-level (deferred)
imports count because a deferred import is still a dependency: it only postpones the cycle to
run time, hides the layering (a lower module reaching back up into a higher one) and is what
made ``Config.sweep: Any`` necessary. ``from pkg import name`` is an edge to ``pkg.name`` when
that is a module, else to ``pkg``. An edge from a module to its own package (``orbital_sim``,
``orbital_sim.kernels``) is ignored when the package's ``__init__`` imports none of its
submodules (both do so only lazily, by name, so importing them runs no submodule).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _modules() -> dict[str, Path]:
    """``{dotted name: file}`` of every module, subpackages included (``orbital_sim/kernels``
    is a link to ``kernels/``, read once under its installed name)."""
    out = {}
    for folder, package in (("orbital_sim", "orbital_sim"), ("kernels", "orbital_sim.kernels")):
        base = ROOT / folder
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(base).with_suffix("")
            if rel.parts[0] == "kernels" and folder == "orbital_sim":
                continue
            parts = [package, *rel.parts[:-1]] + ([] if rel.name == "__init__" else [rel.name])
            out[".".join(parts)] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """``{module: modules it imports}`` over orbital_sim/ and kernels/ (both kinds of import)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.stem == "__init__" else name.rsplit(".", 1)[0]  # for relative imports
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:  # `import a.b.c` of a non-module name: its module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    deps.add(target)
        graph[name] = deps
    for package in [name for name, path in modules.items() if path.stem == "__init__"]:
        if not graph[package]:  # a lazy package __init__: importing it runs no submodule
            for deps in graph.values():
                deps.discard(package)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected component of more than one module, as one cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

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
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)

    cycles = []
    for comp in components:  # a shortest cycle through the component's first module (breadth-first)
        start = min(comp)
        paths = {start: [start]}
        frontier = [start]
        cycle = None
        while frontier and cycle is None:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v] & comp):
                    if w == start:
                        cycle = paths[v] + [start]
                        break
                    if w not in paths:
                        paths[w] = paths[v] + [w]
                        nxt.append(w)
                if cycle:
                    break
            frontier = nxt
        cycles.append(cycle)
    return cycles


def test_the_graph_sees_both_kinds_of_import():
    graph = import_graph()
    assert "orbital_sim.config.schema" in graph["orbital_sim.config.checker"]  # a subpackage
    assert "orbital_sim.config" in graph["orbital_sim.runner"]  # module level
    assert "orbital_sim.kernels.model" in graph["orbital_sim.runner"]  # inside a function
    assert "orbital_sim.kernels.dense" in graph["orbital_sim.kernels.events"]  # relative


def test_no_import_cycle():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
