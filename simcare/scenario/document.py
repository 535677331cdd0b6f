"""The scenario document: paths into it, reading, setting, scaling, merging and diffing values.

The document is the mapping a scenario file reads into, before validation (``extends`` merged
by :func:`merge`, null keys removed: :func:`simcare.scenario.load.load_scenario_data`). A
*path* names a place in it the way validation messages name fields::

    path  := key ( "." key | "[" index "]" )*
    key   := name | '"' quoted '"' | "*"
    index := digits | "*"

(``name``: text without ``.``, ``[``, ``]`` or ``"``; ``quoted``: text without ``"``.)

* ``calendar.growth``: key ``growth`` of the mapping ``calendar``;
* ``calendar.surges[0].height``: ``[i]`` is item ``i`` (0-based) of a list;
* ``ed."site.a".cubicles``: a key holding ``.``, ``[``, ``]`` (or a key named ``*``) is written in
  double quotes (a key cannot hold ``"`` itself);
* ``ed.*.acuity.*.treatment_time.mean``: ``*`` stands for every key of a mapping, ``[*]`` for
  every item of a list (``calendar.surges[*].height``). Wildcards select (:func:`match`,
  :func:`scale_at`); a place that is read or set (:func:`get`, :func:`set_value`) is named
  without them.

A path starts with a key (a section name); keys are text, indices whole numbers >= 0. Functions
that take a path take its text or its parts (:func:`parse_path`), where ``int`` parts are list
items and :class:`Wildcard` members the wildcards. Every bad path raises :class:`PathError`
saying what does not fit.
"""

from __future__ import annotations

import copy
import enum
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeGuard

from simcare.units import HOURS_PER_YEAR, parse_duration, parse_per_capita_rate, parse_signed_fraction

__all__ = [
    "Part",
    "PathError",
    "Wildcard",
    "apply_overrides",
    "diff",
    "format_path",
    "get",
    "match",
    "merge",
    "parse_path",
    "scale",
    "scale_at",
    "set_value",
    "strip_nulls",
]


class Wildcard(enum.Enum):
    """A path part standing for several places: every key of a mapping, every item of a list."""

    KEY = "*"
    ITEM = "[*]"


Part = str | int | Wildcard
"""One step of a path: a mapping key (text), a list item (int >= 0) or a wildcard."""

Concrete = tuple[Any, ...]
"""A path without wildcards, as :func:`match` finds it: keys as they are in the document."""


class PathError(ValueError):
    """A path is malformed or does not fit the document (the message says which part and why)."""


_TOKEN = re.compile(r'\.?(?:"([^"]+)"|([^.\[\]"]+))|\[(\d+|\*)\]')
_NEEDS_QUOTES = re.compile(r"[.\[\]]")


def parse_path(path: str) -> tuple[Part, ...]:
    """``'calendar.surges[0].height'`` -> ``('calendar', 'surges', 0, 'height')``;
    ``'ed.*.cubicles'`` -> ``('ed', Wildcard.KEY, 'cubicles')``. Raises PathError."""
    if not isinstance(path, str) or not path.strip():
        raise PathError(f"an override path must be text like 'calendar.growth', got {path!r}")
    parts: list[Part] = []
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None or m.end() == pos or (pos == 0 and path.startswith(".")):
            raise PathError(
                f"malformed override path {path!r} at character {pos + 1} "
                "(write keys joined by '.', list items as [0])"
            )
        quoted, plain, index = m.groups()
        if index is not None:
            parts.append(Wildcard.ITEM if index == "*" else int(index))
        elif quoted is not None:
            parts.append(quoted)
        else:
            parts.append(Wildcard.KEY if plain == "*" else plain)
        pos = m.end()
    if isinstance(parts[0], int) or parts[0] is Wildcard.ITEM:
        raise PathError(f"override path {path!r} must start with a section name")
    return tuple(parts)


def _key_text(key: Any, quote: bool) -> str:
    text = str(key)
    if quote and text and '"' not in text and (text == "*" or _NEEDS_QUOTES.search(text)):
        return f'"{text}"'
    return text


def format_path(parts: Iterable[Any], quote: bool = True) -> str:
    """``('ed', 'bri', 'shifts', 1, 'servers')`` -> ``'ed.bri.shifts[1].servers'``: the text
    :func:`parse_path` reads back (``int`` parts are list items, ``bool`` ones keys).

    ``quote``: write keys holding ``.``, ``[`` or ``]`` (and a key named ``*``) in double quotes
    so the text parses back; False writes every key bare (for paths into other documents whose
    keys are themselves paths, e.g. a batch plan's ``grid``)."""
    out = ""
    for part in parts:
        if isinstance(part, Wildcard):
            out += part.value if part is Wildcard.ITEM or not out else f".{part.value}"
        elif _is_index(part):
            out += f"[{part}]"
        else:
            text = _key_text(part, quote)
            out += f".{text}" if out else text
    return out


def _parts(path: str | Sequence[Part]) -> tuple[tuple[Part, ...], str]:
    """The parts of ``path`` and its text (for messages)."""
    if isinstance(path, str):
        return parse_path(path), path
    parts = tuple(path)
    return parts, format_path(parts)


def _is_index(part: object) -> TypeGuard[int]:
    """Whether a path part is a list item (an int; a bool is a mapping key)."""
    return isinstance(part, int) and not isinstance(part, bool)


def _entries(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def _find(node: Any, parts: Sequence[Part], trail: Concrete = ()) -> Iterator[tuple[Any, Any, Concrete]]:
    """``(container, key or index, concrete path)`` of every place ``parts`` matches below ``node``,
    in document order."""
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if head is Wildcard.KEY:
        steps: list[Any] = list(node) if isinstance(node, dict) else []
    elif head is Wildcard.ITEM:
        steps = list(range(len(node))) if isinstance(node, list) else []
    elif _is_index(head):
        steps = [head] if isinstance(node, list) and 0 <= head < len(node) else []
    else:
        steps = [head] if isinstance(node, dict) and head in node else []
    for step in steps:
        if rest:
            yield from _find(node[step], rest, (*trail, step))
        else:
            yield node, step, (*trail, step)


def match(document: Mapping[str, Any], path: str | Sequence[Part]) -> list[Concrete]:
    """The concrete paths (no wildcards) in ``document`` that ``path`` matches, in document
    order; empty when it matches nothing. A wildcard matches nothing where the document holds
    another kind of value (``*`` on a list, ``[*]`` on a mapping). Raises PathError if
    ``path`` is malformed."""
    parts, _text = _parts(path)
    return [full for _, _, full in _find(document, parts)]


def _no_wildcards(parts: tuple[Part, ...], text: str) -> None:
    if any(isinstance(p, Wildcard) for p in parts):
        raise PathError(f"{text}: a wildcard ('*', '[*]') selects several places; name one")


def get(document: Mapping[str, Any], path: str | Sequence[Part]) -> Any:
    """The value at ``path`` (no wildcards). Raises PathError naming the first part that is
    not in the document."""
    parts, text = _parts(path)
    _no_wildcards(parts, text)
    cur: Any = document
    for depth, part in enumerate(parts):
        where = format_path(parts[:depth])
        if _is_index(part):
            if not isinstance(cur, list):
                raise PathError(f"{text}: {where or 'the document'} is not a list")
            if not 0 <= part < len(cur):
                raise PathError(f"{text}: {where} has {_entries(len(cur))}, no [{part}]")
        elif not isinstance(cur, Mapping):
            raise PathError(f"{text}: {where or 'the document'} is not a mapping")
        elif part not in cur:
            raise PathError(f"{text}: {format_path(parts[: depth + 1])} is not in the scenario")
        cur = cur[part]
    return cur


def set_value(document: dict[str, Any], path: str | Sequence[Part], value: Any) -> None:
    """Set ``value`` (itself, not a copy) at ``path`` (no wildcards) in ``document``, in place,
    replacing what was there. Missing mapping keys on the way are created (so
    ``levers.discharge_capacity.increase`` works on a scenario without levers); list items must
    exist. Raises PathError naming the path and the part that does not fit."""
    parts, text = _parts(path)
    _no_wildcards(parts, text)
    cur: Any = document
    for depth, part in enumerate(parts[:-1]):
        nxt = parts[depth + 1]
        where = format_path(parts[: depth + 1])
        if _is_index(part):
            if not isinstance(cur, list):
                raise PathError(f"{text}: {format_path(parts[:depth]) or 'the document'} is not a list")
            if not 0 <= part < len(cur):
                raise PathError(f"{text}: {format_path(parts[:depth])} has {_entries(len(cur))}, no [{part}]")
            if not isinstance(cur[part], (dict, list)):
                raise PathError(f"{text}: {where} is a value, not a mapping or list")
            cur = cur[part]
            continue
        if not isinstance(cur, dict):
            raise PathError(f"{text}: {format_path(parts[:depth])} is not a mapping")
        if part not in cur or cur[part] is None:
            if _is_index(nxt):
                raise PathError(f"{text}: {where} is not in the scenario, so it has no [{nxt}]")
            cur[part] = {}
        elif not isinstance(cur[part], (dict, list)):
            raise PathError(f"{text}: {where} is a value ({cur[part]!r}), not a mapping or list")
        cur = cur[part]
    last = parts[-1]
    if _is_index(last):
        if not isinstance(cur, list) or not 0 <= last < len(cur):
            raise PathError(f"{text}: {format_path(parts[:-1])} has no item [{last}]")
        cur[last] = value
    else:
        if not isinstance(cur, dict):
            raise PathError(f"{text}: {format_path(parts[:-1])} is not a mapping")
        cur[last] = value


def apply_overrides(document: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``document`` with each ``path: value`` of ``overrides`` set
    (:func:`set_value`, a copy of the value), in order. Raises PathError naming the path and
    what does not fit."""
    out: dict[str, Any] = copy.deepcopy(dict(document))
    for path, value in overrides.items():
        set_value(out, path, copy.deepcopy(value))
    return out


# --- scaling ------------------------------------------------------------------------------------

_RATE = re.compile(r"^\s*[0-9.eE+-]+\s*/\s*[0-9.eE+]+\s*/\s*[a-z]+\s*$")


def scale(value: Any, factor: float) -> Any:
    """``value`` multiplied by ``factor`` (dimensionless), in the same kind of unit:

    * a duration (``'3.5h'``) -> minutes x factor, written ``'…min'`` (6 significant figures);
    * a per-capita rate (``'200/1000/year'``) -> x factor, written ``'…/1000/year'`` (4 s.f.);
    * a percentage (``'37%'``, a share such as an ED admission share) -> x factor, written
      ``'…%'`` (6 s.f.); a result above 100 % is an error (a share cannot exceed the whole);
    * a float -> x factor; an int (a count such as a D2A capacity) -> rounded, at least 1;
    * a roster ``{default, shifts}`` -> its default and every shift's servers scaled as counts.

    Raises ValueError for anything else (yes/no values, other text, lists)."""
    if isinstance(value, bool):
        raise ValueError(f"cannot scale a yes/no value ({value!r})")
    if isinstance(value, int):
        return max(1, int(round(value * factor)))
    if isinstance(value, float):
        return value * factor
    if isinstance(value, str):
        if value.rstrip().endswith("%"):
            share = parse_signed_fraction(value) * factor
            if share > 1.0:
                raise ValueError(f"{value!r} x {factor:.6g} is {100 * share:.4g}%, over 100%")
            return f"{100 * share:.6g}%"
        if _RATE.match(value):
            per_hour = parse_per_capita_rate(value) * factor
            # four significant figures: far finer than the data; levers re-format to six
            return f"{per_hour * 1000 * HOURS_PER_YEAR:.4g}/1000/year"
        return f"{parse_duration(value) * factor:.6g}min"
    if isinstance(value, dict) and "default" in value:  # a roster: scale every server count
        out = dict(value)
        out["default"] = scale(value["default"], factor)
        if "shifts" in value:
            out["shifts"] = [{**s, "servers": scale(s["servers"], factor)} for s in value["shifts"]]
        return out
    raise ValueError(f"cannot scale {value!r}: not a duration, rate, percentage, number or roster")


def scale_at(document: dict[str, Any], path: str | Sequence[Part], factor: float) -> list[Concrete]:
    """Multiply every value ``path`` (wildcards allowed) matches by ``factor`` (:func:`scale`), in
    place; the concrete paths scaled. Raises PathError when the path matches nothing and
    ValueError naming the concrete path of a value that cannot be scaled."""
    parts, text = _parts(path)
    found = list(_find(document, parts))
    if not found:
        raise PathError(f"path {text!r} matches nothing in the scenario")
    for container, key, full in found:
        try:
            container[key] = scale(container[key], factor)
        except ValueError as exc:
            raise ValueError(f"{format_path(full)}: {exc}") from None
    return [full for _, _, full in found]


# --- merging ------------------------------------------------------------------------------------


def _merge(
    base: dict[Any, Any], child: Mapping[Any, Any], loc: Concrete, replaced: set[Concrete]
) -> dict[Any, Any]:
    out = dict(base)
    for key, value in child.items():
        here = (*loc, key)
        if value is None:
            if key in out:
                del out[key]
                replaced.add(here)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, here, replaced)
        else:
            if key in out:
                replaced.add(here)
            out[key] = value
    return out


def merge(
    base: Mapping[Any, Any], child: Mapping[Any, Any], replaced: set[Concrete] | None = None
) -> dict[Any, Any]:
    """``child`` merged over ``base`` as ``extends`` merges a file over the one it extends:
    mappings key by key, anything else (numbers, text, lists) replaced, a null removes the key.
    Neither input is changed (the result shares nothing with them).

    ``replaced``: if given, receives the concrete path of every value of ``base`` that ``child``
    replaced or removed (the loader forgets where those were written)."""
    return _merge(
        copy.deepcopy(dict(base)), copy.deepcopy(dict(child)), (), set() if replaced is None else replaced
    )


def diff(base: Mapping[str, Any], changed: Mapping[str, Any]) -> dict[str, Any]:
    """The nested mapping of the leaves of ``changed`` that differ from ``base`` (a list that
    differs is kept whole), so ``merge(base, diff(base, changed)) == changed`` when ``changed``
    removes no key of ``base``: what an overlay scenario that ``extends`` ``base`` holds."""
    out: dict[str, Any] = {}
    for key, value in changed.items():
        old = base.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            sub = diff(old, value)
            if sub:
                out[key] = sub
        elif value != old:
            out[key] = copy.deepcopy(value)
    return out


def strip_nulls(value: Any) -> Any:
    """A copy without the keys whose value is null (they count as not written)."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value
