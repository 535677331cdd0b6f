"""Read a scenario file: YAML, ``extends``, validation once, every problem at once.

::

    scenario = load_scenario("scenarios/bnssg/baseline_winter.yaml")   # or ScenarioError

Reading rules:

* YAML is read with a safe loader that follows YAML 1.2 for plain scalars: only ``true`` /
  ``false`` are booleans (``no``, ``on``, ``off`` stay text), ``20:00`` stays text (YAML 1.1
  would read it as the base-60 integer 1200), ``08`` is text and ``1e5`` a number. A key written
  twice in one mapping is an error.
  A value with an explicit tag it does not fit (``!!float 5%``, ``!!timestamp notadate``) is an
  error at its line; aliases may add at most :data:`MAX_ALIAS_NODES` nodes (alias bombs), and
  files larger than :data:`~simcare.files.MAX_INPUT_BYTES` are refused unread. No message
  repeats the content of the file. Plans and calibration specs are read by the same
  :func:`read_yaml`.
* ``extends: other.yaml`` (relative to the file, recursively) loads the other file first and
  deep-merges this one over it: mappings merge key by key, anything else (numbers, text, lists)
  is replaced, and a key set to null removes it. Everywhere, a key whose value is null counts
  as not written. The other file must lie under the project root of the file loaded (or in
  simcare's shipped folders, :func:`simcare.files.outside_root`) unless ``allow_outside``.
* The merged document is validated once (:class:`~simcare.scenario.schema.Scenario`). Any
  problem, in any file, raises :class:`~simcare.scenario.errors.ScenarioError` listing all of
  them with their field paths and the file and line where the value was written. Bad input
  never escapes as another exception type.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from simcare.files import MAX_INPUT_BYTES, outside_root, project_root
from simcare.scenario.document import merge, strip_nulls
from simcare.scenario.errors import ScenarioError
from simcare.scenario.levers import apply_levers
from simcare.scenario.schema import Loc, Scenario
from simcare.scenario.validate import Where, validate_document
from simcare.units import _show

__all__ = ["load_scenario", "load_scenario_data", "read_yaml"]


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

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value written with an explicit tag it does not fit (``!!float 5%``, ``!!int x``,
        ``!!timestamp notadate``) is a YAML error at its line, not an exception of the constructor.
        The value itself is not repeated (the file may not be a scenario at all)."""
        try:
            return yaml.SafeLoader.construct_object(self, node, deep=deep)
        except (yaml.YAMLError, RecursionError):
            raise
        except Exception:
            raise yaml.constructor.ConstructorError(
                None, None, f"the value is not a valid {_tag_name(node.tag)}", node.start_mark
            ) from None


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


def _tag_name(tag: str | None) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag else "its tag"


#: how many nodes YAML aliases may add to a document beyond those written ("billion laughs")
MAX_ALIAS_NODES = 100_000


class _AliasBudgetError(Exception):
    def __init__(self, message: str, node: yaml.Node) -> None:
        self.message, self.node = message, node


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_aliases(root: yaml.Node, budget: int = MAX_ALIAS_NODES) -> None:
    """Refuse a node graph whose aliases refer to themselves, or expand it by more than
    ``budget`` nodes beyond the distinct nodes written (iterative: no recursion limit)."""
    size: dict[int, int] = {}
    started: set[int] = set()
    distinct = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            started.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            if size[key] - distinct > budget:
                raise _AliasBudgetError(
                    f"YAML aliases expand the document past {budget:,} nodes beyond those "
                    "written (an alias bomb?): write the values out or use fewer aliases",
                    node,
                )
            continue
        if key in size:
            continue
        if key in started:
            raise _AliasBudgetError(
                "the document refers to itself (a YAML alias used inside its own definition)", node
            )
        started.add(key)
        distinct += 1
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)


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


def read_yaml(path: Path, display: str, what: str = "scenario file") -> tuple[Any, dict[Loc, int]]:
    """(document, field path -> line) of a YAML file, read as scenarios are read (the module
    docstring): the one reader of scenario, plan and calibration files. Problems (missing,
    not a regular file, larger than :data:`~simcare.files.MAX_INPUT_BYTES`, YAML errors,
    alias bombs, nesting too deep) raise ScenarioError naming ``display``; no message repeats
    the file's content. ``what`` names the kind of file in messages."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ScenarioError(display, [("", "file not found")]) from None
    except OSError as exc:
        raise ScenarioError(display, [("", f"cannot read the file: {exc.strerror}")]) from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError(display, [("", f"is a directory, not a {what}")]) from None
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(display, [("", f"is not a regular file, not a {what}")]) from None
    limit = MAX_INPUT_BYTES
    try:
        with path.open("rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise ScenarioError(display, [("", f"cannot read the file: {exc.strerror}")]) from None
    if len(raw) > limit:
        raise ScenarioError(
            display, [("", f"is larger than {limit // (1024 * 1024)} MB: too large for a {what}")]
        )
    loader: _Loader | None = None
    try:
        loader = _Loader(raw)
        node = loader.get_single_node()
        if node is None:
            return None, {}
        _check_aliases(node)
        lines = _node_lines(node)
        return loader.construct_document(node), lines
    except yaml.YAMLError as exc:
        raise ScenarioError(display, [("", _yaml_problem(exc))]) from None
    except _AliasBudgetError as exc:
        line = exc.node.start_mark.line + 1
        raise ScenarioError(display, [("", f"line {line}: {exc.message}")]) from None
    except RecursionError:
        raise ScenarioError(display, [("", "the document is nested too deeply")]) from None
    finally:
        if loader is not None:
            loader.dispose()


# --- extends and merging ------------------------------------------------------------------------


def _kind(data: Any) -> str:
    """What a YAML document holds, without its content."""
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return "text"
    if isinstance(data, bool):
        return "true/false"
    if isinstance(data, int | float):
        return "a number"
    return type(data).__name__


def _resolve(
    path: Path, display: str, chain: list[tuple[Path, str]], root: Path | None
) -> tuple[dict[Any, Any], Where]:
    real = path.resolve()
    for i, (seen, _) in enumerate(chain):
        if seen == real:
            cycle = " -> ".join([d for _, d in chain[i:]] + [display])
            raise ScenarioError(chain[0][1], [("extends", f"circular extends: {cycle}")])
    data, lines = read_yaml(path, display)
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
                    "is not a YAML mapping: expected a mapping of sections (name, run, "
                    f"localities, ...) at the top level, got {_kind(data)}",
                )
            ],
        )
    where: Where = {loc: (display, line) for loc, line in lines.items()}
    parent = data.pop("extends", None)
    if parent is None:
        return data, where
    at = [f"line {lines.get(('extends',), 0)}"]
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(display, [("extends", f"must be a file name, got {_show(parent)}")], at)
    parent_path = path.parent / parent
    parent_display = os.path.normpath(os.path.join(os.path.dirname(display), parent))
    if not parent_path.is_file():
        what = (
            "is a directory"
            if parent_path.is_dir()
            else "is not a regular file"
            if parent_path.exists()
            else "not found"
        )
        raise ScenarioError(display, [("extends", f"{parent_display}: {what}")], at)
    refused = None if root is None else outside_root(parent_path, root)
    if refused is not None:
        raise ScenarioError(display, [("extends", f"{parent_display}: {refused}")], at)
    base, base_where = _resolve(parent_path, parent_display, [*chain, (real, display)], root)
    replaced: set[tuple[Any, ...]] = set()
    merged = merge(base, data, replaced)
    kept = {
        loc: w
        for loc, w in base_where.items()
        if not any(loc[:i] in replaced for i in range(1, len(loc) + 1))
    }
    kept.update(where)
    return merged, kept


def _load(
    path: str | os.PathLike[str], allow_outside: bool, root: str | os.PathLike[str] | None
) -> tuple[dict[Any, Any], Where, str]:
    display = os.fspath(path)
    confine = None if allow_outside else Path(root) if root is not None else project_root(display)
    try:
        data, where = _resolve(Path(display), display, [], confine)
        return strip_nulls(data), where, display
    except RecursionError:
        raise ScenarioError(display, [("", "the document is nested too deeply")]) from None


def load_scenario_data(
    path: str | os.PathLike[str],
    *,
    allow_outside: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """The merged document (``extends`` resolved, null keys removed), not yet validated.

    ``extends`` may name only files under ``root`` (default: the project root of ``path``,
    :func:`simcare.files.project_root`) or simcare's shipped folders, unless ``allow_outside``."""
    data, _where, _display = _load(path, allow_outside, root)
    return data


def load_scenario(
    path: str | os.PathLike[str],
    *,
    allow_outside: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> Scenario:
    """Read, merge and validate a scenario file, then apply its levers (and validate the
    result again); raise ScenarioError with every problem. ``allow_outside`` and ``root``: as
    :func:`load_scenario_data`."""
    data, where, display = _load(path, allow_outside, root)
    return apply_levers(validate_document(data, display, where), display)
