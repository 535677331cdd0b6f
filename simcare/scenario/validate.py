"""Validate a scenario document in memory: every problem at once, with its field path and the
file and line where the value was written; and the scenario hash.

:func:`validate_document` is the one place a document becomes a :class:`Scenario`: the loader
(:mod:`simcare.scenario.load`) calls it with the line table of the files read, the levers
(:mod:`simcare.scenario.levers`) and the pipeline call :func:`validate_scenario` on documents
they changed. Pydantic's errors are turned into one-line messages ("did you mean", allowed keys,
units), sorted in file order.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import hashlib
import json
import re
import types
import warnings
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from simcare.scenario.document import format_path, strip_nulls
from simcare.scenario.errors import ScenarioError, ScenarioNote
from simcare.scenario.schema import (
    CHECK_ERROR,
    CROSS_ERROR,
    Loc,
    Scenario,
    closest,
    cross_problems,
)
from simcare.scenario.schema.references import _walk_rosters
from simcare.scenario.sets import path_problems
from simcare.units import _show

__all__ = ["Where", "scenario_hash", "skip_outside_period", "validate_document", "validate_scenario"]

Where = dict[Loc, tuple[str, int]]  # field path -> (file as displayed, 1-based line)


def validate_scenario(data: Mapping[str, Any], file: str = "<scenario>") -> Scenario:
    """Validate a document already in memory (e.g. a merged one that levers have changed)."""
    return validate_document(strip_nulls(dict(data)) if isinstance(data, Mapping) else data, file, {})


LABELLED = ("localities", "hubs", "ed", "beds")  # sections whose entries may have a ``label``


def scenario_hash(scenario: Scenario) -> str:
    """sha256 (hex) of the canonical JSON of a validated scenario: the same system gives the
    same hash whatever units, key order or ``extends`` it was written with, and whatever
    ``label`` its localities, hubs, ED sites and trusts carry."""
    # a scenario without parameter sets hashes as it did before the section existed
    exclude = {"parameter_sets"} if scenario.parameter_sets is None else None
    dumped = scenario.model_dump(mode="json", exclude=exclude)
    # so do fields added later, while unset: every ED site's bed_request, every channel's growth,
    # every trust's discharge_hours
    for section, field in (("ed", "bed_request"), ("demand", "growth"), ("beds", "discharge_hours")):
        for item in (dumped.get(section) or {}).values():
            if isinstance(item, dict) and item.get(field) is None:
                item.pop(field, None)
    # labels are how reports name things, not part of the system: never in the hash
    for section in LABELLED:
        for item in (dumped.get(section) or {}).values():
            if isinstance(item, dict):
                item.pop("label", None)
    canonical = json.dumps(
        dumped,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- dated events outside the simulated period: skipped, with a note --------------------------

_SERVICE_SECTIONS = ("nhs111", "ambulance", "hubs", "sdec", "ed", "beds", "discharge")


def _valid_section(data: Mapping[Any, Any], name: str) -> Any:
    """Section ``name`` of ``data`` validated on its own, or None (absent or invalid)."""
    if name not in data or data[name] is None:
        return None
    try:
        return _section_adapter(name).validate_python(data[name])
    except ValidationError:
        return None


def _raw_at(data: Any, loc: Loc) -> Any:
    """The raw value at ``loc`` (keys as validated, e.g. aliases), or None when the raw document
    does not have that shape (then nothing is skipped there)."""
    cur = data
    for part in loc:
        if isinstance(cur, dict):
            found, key = _find_key(cur, part)
            if not found:
                return None
            cur = cur[key]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
        else:
            return None
    return cur


def skip_outside_period(data: Any) -> tuple[Any, list[str]]:
    """``data`` without the dated events that lie wholly outside the simulated period
    ``[run.start - run.warm_up, run.end]``, and one note per event skipped
    (``"calendar.bank_holidays[3]: 2026-04-03 is outside the simulated period ...: skipped"``).

    Events: bank holidays, surges (by their peak), shocks, the Christmas period, and the dated
    overrides of rosters (each wholly outside: a shock or override that straddles an end of the
    period is kept, and validation reports the date outside as before). Only sections valid on
    their own are looked at, so a malformed date, or a malformed ``run``, stays an error. A
    document with nothing outside is returned as it is (the same object), so its hash and
    compilation do not change."""
    if not isinstance(data, Mapping):
        return data, []
    run = _valid_section(data, "run")
    if run is None:
        return data, []
    lo, hi = run.first_day, run.end
    lead = " (run.start minus run.warm_up)" if run.warm_up > 0 else " (run.start)"

    def outside(first: dt.date, last: dt.date) -> bool:
        return last < lo or first > hi

    def note(loc: Loc, first: dt.date, last: dt.date) -> str:
        days = str(first) if first == last else f"{first} to {last}"
        period = f"the simulated period {lo}{lead} to {hi} (run.end)"
        return f"{format_path(loc)}: {days} is outside {period}: skipped"

    drop: dict[tuple[Loc, str], list[int]] = {}  # (loc of the parent, list key) -> indices
    notes: list[str] = []
    drop_christmas = False
    calendar = _valid_section(data, "calendar")
    if calendar is not None:
        lists = {
            "bank_holidays": [(d, d) for d in calendar.bank_holidays],
            "surges": [(s.peak, s.peak) for s in calendar.surges],
            "shocks": [(s.from_, s.to) for s in calendar.shocks],
        }
        for key, spans in lists.items():
            hits = [i for i, (a, b) in enumerate(spans) if outside(a, b)]
            if hits:
                drop[("calendar",), key] = hits
                notes += [note(("calendar", key, i), *spans[i]) for i in hits]
        xmas = calendar.christmas
        if xmas is not None and outside(xmas.from_, xmas.to):
            drop_christmas = True
            notes.append(note(("calendar", "christmas"), xmas.from_, xmas.to))
    for name in _SERVICE_SECTIONS:
        section = _valid_section(data, name)
        if section is None:
            continue
        for loc, roster in _walk_rosters(section, (name,)):
            hits = [i for i, o in enumerate(roster.overrides) if outside(o.from_, o.to)]
            raw = _raw_at(data, loc)
            if (
                not hits
                or not isinstance(raw, dict)
                or len(raw.get("overrides") or []) != len(roster.overrides)
            ):
                continue
            drop[loc, "overrides"] = hits
            notes += [
                note((*loc, "overrides", i), o.from_, o.to)
                for i, o in enumerate(roster.overrides)
                if i in hits
            ]
    if not notes:
        return data, []
    out = copy.deepcopy(dict(data))
    for (loc, key), hits in drop.items():
        parent = _raw_at(out, loc)
        parent[key] = [item for i, item in enumerate(parent[key]) if i not in hits]
    if drop_christmas:
        del out["calendar"]["christmas"]
    return out, notes


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


def validate_document(data: Any, file: str, where: Where) -> Scenario:
    """``data`` (a merged document) as a Scenario, or ScenarioError listing every problem;
    ``where`` maps field paths to the (file, line) they were written at (empty: no lines).

    Dated events wholly outside the simulated period are skipped first, each with a
    :class:`ScenarioNote` warning (:func:`skip_outside_period`)."""
    data, notes = skip_outside_period(data)
    for note in notes:
        warnings.warn(f"{file}: {note}", ScenarioNote, stacklevel=2)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    else:
        if scenario.parameter_sets is None:
            return scenario
        found = [(_origin(loc, where), loc, msg) for loc, msg in path_problems(data, scenario.parameter_sets)]
        if not found:
            return scenario
        raise ScenarioError(
            file,
            [(format_path(loc), msg) for _, loc, msg in found],
            [_describe(origin, file) for origin, _, _ in found],
        )
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
    found.sort(key=lambda f: (f[0] is None, f[0] is not None and f[0][0] != file, f[0] or ("", 0)))
    raise ScenarioError(
        file,
        [(format_path(loc), msg) for _, loc, msg in found],
        [_describe(origin, file) for origin, _, _ in found],
    )


def _origin(loc: Loc, where: Where) -> tuple[str, int] | None:
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
        if (
            isinstance(cur, dict)
            and isinstance(part, int)
            and isinstance(cur.get("shifts"), list)
            and len(cur) == 1
        ):  # opening hours written as {shifts: [...]}
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
        return f"unknown distribution '{tag}'{_did_you_mean(tag, tags)} (one of: {', '.join(tags)})"
    if kind == "union_tag_not_found":
        return (
            "needs a 'dist' key: one of exponential, lognormal, gamma, weibull, triangular, "
            "uniform, fixed, empirical"
        )
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
    elif kind == "string_too_long":
        size = f", got {len(value)}" if isinstance(value, str) else ""
        message = f"must be at most {ctx.get('max_length')} characters{size}"
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
            if (
                _is_model(arm)
                and "dist" in arm.model_fields
                and part in get_args(arm.model_fields["dist"].annotation)
            ):
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
