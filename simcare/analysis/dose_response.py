"""Dose-response of a grid over one lever: each KPI's impact against the lever's value.

For a table whose scenarios differ in one numeric parameter column (a batch grid such as
``levers.discharge_capacity.increase: [0%, 5%, 10%, 20%]`` loaded with
``load_store(..., parameters=True)``: column ``levers.discharge_capacity.increase_pct``), the
impact at each value is the paired difference (:func:`simcare.analysis.compare.paired_differences`,
common random numbers) from a reference scenario: by default the one at the grid's lowest value
(its own row has difference 0 and a zero-width interval), or any scenario of the table named as
``reference`` (the baseline).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from simcare.analysis.compare import paired_differences, scenario_columns
from simcare.errors import SimcareError

__all__ = ["DOSE_COLUMNS", "dose_response", "grid_lever"]

#: columns of :func:`dose_response` (``label``, ``level``, ``name`` only where the table has them)
DOSE_COLUMNS = [
    "lever",
    "lever_value",
    "scenario",
    "kpi",
    "label",
    "level",
    "name",
    "group",
    "period",
    "unit",
    "n",
    "mean",
    "difference",
    "low",
    "high",
    "confidence",
]


def grid_lever(table: pd.DataFrame) -> str | None:
    """The one numeric parameter column (:func:`~simcare.analysis.compare.scenario_columns`)
    that takes more than one value across the table's scenarios; None when there is none.
    SimcareError when several do (a dose-response view is over one lever: pass ``lever``)."""
    varying = [
        c
        for c in scenario_columns(table)
        if pd.api.types.is_numeric_dtype(table[c]) and table[c].nunique(dropna=True) > 1
    ]
    if len(varying) > 1:
        raise SimcareError(
            f"the grid varies {len(varying)} levers ({', '.join(varying)}): a dose-response "
            "view is over one; name it"
        )
    return varying[0] if varying else None


def dose_response(
    table: pd.DataFrame,
    lever: str | None = None,
    reference: str | None = None,
    level: float = 0.95,
    periods: Iterable[str] = ("run",),
    kpis: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Impact of every (kpi, group, period) against the lever's value, columns
    :data:`DOSE_COLUMNS`, one row per (lever value, kpi, group, period) sorted by kpi, group,
    period and then the lever's value as a number. ``lever``: the parameter column (default:
    :func:`grid_lever`); ``reference``: the scenario differences are taken from (default: the
    one at the lowest lever value); ``level``: the intervals' confidence level (``low`` and
    ``high``, the KPI's unit); ``mean``: the scenario's own mean. SimcareError when the table
    has no such lever, a value with no scenario, or two scenarios at one value."""
    lever = lever or grid_lever(table)
    if lever is None or lever not in table.columns:
        raise SimcareError(
            "no grid lever to draw a dose-response against: load the store with parameters "
            "(load_store(..., parameters=True)) from a plan whose grid varies one numeric lever"
        )
    t = table if kpis is None else table[table["kpi"].isin(list(kpis))]
    values = t.drop_duplicates("scenario").set_index("scenario")[lever].astype(float)
    if reference is None:
        reference = str(values.idxmin())
    if reference not in values.index:
        raise SimcareError(f"reference scenario {reference!r} is not in the table")
    others = values.drop(reference)
    if others.isna().any():
        raise SimcareError(f"scenario {others.index[others.isna()][0]!r} has no value of {lever}")
    if others.duplicated().any():
        twice = others[others.duplicated(keep=False)]
        raise SimcareError(
            f"scenarios {', '.join(map(repr, twice.index))} share the value {twice.iloc[0]:g} of "
            f"{lever}: a dose-response view needs one scenario per value"
        )
    d = paired_differences(t, reference, level, periods=list(periods))
    # the reference's own point (difference 0) when it sits on the lever's axis
    parts = [d] if np.isnan(values[reference]) else [_reference_rows(d, t, reference, periods), d]
    out = pd.concat(parts, ignore_index=True)
    out["lever"] = lever
    out["lever_value"] = out["scenario"].map(values).astype(float)
    out = out.sort_values(["kpi", "group", "period", "lever_value"], kind="stable", ignore_index=True)
    return out[[c for c in DOSE_COLUMNS if c in out.columns]]


def _reference_rows(d: pd.DataFrame, t: pd.DataFrame, reference: str, periods: Iterable[str]) -> pd.DataFrame:
    """The reference scenario's own rows: its mean, a difference of 0 and a zero-width interval
    (so the curve starts at the reference value), for every row ``d`` has."""
    keys = ["kpi", "group", "period", "unit"]
    rows = d.drop_duplicates(keys)[
        [c for c in d.columns if c in (*keys, "label", "level", "name", "confidence")]
    ]
    own = t[(t["scenario"] == reference) & t["period"].isin(list(periods))]
    stats = own.groupby(keys, sort=False)["value"].agg(n="count", mean="mean").reset_index()
    rows = rows.merge(stats, on=keys, how="left")
    rows["scenario"] = reference
    rows["difference"] = rows["low"] = rows["high"] = 0.0
    rows["n"] = rows["n"].fillna(0).astype(np.int64)
    return rows
