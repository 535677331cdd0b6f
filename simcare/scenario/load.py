"""Read a scenario file: YAML, ``extends``, validation once, every problem at once.

::

    scenario = load_scenario("scenarios/bnssg/baseline_winter.yaml")   # or ScenarioError

Reading rules:

* YAML is read with a safe loader that follows YAML 1.2 for plain scalars: only ``true`` /
  ``false`` are booleans (``no``, ``on``, ``off`` stay text), ``20:00`` stays text (YAML 1.1
  would read it as the base-60 integer 1200), ``08`` is text and ``1e5`` a number. A key written
  twice in one mapping is an error.
* ``extends: other.yaml`` (relative to the file, recursively) loads the other file first and
  deep-merges this one over it: mappings merge key by key, anything else (numbers, text, lists)
  is replaced, and a key set to null removes it. Everywhere, a key whose value is null counts
  as not written.
* The merged document is validated once (:class:`~simcare.scenario.schema.Scenario`). Any
  problem, in any file, raises :class:`~simcare.scenario.errors.ScenarioError` listing all of
  them with their field paths and the file and line where the value was written. Bad input
  never escapes as another exception type.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from simcare.scenario.document import merge, strip_nulls
from simcare.scenario.errors import ScenarioError
from simcare.scenario.levers import apply_levers
from simcare.scenario.schema import Loc, Scenario
from simcare.scenario.validate import Where, validate_document
from simcare.units import _show

__all__ = ["load_scenario", "load_scenario_data"]


# --- YAML ---------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 plain scalars, duplicate-key errors and lenient dates."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                    continue
                ident = (key_node.tag, key_node.value)
                if ident in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"duplicate key '{key_node.value}' (first written at line {seen[ident] + 1})",
                        key_node.start_mark,
                    )
                seen[ident] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


_PLAIN_TAGS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _PLAIN_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError:  # 2025-02-30: keep the text; validation says what is wrong with it
        return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _node_lines(node: yaml.Node) -> dict[Loc, int]:
    """Field path -> 1-based line of the key (or list item) that starts it."""
    lines: dict[Loc, int] = {}
    stack: set[int] = set()

    def walk(n: yaml.Node, loc: Loc) -> None:
        if id(n) in stack:
            return
        stack.add(id(n))
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode):
                    here = (*loc, k.value)
                    lines.setdefault(here, k.start_mark.line + 1)
                    walk(v, here)
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                here = (*loc, i)
                lines.setdefault(here, item.start_mark.line + 1)
                walk(item, here)
        stack.discard(id(n))

    walk(node, ())
    return lines


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        if mark is not None:
            return f"line {mark.line + 1}, column {mark.column + 1}: YAML error: {what}{context}"
        return f"YAML error: {what}{context}"
    return f"YAML error: {exc}"


def _read_yaml(path: Path, display: str) -> tuple[Any, dict[Loc, int]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(display, [("", "file not found")]) from None
    except IsADirectoryError:
        raise ScenarioError(display, [("", "is a directory, not a scenario file")]) from None
    except OSError as exc:
        raise ScenarioError(display, [("", f"cannot read the file: {exc.strerror}")]) from None
    loader: _Loader | None = None
    try:
        loader = _Loader(raw)
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines = _node_lines(node)
        return loader.construct_document(node), lines
    except yaml.YAMLError as exc:
        raise ScenarioError(display, [("", _yaml_problem(exc))]) from None
    finally:
        if loader is not None:
            loader.dispose()


# --- extends and merging ------------------------------------------------------------------------


def _resolve(path: Path, display: str, chain: list[tuple[Path, str]]) -> tuple[dict[Any, Any], Where]:
    real = path.resolve()
    for i, (seen, _) in enumerate(chain):
        if seen == real:
            cycle = " -> ".join([d for _, d in chain[i:]] + [display])
            raise ScenarioError(chain[0][1], [("extends", f"circular extends: {cycle}")])
    data, lines = _read_yaml(path, display)
    if data is None:
        raise ScenarioError(
            display,
            [
                (
                    "",
                    "the file is empty: expected a mapping of sections "
                    "(name, run, localities, demand, ed, beds, ...)",
                )
            ],
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            display,
            [
                (
                    "",
                    "expected a mapping of sections (name, run, "
                    f"localities, ...) at the top level, got {_show(data)}",
                )
            ],
        )
    where: Where = {loc: (display, line) for loc, line in lines.items()}
    parent = data.pop("extends", None)
    if parent is None:
        return data, where
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(
            display,
            [("extends", f"must be a file name, got {_show(parent)}")],
            [f"line {lines.get(('extends',), 0)}"],
        )
    parent_path = path.parent / parent
    parent_display = os.path.normpath(os.path.join(os.path.dirname(display), parent))
    if not parent_path.is_file():
        what = "is a directory" if parent_path.is_dir() else "not found"
        raise ScenarioError(
            display, [("extends", f"{parent_display}: {what}")], [f"line {lines.get(('extends',), 0)}"]
        )
    base, base_where = _resolve(parent_path, parent_display, [*chain, (real, display)])
    replaced: set[tuple[Any, ...]] = set()
    merged = merge(base, data, replaced)
    kept = {
        loc: w
        for loc, w in base_where.items()
        if not any(loc[:i] in replaced for i in range(1, len(loc) + 1))
    }
    kept.update(where)
    return merged, kept


def _load(path: str | os.PathLike[str]) -> tuple[dict[Any, Any], Where, str]:
    display = os.fspath(path)
    try:
        data, where = _resolve(Path(display), display, [])
        return strip_nulls(data), where, display
    except RecursionError:
        raise ScenarioError(
            display,
            [
                (
                    "",
                    "the document refers to itself (a YAML alias used "
                    "inside its own definition) or is nested too deeply",
                )
            ],
        ) from None


def load_scenario_data(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The merged document (``extends`` resolved, null keys removed), not yet validated."""
    data, _where, _display = _load(path)
    return data


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read, merge and validate a scenario file, then apply its levers (and validate the
    result again); raise ScenarioError with every problem."""
    data, where, display = _load(path)
    return apply_levers(validate_document(data, display, where), display)
