"""Confidence intervals across independent replications, and how many replications a precision needs.

Both work on the tidy KPI table (columns ``scenario, replication, kpi, group, period, value, unit``),
so they apply equally to a fresh run and to stored results. Replications of one scenario are
independent (each has its own random-number streams), so the value of a KPI over replications is a
sample of independent, identically distributed estimates and its mean gets a Student-t interval:

    half-width = t_{(1 + level) / 2, n - 1} * s / sqrt(n)

with ``s`` the sample standard deviation (ddof = 1) of the ``n`` replication values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from simcare.errors import SimcareError

KEYS = ("scenario", "kpi", "group", "period", "unit")


def require_columns(table: pd.DataFrame, columns: Iterable[str], what: str = "KPI table") -> None:
    """Raise SimcareError naming the columns ``table`` lacks."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SimcareError(
            f"{what} has no column {', '.join(repr(c) for c in missing)} "
            f"(columns: {', '.join(map(str, table.columns))})"
        )


def t_quantile(level: float, n: np.ndarray | int) -> np.ndarray:
    """Two-sided Student-t quantile t_{(1 + level) / 2, n - 1}; NaN where n < 2."""
    if not 0.0 < level < 1.0:
        raise SimcareError(f"confidence level must be between 0 and 1, got {level!r}")
    n = np.asarray(n, dtype=np.float64)
    df = np.where(n >= 2, n - 1, np.nan)
    return np.asarray(stats.t.ppf(0.5 + level / 2.0, df))


def replication_intervals(
    table: pd.DataFrame, level: float = 0.95, keys: Sequence[str] = KEYS
) -> pd.DataFrame:
    """Mean over replications of every (scenario, kpi, group, period, unit) with its t-interval.

    Returns one row per key with columns ``keys`` + ``n`` (replications), ``mean``, ``sd``,
    ``half_width``, ``low``, ``high`` (all in the KPI's unit; the interval is NaN for n < 2).
    """
    require_columns(table, [*keys, "replication", "value"])
    g = table.groupby(list(keys), sort=True, observed=True)["value"]
    out = g.agg(n="count", mean="mean", sd="std").reset_index()
    q = t_quantile(level, out["n"].to_numpy())
    out["half_width"] = q * out["sd"].to_numpy() / np.sqrt(out["n"].to_numpy())
    out["low"] = out["mean"] - out["half_width"]
    out["high"] = out["mean"] + out["half_width"]
    return out


def replications_for_precision(
    sd: float, target_half_width: float, level: float = 0.95, max_replications: int = 10_000
) -> int | None:
    """Smallest n >= 2 with t_{(1 + level) / 2, n - 1} * sd / sqrt(n) <= target_half_width.

    ``sd`` is the standard deviation between replications estimated from a pilot run (the same
    unit as the target). Returns None if more than ``max_replications`` would be needed.
    """
    if target_half_width <= 0:
        raise SimcareError(f"the requested half-width must be positive, got {target_half_width!r}")
    if sd == 0:
        return 2
    n = np.arange(2, max_replications + 1)
    ok = t_quantile(level, n) * sd / np.sqrt(n) <= target_half_width
    return int(n[np.argmax(ok)]) if ok.any() else None


def precision_advice(
    table: pd.DataFrame,
    kpis: Iterable[str],
    *,
    relative: float | None = None,
    absolute: float | None = None,
    level: float = 0.95,
    groups: Iterable[str] = ("ICB",),
    period: str = "run",
    max_replications: int = 10_000,
) -> pd.DataFrame:
    """How many replications give each chosen KPI a half-width no wider than asked.

    The target half-width is ``relative`` x |mean| (e.g. 0.02 for +-2 %) or ``absolute`` (in the
    KPI's unit, e.g. 1.0 for +-1 percentage point of a % KPI); with both, the stricter (smaller)
    applies. The standard deviation between replications comes from ``table`` (a pilot run of at
    least 2 replications), per the sequential procedure of Law (Simulation Modeling and
    Analysis, 5th ed., section 9.4.1). Returns one row per (scenario, kpi, group) with ``n``,
    ``mean``, ``half_width`` (now), ``target``, ``needed`` (replications; NaN if over
    ``max_replications``) and ``enough`` (the current run already meets the target).
    """
    if relative is None and absolute is None:
        raise SimcareError("ask for a relative or an absolute half-width (or both)")
    for name, value in (("relative", relative), ("absolute", absolute)):
        if value is not None and not value > 0:
            raise SimcareError(f"the {name} half-width must be positive, got {value!r}")
    kpis = list(kpis)
    t = table[table["kpi"].isin(kpis) & table["group"].isin(list(groups)) & (table["period"] == period)]
    missing = sorted(set(kpis) - {str(k) for k in pd.unique(t["kpi"])})
    if missing:
        raise SimcareError(
            f"no {period!r} values of {', '.join(missing)} for groups {', '.join(groups)} in the KPI table"
        )
    ci = replication_intervals(t, level)
    if (ci["n"] < 2).any():
        raise SimcareError("the precision advisor needs a pilot run of at least 2 replications")
    targets = []
    for mean in ci["mean"]:
        options = [
            v
            for v in (relative * abs(mean) if relative is not None else None, absolute)
            if v is not None and v > 0
        ]
        targets.append(min(options) if options else np.nan)
    ci["target"] = targets
    ci["needed"] = [
        np.nan
        if not np.isfinite(target)
        else (replications_for_precision(sd, target, level, max_replications) or np.nan)
        for sd, target in zip(ci["sd"], ci["target"], strict=True)
    ]
    ci["enough"] = ci["half_width"] <= ci["target"]
    return ci[
        [
            "scenario",
            "kpi",
            "group",
            "period",
            "unit",
            "n",
            "mean",
            "half_width",
            "target",
            "needed",
            "enough",
        ]
    ]
