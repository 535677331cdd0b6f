"""Calibration parameters: multipliers of values of a scenario document, with a prior range.

A parameter is a named multiplier ``theta`` with a prior range ``[low, high]`` and a list of
paths into the merged scenario document (``load_scenario_data``; the path grammar, with ``*``
matching every key of a mapping, is :mod:`simcare.scenario.document`'s), e.g.
``ed.*.acuity.*.treatment_time.mean``. :func:`simcare.scenario.sets.apply_multipliers` applies a
``theta`` to a document (durations, per-capita rates, numbers, integer counts, rosters: see
:func:`simcare.scenario.document.scale`), as it applies a fitted overlay's parameter sets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Parameter:
    """A multiplier on the values at ``paths``; prior range ``[low, high]`` (dimensionless)."""

    name: str
    paths: tuple[str, ...]
    low: float
    high: float
    description: str = ""
