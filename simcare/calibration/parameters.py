"""Calibration parameters: multipliers applied to values of a scenario document.

A parameter is a named multiplier ``theta`` with a prior range ``[low, high]`` and a list of
paths into the merged scenario document (``load_scenario_data``), where ``*`` matches every key
of a mapping, e.g. ``ed.*.acuity.*.treatment_time.mean``. Applying ``theta`` multiplies each
value found: durations (``'3.5h'`` -> minutes x theta, written back as ``'…min'``), per-capita
rates (``'200/1000/year'``), plain numbers, and integer counts such as D2A capacities (rounded,
at least 1). :func:`overlay_diff` turns a changed document into the nested mapping of changed
leaves, which is what a fitted overlay scenario holds.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simcare.scenario.load import merge_documents
from simcare.scenario.units import HOURS_PER_YEAR, parse_duration, parse_per_capita_rate

Doc = dict[str, Any]


@dataclass(frozen=True)
class Parameter:
    """A multiplier on the values at ``paths``; prior range ``[low, high]`` (dimensionless)."""

    name: str
    paths: tuple[str, ...]
    low: float
    high: float
    description: str = ""


def _walk(
    node: Any, parts: Sequence[str], trail: tuple[str, ...]
) -> Iterator[tuple[Any, str, tuple[str, ...]]]:
    """(container, key, full path) of every value matched by ``parts`` below ``node``."""
    if not isinstance(node, dict) or not parts:
        return
    head, rest = parts[0], parts[1:]
    keys = list(node) if head == "*" else [head] if head in node else []
    for key in keys:
        if rest:
            yield from _walk(node[key], rest, (*trail, str(key)))
        else:
            yield node, key, (*trail, str(key))


def matches(doc: Doc, path: str) -> list[tuple[str, ...]]:
    """Full paths in ``doc`` that ``path`` (dotted, ``*`` wildcards) matches."""
    return [full for _, _, full in _walk(doc, path.split("."), ())]


_RATE = re.compile(r"^\s*[0-9.eE+-]+\s*/\s*[0-9.eE+]+\s*/\s*[a-z]+\s*$")


def scale_value(value: Any, factor: float) -> Any:
    """``value`` multiplied by ``factor``, in the same kind of unit (see the module docstring)."""
    if isinstance(value, bool):
        raise ValueError(f"cannot scale a yes/no value ({value!r})")
    if isinstance(value, int):
        return max(1, int(round(value * factor)))
    if isinstance(value, float):
        return value * factor
    if isinstance(value, str):
        if _RATE.match(value):
            per_hour = parse_per_capita_rate(value) * factor
            # four significant figures: far finer than the data; levers re-format to six
            return f"{per_hour * 1000 * HOURS_PER_YEAR:.4g}/1000/year"
        return f"{parse_duration(value) * factor:.6g}min"
    if isinstance(value, dict) and "default" in value:  # a roster: scale every server count
        out = dict(value)
        out["default"] = scale_value(value["default"], factor)
        if "shifts" in value:
            out["shifts"] = [{**s, "servers": scale_value(s["servers"], factor)} for s in value["shifts"]]
        return out
    raise ValueError(f"cannot scale {value!r}: not a duration, rate, number or roster")


def apply(doc: Doc, parameters: Sequence[Parameter], theta: Sequence[float] | np.ndarray) -> Doc:
    """A copy of ``doc`` with each parameter's multiplier applied (``theta`` in ``parameters`` order).

    Raises ValueError naming the parameter and path if a path matches nothing or a value cannot
    be scaled.
    """
    out = copy.deepcopy(doc)
    for p, factor in zip(parameters, theta, strict=True):
        for path in p.paths:
            found = list(_walk(out, path.split("."), ()))
            if not found:
                raise ValueError(f"parameter {p.name}: path {path!r} matches nothing in the scenario")
            for container, key, full in found:
                try:
                    container[key] = scale_value(container[key], float(factor))
                except ValueError as exc:
                    raise ValueError(f"parameter {p.name}: {'.'.join(full)}: {exc}") from None
    return out


def overlay_diff(base: Mapping[str, Any], changed: Mapping[str, Any]) -> Doc:
    """The nested mapping of leaves of ``changed`` that differ from ``base`` (lists replace whole)."""
    out: Doc = {}
    for key, value in changed.items():
        old = base.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            sub = overlay_diff(old, value)
            if sub:
                out[key] = sub
        elif value != old:
            out[key] = copy.deepcopy(value)
    return out


def deep_merge(base: Mapping[str, Any], child: Mapping[str, Any]) -> Doc:
    """``child`` merged into a copy of ``base`` as ``extends`` merges (mappings by key, others replace)."""
    return merge_documents(base, child)
