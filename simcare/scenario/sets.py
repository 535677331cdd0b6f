"""Parameter sets of a scenario (the ``parameter_sets`` section, docs/calibration.md).

A calibrated overlay carries its parameter uncertainty as ``n`` plausible parameter sets: rows of
positive multipliers (dimensionless), one per parameter, of the values the merged scenario
document holds at each parameter's paths (:mod:`simcare.scenario.document`; ``*`` matches every
key of a mapping). A run that draws uses set ``r mod n`` in replication ``r`` (:func:`set_for`),
with the same random streams as without drawing (common random numbers across sets).

A set is applied to the merged document *before* validation, with :func:`apply_multipliers`
(durations, per-capita rates, numbers, integer counts and rosters:
:func:`simcare.scenario.document.scale`); validation and levers then run exactly as for the
file. A row of ones changes nothing (it is not applied at all), so set 0 of a fitted overlay is
the file itself. Calibration applies its parameters with the same function.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from simcare.scenario.document import PathError, format_path, get, match, scale, scale_at
from simcare.scenario.errors import ScenarioError
from simcare.scenario.schema import Loc, ParameterSetsSpec, Scenario
from simcare.units import _show

__all__ = [
    "Multiplier",
    "apply_multipliers",
    "apply_parameter_set",
    "drawn_sets",
    "is_identity",
    "path_problems",
    "set_for",
]


class Multiplier(Protocol):
    """A named multiplier of the values at some paths: a parameter of a set
    (``parameter_sets.parameters``) or of a calibration (``calibration.parameters.Parameter``)."""

    @property
    def name(self) -> str: ...

    @property
    def paths(self) -> Sequence[str]: ...


def set_for(replication: int, n: int) -> int:
    """The parameter set (0-based) replication ``replication`` uses when drawing from ``n``."""
    if n < 1:
        raise ValueError(f"need at least one parameter set, got {n}")
    return replication % n


def drawn_sets(scenario: Scenario, asked: bool = False) -> int:
    """How many parameter sets a run of ``scenario`` draws from: ``n`` when its
    ``parameter_sets.draw`` is true or the caller ``asked``, else 0 (no drawing).

    Raises ValueError when asked but the scenario has no section (callers name the file)."""
    spec = scenario.parameter_sets
    if spec is None:
        if asked:
            raise ValueError(
                "has no parameter_sets section to draw from (a fitted overlay "
                "such as calibration/fitted/bnssg_fitted.yaml holds one)"
            )
        return 0
    return len(spec.sets) if (spec.draw or asked) else 0


def is_identity(row: Sequence[float]) -> bool:
    """True when every multiplier of ``row`` is exactly 1 (the set changes nothing)."""
    return all(float(x) == 1.0 for x in row)


def path_problems(document: Mapping[str, Any], spec: ParameterSetsSpec) -> list[tuple[Loc, str]]:
    """``(field path, message)`` for every parameter path that is malformed, matches nothing
    in ``document`` (the merged scenario document, or the dump of a validated scenario) or
    matches a value a multiplier cannot scale (text, yes/no, a list: the run would fail)."""
    out: list[tuple[Loc, str]] = []
    for i, p in enumerate(spec.parameters):
        for j, path in enumerate(p.paths):
            loc: Loc = ("parameter_sets", "parameters", i, "paths", j)
            try:
                found = match(document, path)
            except PathError as exc:
                out.append((loc, f"'{path}' (parameter {p.name}): {exc}"))
                continue
            if not found:
                out.append((loc, f"'{path}' (parameter {p.name}) matches nothing in the scenario"))
                continue
            for full in found:  # a set multiplies these values: each must be a quantity
                value = get(document, full)
                try:
                    scale(value, 1.0)
                except ValueError:
                    out.append(
                        (
                            loc,
                            f"'{path}' (parameter {p.name}) at {format_path(full)}: a multiplier cannot "
                            f"scale {_show(value)}: not a duration, rate, percentage, number or roster",
                        )
                    )
                    break
    return out


def apply_multipliers(
    document: Mapping[str, Any], parameters: Sequence[Multiplier], factors: Iterable[float]
) -> dict[str, Any]:
    """A copy of ``document`` with every value at each parameter's paths multiplied by its
    factor (``factors`` in ``parameters`` order, dimensionless; :func:`scale_at`).

    Raises ValueError naming the parameter and path if a path matches nothing or a value cannot
    be scaled."""
    out = copy.deepcopy(dict(document))
    for p, factor in zip(parameters, factors, strict=True):
        for path in p.paths:
            try:
                scale_at(out, path, float(factor))
            except ValueError as exc:
                raise ValueError(f"parameter {p.name}: {exc}") from None
    return out


def apply_parameter_set(
    document: Mapping[str, Any], spec: ParameterSetsSpec, index: int, source: str = "<scenario>"
) -> dict[str, Any]:
    """A copy of ``document`` with set ``index``'s multipliers applied at every parameter's
    paths (an unchanged copy when the set is all ones).

    Raises ScenarioError naming ``source`` and ``parameter_sets.sets[index]`` when ``index`` is
    out of range, a path matches nothing, or a value there cannot be scaled (e.g. a yes/no)."""
    n = len(spec.sets)
    if not 0 <= index < n:
        raise ScenarioError(source, [("parameter_sets.sets", f"has {n} set{'s' * (n != 1)}: no set {index}")])
    row = spec.sets[index]
    if is_identity(row):
        return copy.deepcopy(dict(document))
    try:
        return apply_multipliers(document, spec.parameters, row)
    except ValueError as exc:
        raise ScenarioError(source, [(f"parameter_sets.sets[{index}]", str(exc))]) from None
