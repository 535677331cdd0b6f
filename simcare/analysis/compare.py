"""Paired comparison of scenarios under common random numbers.

Replication r of every scenario uses the same master seed and the same random-number streams for
the same patients, so the difference D_r = X_r(scenario) - X_r(base) removes most of the noise
the two runs share. The D_r are independent over replications, and the mean difference gets the
paired Student-t interval

    mean(D) +- t_{(1 + level) / 2, n - 1} * sd(D) / sqrt(n).

A scenario identical to its base gives D_r = 0 exactly, hence a zero difference and a zero-width
interval. Works on the tidy KPI table (fresh or stored results).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from simcare.analysis.replications import require_columns, t_quantile
from simcare.errors import SimcareError

ROW_KEYS = ["kpi", "group", "period", "unit"]
#: columns that describe a (kpi, group, period) row (simcare.kpi.levels), carried to the output
DESCRIPTORS = ["label", "level", "name", "period_kind"]
#: columns of the tidy table that are neither a row's description nor a scenario's parameter
_RUN_COLUMNS = {"scenario", "replication", "value", "seed", "scenario_hash", "engine", "version"}


def scenario_columns(table: pd.DataFrame) -> list[str]:
    """The columns of ``table`` that describe a scenario rather than a row, such as the grid
    parameters of :func:`simcare.batch.load_store` (``parameters=True``): every column but the
    tidy table's own. SimcareError if one is not constant within a scenario."""
    extra = [c for c in table.columns if c not in _RUN_COLUMNS and c not in ROW_KEYS and c not in DESCRIPTORS]
    for c in extra:
        counts = table.groupby("scenario", sort=False)[c].nunique(dropna=False)
        if (counts > 1).any():
            raise SimcareError(
                f"column {c!r} takes several values within scenario {counts.index[counts > 1][0]!r}: "
                "a parameter column must be constant within a scenario"
            )
    return extra


def paired_differences(
    table: pd.DataFrame, base: str, level: float = 0.95, periods: Iterable[str] | None = None
) -> pd.DataFrame:
    """Differences (scenario - base) of every KPI row, paired by replication.

    ``table``: tidy KPI table with ``scenario, replication, kpi, group, period, value, unit`` and a
    ``seed`` column (the master seed; it must be the same for every scenario, or the runs do not
    share random numbers). ``periods``: keep only these periods (default: all).
    Returns one row per (scenario, kpi, group, period, unit) for every scenario but ``base``, with
    the table's parameter columns (:func:`scenario_columns`, after ``scenario``) and row
    descriptors (label, level, name, period_kind, where the table has them), ``n`` (paired
    replications), ``base_mean``, ``mean`` (the scenario's), ``difference``,
    ``sd`` (of the differences), ``half_width``, ``low``, ``high`` (KPI unit),
    ``relative`` (difference / |base_mean| x 100, %; NaN when the base mean is 0) and
    ``confidence`` (``level``, the interval's confidence level).
    """
    require_columns(table, ["scenario", "replication", "value", "seed", *ROW_KEYS])
    scenarios = [str(s) for s in pd.unique(table["scenario"])]
    if base not in scenarios:
        raise SimcareError(
            f"base scenario {base!r} is not in the KPI table (scenarios: {', '.join(scenarios)})"
        )
    seeds = table.groupby("scenario")["seed"].unique()
    all_seeds = {int(s) for v in seeds for s in v}
    if len(all_seeds) != 1:
        raise SimcareError(
            "scenarios were run with different master seeds "
            f"({', '.join(f'{k}: {list(v)}' for k, v in seeds.items())}); paired "
            "differences need common random numbers: run them with one --seed"
        )
    t = table if periods is None else table[table["period"].isin(list(periods))]
    keys = [*ROW_KEYS, "replication"]
    b = t[t["scenario"] == base]
    if b.duplicated(keys).any():
        raise SimcareError(f"the KPI table has repeated rows for scenario {base!r}")
    base_values = b.set_index(keys)["value"].rename("base")
    out = []
    for name in scenarios:
        if name == base:
            continue
        o = t[t["scenario"] == name]
        if o.duplicated(keys).any():
            raise SimcareError(f"the KPI table has repeated rows for scenario {name!r}")
        reps_b = {int(r) for r in pd.unique(b["replication"])}
        reps_o = {int(r) for r in pd.unique(o["replication"])}
        if reps_b != reps_o:
            raise SimcareError(
                f"scenario {name!r} has replications {sorted(reps_o)} but the base "
                f"{base!r} has {sorted(reps_b)}: pairs need the same replications"
            )
        joined = o.set_index(keys)["value"].to_frame("value").join(base_values, how="inner")
        joined["d"] = joined["value"] - joined["base"]
        g = joined.groupby(level=ROW_KEYS, sort=True, observed=True)
        agg = g.agg(
            n=("d", "count"),
            base_mean=("base", "mean"),
            mean=("value", "mean"),
            difference=("d", "mean"),
            sd=("d", "std"),
        ).reset_index()
        agg.insert(0, "scenario", name)
        out.append(agg)
    if not out:
        raise SimcareError(f"nothing to compare: the KPI table holds only the base {base!r}")
    res = pd.concat(out, ignore_index=True)
    n = res["n"].to_numpy()
    res["half_width"] = t_quantile(level, n) * res["sd"].to_numpy() / np.sqrt(n)
    res["low"] = res["difference"] - res["half_width"]
    res["high"] = res["difference"] + res["half_width"]
    base_abs = res["base_mean"].abs().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        res["relative"] = np.where(base_abs > 0, 100.0 * res["difference"].to_numpy() / base_abs, np.nan)
    res["confidence"] = level
    params = scenario_columns(table)
    if params:
        first = table.drop_duplicates("scenario").set_index("scenario")[params]
        res = res.join(first, on="scenario")
    described = [c for c in DESCRIPTORS if c in table.columns]
    if described:
        desc = t.drop_duplicates(ROW_KEYS).set_index(ROW_KEYS)[described]
        res = res.join(desc, on=ROW_KEYS)
    order = ["scenario", *params, *ROW_KEYS, *described]
    return res[order + [c for c in res.columns if c not in order]]


def verdict(difference: float, low: float, high: float, higher_is_better: bool | None) -> str:
    """Plain words for a difference and its interval: "better", "worse", "higher", "lower",
    "no clear difference" (the interval contains 0) or "no difference" (exactly 0)."""
    if difference == 0 and low == 0 and high == 0:
        return "no difference"
    if not (np.isfinite(low) and np.isfinite(high)) or low <= 0 <= high:
        return "no clear difference"
    up = difference > 0
    if higher_is_better is None:
        return "higher" if up else "lower"
    return "better" if up == higher_is_better else "worse"
