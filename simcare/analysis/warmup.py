"""Warm-up detection by MSER-5 on daily series, and the daily series it is applied to.

MSER-5 (White, 1997; Hoad, Robinson and Davies, 2010): cut the series into batches of 5
observations (an incomplete last batch is dropped) with means Z_1 .. Z_k, and for each candidate
truncation of d batches (0 <= d <= k / 2) compute

    MSER(d) = sum_{i > d} (Z_i - mean(Z_{d+1..k}))^2 / (k - d)^2 ,

the squared standard error of the truncated mean. The warm-up is 5 d* observations with d* the
minimising d. Applied to the mean over replications of a daily series (days from the first
simulated day, warm-up included), it says how many days the system needs to settle from how the
run started (empty, or a census). A scenario started from a census has no warm-up to cut; MSER-5
then checks that the census start does not itself leave a transient.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simcare.engine.result import RunResult
from simcare.errors import SimcareError
from simcare.scenario.compile import CompiledScenario

BATCH = 5

#: Daily series checked for a warm-up: (name, plain label).
WARMUP_SERIES = {
    "ga_beds_occupied": "G&A beds occupied (ICB)",
    "nctr": "patients with no criteria to reside (ICB)",
    "d2a_in_service": "patients in discharge-to-assess services",
}


@dataclass(frozen=True)
class Mser:
    """MSER-5 of one series: ``truncation`` observations to cut (a multiple of ``batch``),
    ``statistic`` MSER(d) for d = 0 .. k // 2 (squared units of the series) and ``n`` the
    series' length."""

    truncation: int
    statistic: np.ndarray
    n: int
    batch: int = BATCH

    @property
    def at_limit(self) -> bool:
        """True if the minimum is at the largest allowed truncation (half the series): the series
        may not settle at all, and a longer run or a different start is needed."""
        return self.truncation // self.batch == self.statistic.shape[0] - 1


def mser(series: np.ndarray, batch: int = BATCH) -> Mser:
    """MSER with batches of ``batch`` observations (MSER-5 for batch = 5) of a 1-D series."""
    x = np.asarray(series, dtype=np.float64).ravel()
    if not np.isfinite(x).all():
        raise SimcareError("MSER needs a series without missing values")
    k = x.shape[0] // batch
    if k < 4:
        raise SimcareError(f"MSER-{batch} needs at least {4 * batch} observations, got {x.shape[0]}")
    z = x[: k * batch].reshape(k, batch).mean(axis=1)
    dmax = k // 2
    stat = np.empty(dmax + 1)
    for d in range(dmax + 1):
        tail = z[d:]
        stat[d] = np.sum((tail - tail.mean()) ** 2) / (k - d) ** 2
    return Mser(truncation=int(np.argmin(stat)) * batch, statistic=stat, n=x.shape[0], batch=batch)


def daily_state_series(result: RunResult, cs: CompiledScenario) -> pd.DataFrame:
    """Daily means of the state series MSER-5 is applied to, over every simulated day (warm-up
    included): columns ``series, day`` (0 = first simulated day), ``date`` (ISO), ``value``
    (patients, time-weighted mean over the day)."""
    names = result.service_names
    H = result.in_service.shape[1]
    days = H // 24
    beds = [names.index(f"beds:{t}") for t in cs.trusts if f"beds:{t}" in names]
    d2a = [i for i, n in enumerate(names) if n.startswith("d2a:")]
    series = {
        "ga_beds_occupied": (result.in_service[beds] + result.blocked[beds]).sum(axis=0),
        "nctr": result.blocked[beds].sum(axis=0),
        "d2a_in_service": result.in_service[d2a].sum(axis=0) if d2a else None,
    }
    dates = [(cs.timeline.origin + dt.timedelta(days=d)).isoformat() for d in range(days)]
    frames = []
    for name, hourly in series.items():
        if hourly is None or not beds:
            continue
        daily = np.asarray(hourly)[: days * 24].reshape(days, 24).mean(axis=1)
        frames.append(pd.DataFrame({"series": name, "day": np.arange(days), "date": dates, "value": daily}))
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["series", "day", "date", "value"])
    )


def warmup_table(daily: pd.DataFrame, warm_up_days: Mapping[str, int]) -> pd.DataFrame:
    """MSER-5 on the mean over replications of each scenario's daily series.

    ``daily``: columns ``scenario, replication, series, day, date, value`` (from
    :func:`daily_state_series`); ``warm_up_days``: each scenario's configured warm-up (days).
    Series shorter than 20 days are skipped. Returns one row per (scenario, series): ``label``,
    ``configured_days``, ``mser5_days`` (days
    from the first simulated day), ``mser5_date``, ``at_limit`` and ``enough`` (the configured
    warm-up covers the MSER-5 truncation).
    """
    rows = []
    for (scenario, series), g in daily.groupby(["scenario", "series"], sort=True):
        mean = g.groupby("day")["value"].mean().sort_index()
        if mean.shape[0] < 4 * BATCH:
            continue  # too short to say anything; the report says no check was possible
        dates = g.groupby("day")["date"].first().sort_index()
        m = mser(mean.to_numpy())
        configured = int(warm_up_days.get(str(scenario), 0))
        rows.append(
            {
                "scenario": scenario,
                "series": series,
                "label": WARMUP_SERIES.get(str(series), str(series)),
                "configured_days": configured,
                "mser5_days": m.truncation,
                "mser5_date": dates.iloc[min(m.truncation, len(dates) - 1)],
                "at_limit": m.at_limit,
                "enough": m.truncation <= configured and not m.at_limit,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "series",
            "label",
            "configured_days",
            "mser5_days",
            "mser5_date",
            "at_limit",
            "enough",
        ],
    )
