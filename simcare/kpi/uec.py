"""Urgent and emergency care measures of one run: the single entry point ``uec_measures``.

Computed from a RunResult and its CompiledScenario (never inside the engine), as one tidy table
with columns exactly (kpi, group, period, value, unit). The KPIs, their NHS definitions, units,
groups and warm-up rules are in ``simcare.kpi.registry`` (and docs/kpis.md). ``period`` is "run"
(the whole reported window), "YYYY-MM" (calendar month) or "YYYY-MM-DD" (day); counts are totals
in the period.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from simcare.engine.result import RunResult
from simcare.errors import ModelError
from simcare.kpi.context import Context
from simcare.kpi.periods import PERIOD_KINDS
from simcare.kpi.registry import KPIS, REGISTRY
from simcare.scenario.compile import CompiledScenario

COLUMNS = ("kpi", "group", "period", "value", "unit")


def uec_measures(
    result: RunResult,
    cs: CompiledScenario,
    *,
    periods: Sequence[str] = PERIOD_KINDS,
    kpis: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The KPI table of one replication: columns (kpi, group, period, value, unit).

    periods: which of "run", "month", "day" to produce (all by default; batch runs that need only
    run totals pass ("run",)). kpis: names from the registry (all by default). Unknown names raise
    ModelError (field "kpis" or "periods"). A KPI whose service
    the scenario lacks (no ambulance, no hubs) gives no rows; so does a ratio with nothing to
    average in a period.
    """
    if kpis is None:
        chosen = KPIS
    else:
        names = list(kpis)
        for n in names:
            if n not in REGISTRY:
                close = difflib.get_close_matches(n, list(REGISTRY), n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(REGISTRY))}"
                raise ModelError("kpis", f"unknown KPI {n!r}; {hint}")
        chosen = tuple(REGISTRY[n] for n in names)
    ctx = Context(result, cs, periods)
    chosen = tuple(k for k in chosen if not k.requires or any(ctx.has(s) for s in k.requires))
    blocks = [b for k in chosen for b in k.compute(ctx)]
    sizes = [b.values.shape[0] for b in blocks]
    if not blocks:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "value" else object) for c in COLUMNS})
    return pd.DataFrame(
        {
            "kpi": np.repeat(np.array([b.kpi for b in blocks], dtype=object), sizes),
            "group": np.concatenate([b.groups for b in blocks]),
            "period": np.concatenate([b.periods for b in blocks]),
            "value": np.concatenate([b.values for b in blocks]),
            "unit": np.repeat(np.array([b.unit for b in blocks], dtype=object), sizes),
        }
    )


def headline(
    table: pd.DataFrame,
    kpis: Iterable[str] = ("ae_attendances", "ae_within_4h", "ga_occupancy", "nctr", "handover_over_60"),
) -> pd.DataFrame:
    """The run-level values of the main measures, one row per (kpi, group)."""
    t = table[(table["period"] == "run") & table["kpi"].isin(list(kpis))]
    return t.pivot_table(index=["kpi", "unit"], columns="group", values="value", aggfunc="first")
