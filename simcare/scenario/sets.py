"""Parameter sets of a scenario (the ``parameter_sets`` section, docs/calibration.md).

A calibrated overlay carries its parameter uncertainty as ``n`` plausible parameter sets: rows of
positive multipliers (dimensionless), one per parameter, of the values the merged scenario
document holds at each parameter's dotted paths (``*`` matches every key of a mapping). A run
that draws uses set ``r mod n`` in replication ``r`` (:func:`set_for`), with the same random
streams as without drawing (common random numbers across sets).

A set is applied to the merged document *before* validation, with
:func:`simcare.calibration.parameters.apply` (durations, per-capita rates, numbers, integer
counts and rosters); validation and levers then run exactly as for the file. A row of ones
changes nothing (it is not applied at all), so set 0 of a fitted overlay is the file itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from simcare.scenario.errors import ScenarioError
from simcare.scenario.schema import Loc, ParameterSetsSpec, Scenario

__all__ = ["apply_parameter_set", "drawn_sets", "is_identity", "path_problems", "set_for"]


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
            raise ValueError("has no parameter_sets section to draw from (a fitted overlay "
                             "such as calibration/fitted/bnssg_fitted.yaml holds one)")
        return 0
    return len(spec.sets) if (spec.draw or asked) else 0


def is_identity(row: Sequence[float]) -> bool:
    """True when every multiplier of ``row`` is exactly 1 (the set changes nothing)."""
    return all(float(x) == 1.0 for x in row)


def path_problems(document: Mapping[str, Any], spec: ParameterSetsSpec) -> list[tuple[Loc, str]]:
    """``(field path, message)`` for every parameter path that matches nothing in ``document``
    (the merged scenario document, or the dump of a validated scenario)."""
    from simcare.calibration.parameters import matches

    out: list[tuple[Loc, str]] = []
    for i, p in enumerate(spec.parameters):
        for j, path in enumerate(p.paths):
            if not matches(dict(document), path):
                out.append((("parameter_sets", "parameters", i, "paths", j),
                            f"'{path}' (parameter {p.name}) matches nothing in the scenario"))
    return out


def apply_parameter_set(document: Mapping[str, Any], spec: ParameterSetsSpec, index: int,
                        source: str = "<scenario>") -> dict[str, Any]:
    """A copy of ``document`` with set ``index``'s multipliers applied at every parameter's
    paths (an unchanged copy when the set is all ones).

    Raises ScenarioError naming ``source`` and ``parameter_sets.sets[index]`` when ``index`` is
    out of range, a path matches nothing, or a value there cannot be scaled (e.g. a yes/no)."""
    import copy

    from simcare.calibration.parameters import Parameter, apply

    n = len(spec.sets)
    if not 0 <= index < n:
        raise ScenarioError(source, [("parameter_sets.sets", f"has {n} set{'s' * (n != 1)}: "
                                                             f"no set {index}")])
    row = spec.sets[index]
    if is_identity(row):
        return copy.deepcopy(dict(document))
    params = [Parameter(p.name, tuple(p.paths), 0.0, 0.0) for p in spec.parameters]
    try:
        return apply(dict(document), params, row)
    except ValueError as exc:
        raise ScenarioError(source, [(f"parameter_sets.sets[{index}]", str(exc))]) from None
