"""Grid and sample values as table columns: numbers, with their unit in the column's name.

A plan writes values as a scenario would (``capacity.increase: [0%, 5%, 10%, 20%]``,
``warm_up: [1w, 2w]``); as text they sort ``'20%'`` before ``'5%'`` and cannot be plotted. One
rule, per parameter path over every variant that sets it:

- all plain numbers -> column ``PATH``, the numbers;
- all percentages (``'5%'``) -> column ``PATH_pct``, the number of percent (5.0);
- all durations with a unit (``'90min'``, ``'4h'``, ``'1w'``) -> column ``PATH_min``, minutes;
- anything else (mappings, names, a mix of the kinds above) -> column ``PATH``, the values as
  the plan gave them.

:func:`parameter_columns` applies the rule; docs/batch.md states it for users.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from simcare.units import _DURATION_RE, _PERCENT_RE, parse_duration

__all__ = ["parameter_columns"]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _percent(value: Any) -> float | None:
    m = _PERCENT_RE.match(value) if isinstance(value, str) else None
    return float(m["num"]) if m else None


def _minutes(value: Any) -> float | None:
    m = _DURATION_RE.match(value) if isinstance(value, str) else None
    if not m or not m["unit"]:
        return None
    try:
        return parse_duration(value)
    except ValueError:
        return None


def _column(path: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """(column name, values) of one parameter path; ``values`` has None where a variant does
    not set the path (kept as None)."""
    given = [v for v in values if v is not None]
    if given and all(_is_number(v) for v in given):
        return path, list(values)
    for suffix, convert in (("_pct", _percent), ("_min", _minutes)):
        converted = [None if v is None else convert(v) for v in values]
        if given and all(c is not None for c, v in zip(converted, values, strict=True) if v is not None):
            return path + suffix, converted
    return path, list(values)


def parameter_columns(points: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Column name -> one value per point, for the parameters of ``points`` (each a dotted
    path -> value mapping, as a plan's variant has them), in the order the paths first appear.
    A point that does not set a path has None. ValueError if two paths give one column name
    (``a_pct`` given as a path beside percentages at ``a``)."""
    paths: list[str] = []
    for p in points:
        paths += [k for k in p if k not in paths]
    out: dict[str, list[Any]] = {}
    for path in paths:
        name, values = _column(path, [p.get(path) for p in points])
        if name in out:
            raise ValueError(f"the parameters {path!r} and another both make the column {name!r}")
        out[name] = values
    return out
