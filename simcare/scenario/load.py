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

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import re
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from simcare.scenario.document import format_path, merge
from simcare.scenario.errors import ScenarioError
from simcare.scenario.schema import (
    CHECK_ERROR,
    CROSS_ERROR,
    Loc,
    Scenario,
    closest,
    cross_problems,
)
from simcare.scenario.sets import path_problems
from simcare.scenario.units import _show

__all__ = ["load_scenario", "load_scenario_data", "scenario_hash", "validate_scenario"]

_Where = dict[Loc, tuple[str, int]]  # field path -> (file as displayed, 1-based line)


# --- YAML ---------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 plain scalars, duplicate-key errors and lenient dates."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                        key_node, yaml.ScalarNode):
                    continue
                ident = (key_node.tag, key_node.value)
                if ident in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping", node.start_mark,
                        f"duplicate key '{key_node.value}' (first written at line "
                        f"{seen[ident] + 1})", key_node.start_mark)
                seen[ident] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


_PLAIN_TAGS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _PLAIN_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool",
                              re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int",
                              re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"),
                              list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."))


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


def _strip_nulls(value: Any) -> Any:
    """A copy without the keys whose value is null (they count as not written)."""
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _resolve(path: Path, display: str, chain: list[tuple[Path, str]]
             ) -> tuple[dict[Any, Any], _Where]:
    real = path.resolve()
    for i, (seen, _) in enumerate(chain):
        if seen == real:
            cycle = " -> ".join([d for _, d in chain[i:]] + [display])
            raise ScenarioError(chain[0][1], [("extends", f"circular extends: {cycle}")])
    data, lines = _read_yaml(path, display)
    if data is None:
        raise ScenarioError(display, [("", "the file is empty: expected a mapping of sections "
                                           "(name, run, localities, demand, ed, beds, ...)")])
    if not isinstance(data, dict):
        raise ScenarioError(display, [("", "expected a mapping of sections (name, run, "
                                           f"localities, ...) at the top level, got {_show(data)}")])
    where: _Where = {loc: (display, line) for loc, line in lines.items()}
    parent = data.pop("extends", None)
    if parent is None:
        return data, where
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(display, [("extends", f"must be a file name, got {_show(parent)}")],
                            [f"line {lines.get(('extends',), 0)}"])
    parent_path = path.parent / parent
    parent_display = os.path.normpath(os.path.join(os.path.dirname(display), parent))
    if not parent_path.is_file():
        what = "is a directory" if parent_path.is_dir() else "not found"
        raise ScenarioError(display, [("extends", f"{parent_display}: {what}")],
                            [f"line {lines.get(('extends',), 0)}"])
    base, base_where = _resolve(parent_path, parent_display, [*chain, (real, display)])
    replaced: set[tuple[Any, ...]] = set()
    merged = merge(base, data, replaced)
    kept = {loc: w for loc, w in base_where.items()
            if not any(loc[:i] in replaced for i in range(1, len(loc) + 1))}
    kept.update(where)
    return merged, kept


def _load(path: str | os.PathLike[str]) -> tuple[dict[Any, Any], _Where, str]:
    display = os.fspath(path)
    try:
        data, where = _resolve(Path(display), display, [])
        return _strip_nulls(data), where, display
    except RecursionError:
        raise ScenarioError(display, [("", "the document refers to itself (a YAML alias used "
                                           "inside its own definition) or is nested too deeply")]
                            ) from None


def load_scenario_data(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The merged document (``extends`` resolved, null keys removed), not yet validated."""
    data, _where, _display = _load(path)
    return data


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read, merge and validate a scenario file, then apply its levers (and validate the
    result again); raise ScenarioError with every problem."""
    from simcare.scenario.levers import apply_levers

    data, where, display = _load(path)
    return apply_levers(_validate(data, display, where), display)


def validate_scenario(data: Mapping[str, Any], file: str = "<scenario>") -> Scenario:
    """Validate a document already in memory (e.g. a merged one that levers have changed)."""
    return _validate(_strip_nulls(dict(data)) if isinstance(data, Mapping) else data, file, {})


def scenario_hash(scenario: Scenario) -> str:
    """sha256 (hex) of the canonical JSON of a validated scenario: the same system gives the
    same hash whatever units, key order or ``extends`` it was written with."""
    # a scenario without parameter sets hashes as it did before the section existed
    exclude = {"parameter_sets"} if scenario.parameter_sets is None else None
    canonical = json.dumps(scenario.model_dump(mode="json", exclude=exclude), sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- validation and messages --------------------------------------------------------------------


@functools.cache
def _section_adapter(name: str) -> TypeAdapter[Any]:
    field = Scenario.model_fields[name]
    annotation: Any = field.annotation
    if field.metadata:
        annotation = Annotated[(annotation, *field.metadata)]
    return TypeAdapter(annotation)


def _valid_sections(data: Mapping[Any, Any]) -> dict[str, Any]:
    """The top-level sections that are valid on their own (missing optional ones at default)."""
    out: dict[str, Any] = {}
    for name, field in Scenario.model_fields.items():
        if name in data:
            with contextlib.suppress(ValidationError):
                out[name] = _section_adapter(name).validate_python(data[name])
        elif not field.is_required():
            out[name] = field.get_default(call_default_factory=True)
    return out


def _validate(data: Any, file: str, where: _Where) -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    else:
        if scenario.parameter_sets is None:
            return scenario
        found = [(_origin(loc, where), loc, msg)
                 for loc, msg in path_problems(data, scenario.parameter_sets)]
        if not found:
            return scenario
        raise ScenarioError(file, [(format_path(loc), msg) for _, loc, msg in found],
                            [_describe(origin, file) for origin, _, _ in found])
    problems: list[tuple[Loc, str]] = []
    for err in errors:
        problems.append(_problem(err, data))
    if isinstance(data, Mapping) and not any(e["type"] == CROSS_ERROR for e in errors):
        # some sections are invalid, so Scenario's own cross-section checks did not run: run
        # them on the sections that are valid, to report everything in one go
        problems += cross_problems(_valid_sections(data))
    unique = list(dict.fromkeys(problems))
    found = [(_origin(loc, where), loc, msg) for loc, msg in unique]
    # in file order: this file first, line by line; then the files it extends
    found.sort(key=lambda f: (f[0] is None, f[0] is not None and f[0][0] != file,
                              f[0] or ("", 0)))
    raise ScenarioError(file, [(format_path(loc), msg) for _, loc, msg in found],
                        [_describe(origin, file) for origin, _, _ in found])


def _origin(loc: Loc, where: _Where) -> tuple[str, int] | None:
    """(file, line) where the value at ``loc`` (or its nearest written parent) was written."""
    for i in range(len(loc), 0, -1):
        hit = where.get(loc[:i])
        if hit is not None:
            return hit
    return None


def _describe(origin: tuple[str, int] | None, file: str) -> str:
    if origin is None:
        return ""
    shown, line = origin
    return f"line {line}" if shown == file else f"{shown} line {line}"


def _key_text(key: Any) -> str:
    """A mapping key as written in YAML (keys that are not text: numbers, true, dates)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (dt.date, dt.datetime)):
        return key.isoformat()
    return str(key)


def _find_key(mapping: dict[Any, Any], part: Any) -> tuple[bool, Any]:
    """Whether the loc part names a key of the mapping, and that key. Pydantic writes keys
    that are not text as they compare (``True == 1``) or as their repr (dates)."""
    if isinstance(part, str) and part in mapping:
        return True, part
    for key in mapping:
        if not isinstance(key, str) and (key == part or repr(key) == part or str(key) == part):
            return True, key
    return False, None


def _clean_loc(raw: Loc, data: Any) -> Loc:
    """Follow the path through the data: keys as written, and without the parts pydantic adds
    that are not in the file (a distribution's tag), or with those it took out (the ``shifts``
    of opening hours written as ``{shifts: [...]}``)."""
    out: list[str | int] = []
    cur = data
    for i, part in enumerate(raw):
        if isinstance(cur, dict) and isinstance(part, int) and isinstance(cur.get("shifts"), list) \
                and len(cur) == 1:  # opening hours written as {shifts: [...]}
            out.append("shifts")
            cur = cur["shifts"]
        if isinstance(cur, dict):
            found, key = _find_key(cur, part)
            if found:
                out.append(key if isinstance(key, str) else _key_text(key))
                cur = cur[key]
                continue
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
            continue
        if i == len(raw) - 1 and not (isinstance(cur, dict) and cur.get("dist") == part):
            out.append(part)
    return tuple(out)


def _problem(err: Any, data: Any) -> tuple[Loc, str]:
    raw: Loc = tuple(err["loc"])
    on_key = bool(raw) and raw[-1] == "[key]"
    if on_key:
        raw = raw[:-1]
    loc = _clean_loc(raw, data)
    return loc, _message(err, raw, on_key, loc[-1] if loc else None)


def _quoted_choices(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text)


def _did_you_mean(value: Any, choices: list[str]) -> str:
    near = closest(value, choices)
    return f"; did you mean '{near}'?" if near else ""


def _number(x: Any) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def _message(err: Any, raw: Loc, on_key: bool, written: Any) -> str:
    """A message for one pydantic error; ``written``: the last part of the path as written."""
    kind: str = err["type"]
    ctx: dict[str, Any] = err.get("ctx") or {}
    value = err.get("input")
    got = _show(value)
    if kind in (CHECK_ERROR, CROSS_ERROR):
        return str(ctx.get("message", err["msg"]))
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    if kind == "missing":
        return "required, but missing"
    if kind == "invalid_key" or (on_key and kind == "string_type"):
        return f"key {written} must be text: write it in quotes"
    if kind == "extra_forbidden":
        key = raw[-1] if raw else value
        allowed = _allowed_keys(raw[:-1])
        hint = _did_you_mean(key, allowed)
        listing = f" (allowed: {', '.join(allowed)})" if allowed and not hint else ""
        return f"unknown key '{key}'{hint}{listing}"
    if kind == "literal_error":
        choices = _quoted_choices(str(ctx.get("expected", "")))
        what = f"unknown key '{written}'" if on_key else f"unknown value {got}"
        return f"{what}{_did_you_mean(value, choices)} (one of: {', '.join(choices)})"
    if kind == "union_tag_invalid":
        tags = _quoted_choices(str(ctx.get("expected_tags", "")))
        tag = ctx.get("tag")
        return (f"unknown distribution '{tag}'{_did_you_mean(tag, tags)} "
                f"(one of: {', '.join(tags)})")
    if kind == "union_tag_not_found":
        return ("needs a 'dist' key: one of exponential, lognormal, gamma, weibull, triangular, "
                "uniform, fixed, empirical")
    if kind in ("int_type", "int_from_float", "int_parsing"):
        message = f"must be a whole number, got {got}"
    elif kind in ("float_type", "float_parsing", "finite_number"):
        message = f"must be a number, got {got}"
    elif kind == "bool_type":
        message = f"must be true or false, got {got}"
    elif kind == "string_type":
        message = f"must be text, got {got}"
    elif kind == "string_too_short":
        message = "must not be empty"
    elif kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        message = f"must be a mapping (key: value), got {got}"
    elif kind in ("list_type", "tuple_type"):
        message = f"must be a list, got {got}"
    elif kind == "greater_than_equal":
        message = f"must be >= {_number(ctx.get('ge'))}, got {got}"
    elif kind == "greater_than":
        message = f"must be > {_number(ctx.get('gt'))}, got {got}"
    elif kind == "less_than_equal":
        message = f"must be <= {_number(ctx.get('le'))}, got {got}"
    elif kind == "too_short":
        n = ctx.get("min_length", 1)
        message = f"needs at least {n} {'entry' if n == 1 else 'entries'}"
    elif kind == "too_long":
        message = f"has too many entries (at most {ctx.get('max_length')})"
    else:
        message = str(err["msg"])
        if not isinstance(value, (dict, list)) and value is not None:
            message += f", got {got}"
    return f"key '{written}': {message}" if on_key else message


# --- the model at a field path (for "did you mean") ---------------------------------------------


def _strip(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            arms = [a for a in get_args(tp) if a is not type(None)]
            if len(arms) == 1:
                tp = arms[0]
                continue
        return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _step(tp: Any, part: str | int) -> Any:
    tp = _strip(tp)
    if _is_model(tp):
        for name, field in tp.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    origin = get_origin(tp)
    if origin is dict:
        return get_args(tp)[1]
    if origin in (list, tuple):
        return get_args(tp)[0]
    if origin in (Union, types.UnionType):  # a distribution: the part is its tag
        for arm in get_args(tp):
            arm = _strip(arm)
            if _is_model(arm) and "dist" in arm.model_fields \
                    and part in get_args(arm.model_fields["dist"].annotation):
                return arm
    return None


def _allowed_keys(loc: Loc) -> list[str]:
    tp: Any = Scenario
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return []
    tp = _strip(tp)
    if not _is_model(tp):
        return []
    return [field.alias or name for name, field in tp.model_fields.items()]
