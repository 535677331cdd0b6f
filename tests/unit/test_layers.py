"""The package's layers (docs/architecture.md, ARCHITECTURE.md "Layers"): no import cycles between
modules, and no module imports a higher layer.

Every import counts: module-level, inside functions and under ``if TYPE_CHECKING:`` (a lazy import
that points down, such as the CLI's for a fast ``--help``, is fine; one that points up or closes a
cycle is a function in the wrong room). Importing ``simcare.batch.overrides`` from outside
``simcare.batch`` also runs ``simcare/batch/__init__.py``, so it counts as importing that too.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "simcare"

# lowest first; a module may import its own layer or lower
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_version", "_jit", "_process", "data", "shipped", "errors", "files", "units", "html_policy"),
    ("model",),
    ("sampling",),
    ("network", "examples"),
    ("engine", "summary"),
    ("scenario",),
    ("kpi",),
    ("analysis",),
    ("pipeline",),
    ("batch", "calibration", "icb"),
    ("report",),
    ("app", "cli", "__main__", "__init__"),
)

KNOWN: set[tuple[str, str]] = set()  # exceptions (importer, imported); keep it empty


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 2:
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _target(name: str) -> str | None:
    """The package module ``name`` refers to (itself or its nearest enclosing module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        for name in names:
            if name == "simcare" or name.startswith("simcare."):
                target = _target(name)
                if target is not None and target != module:
                    out.add(target)
                    out |= _packages_run(module, target)
    return out


def _packages_run(module: str, target: str) -> set[str]:
    """The packages whose ``__init__`` importing ``target`` runs first, seen from ``module``
    outside them (``simcare.batch`` for ``simcare.batch.overrides``; not the root package)."""
    parts = target.split(".")
    out = set()
    for i in range(2, len(parts)):
        package = ".".join(parts[:i])
        if package in MODULES and not (module == package or module.startswith(package + ".")):
            out.add(package)
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def layer(module: str) -> int:
    """Index in LAYERS of a package module (``simcare.scenario.load`` -> 5)."""
    rest = module.removeprefix("simcare").removeprefix(".") or "__init__"
    best, found = -1, None
    for i, names in enumerate(LAYERS):
        for name in names:
            if (rest == name or rest.startswith(name + ".")) and len(name) > best:
                best, found = len(name), i
    assert found is not None, f"{module} is in no layer: add it to LAYERS"
    return found


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        layer(module)


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{m} (layer {layer(m)}) imports {t} (layer {layer(t)})"
        for m, targets in GRAPH.items()
        for t in sorted(targets)
        if layer(t) > layer(m) and (m, t) not in KNOWN
    ]
    assert not upward, "\n".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        component.append(m)
                        if m == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
    return out


def test_no_import_cycles() -> None:
    graph = {m: {t for t in targets if (m, t) not in KNOWN} for m, targets in GRAPH.items()}
    cycles = _cycles(graph)
    assert not cycles, "\n".join(" <-> ".join(c) for c in cycles)


def test_the_checks_see_function_level_imports() -> None:
    # a function-level import is an edge like any other
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert layer("simcare.scenario.load") < layer("simcare.pipeline") < layer("simcare.batch.task")
    assert layer("simcare.network") == layer("simcare.examples")


def test_every_known_exception_is_still_needed() -> None:
    stale = sorted(pair for pair in KNOWN if pair[1] not in GRAPH.get(pair[0], set()))
    assert not stale, f"delete from KNOWN: {stale}"
