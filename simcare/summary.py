"""A concise per-service summary of one run (waits, utilisation, outcomes)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simcare.engine.result import RunResult
from simcare.model import enums as E


def service_summary(result: RunResult, warmup_hours: float = 0.0) -> pd.DataFrame:
    """Per service, over visits that began after ``warmup_hours``: visits, mean and 95th
    centile wait for service (minutes, visits that started), % turned away and % abandoned,
    and hourly means after the warm-up of patients waiting, in service, blocked and servers."""
    v = result.visits
    cut = warmup_hours * 60.0
    h0 = int(warmup_hours)
    rows = []
    for s, name in enumerate(result.service_names):
        mine = v[(v["service"] == s) & (v["arrival"] >= cut)]
        started = mine[~np.isnan(mine["start"])]
        wait = started["start"] - started["arrival"]
        n = len(mine)
        cap = result.capacity[s, h0:]
        busy = result.in_service[s, h0:] + result.blocked[s, h0:]
        finite = np.isfinite(cap) & (cap > 0)
        util = float(busy[finite].sum() / cap[finite].sum()) if finite.any() else np.nan
        rows.append(
            {
                "service": name,
                "visits": n,
                "mean_wait_min": float(wait.mean()) if len(wait) else np.nan,
                "p95_wait_min": float(np.percentile(wait, 95)) if len(wait) else np.nan,
                "turned_away_pct": 100.0 * np.mean(mine["outcome"] == E.OUT_TURNED_AWAY) if n else np.nan,
                "abandoned_pct": 100.0 * np.mean(mine["outcome"] == E.OUT_ABANDONED) if n else np.nan,
                "mean_waiting": float(result.waiting[s, h0:].mean()),
                "mean_in_service": float(result.in_service[s, h0:].mean()),
                "mean_blocked": float(result.blocked[s, h0:].mean()),
                "utilisation_pct": 100.0 * util,
            }
        )
    return pd.DataFrame(rows).set_index("service")
