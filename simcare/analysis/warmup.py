"""Warm-up checks for seasonal runs, and the daily series they read.

Why not MSER-5 on the run itself. A seasonal run (October-March, demand rising into winter) has
no steady state: MSER-5 applied to its daily series cannot tell the rise of the season from the
initial transient and cuts both (on the BNSSG baseline it asked for 115-130 days against 84
configured, whatever the warm-up). Two checks replace it.

**The coupling check** (:func:`coupling_table`; the one ``simcare run`` / ``compare`` print and
report). The scenario as started (empty with its warm-up, or from its census, with or without a
warm-up) is compared with a *reference run* of the same scenario started empty long before its
reported start (:func:`reference_warm_up_days`: a year, or twice the configured warm-up), with
the same replications and master seed. Both runs see the same calendar, so the season cancels;
only the start differs. Per daily stock (G&A beds occupied, NCTR, D2A in service) and
replication r, D_r(t) = scenario - reference on day t (patients). Over the first
:data:`FIRST_DAYS` (28) reported days, the mean difference m (over days and replications)
is compared with the tolerance

    tol = max(REL_TOL * reference level, t_{0.975, n-1} * sd_b / sqrt(n)),

the larger of :data:`REL_TOL` (1 %) of the reference level and the 95 % half-width of m from the
n = 4 R weekly batch means of D (sd_b their standard deviation). Weekly batches of a stock are
positively correlated, so this interval is, if anything, too narrow (the check errs towards
warning); the 1 % floor keeps it from flagging differences too small to matter. The warm-up is
enough if |m| <= tol. The table also gives the first day from
which every later 4-week window passes the same test ("agrees from"), as information: with many
windows, one may fail by chance. A start from a census is checked the same way, so the check says
whether the census matches the state the model would have reached.

**The stationary twin** (:func:`stationary_twin`, :func:`stationary_daily`, :func:`judge_warmup`,
:func:`warmup_table`; a diagnostic). The same compiled model and start, with every arrival
stream's hourly rate replaced by the week that starts on the first reported day, repeated:
month factors, growth, surges, shocks and bank holidays flattened to their level at the start of
the reported window. On such a run MSER-5 is meaningful:

1. MSER-5 (White, 1997; Hoad, Robinson and Davies, 2010): cut the series x (mean over
   replications, day 0 = first simulated day) into batches of 5 observations (an incomplete last
   batch is dropped) with means Z_1 .. Z_k, and for each candidate truncation of d batches
   (0 <= d <= k / 2) compute

       MSER(d) = sum_{i > d} (Z_i - mean(Z_{d+1..k}))^2 / (k - d)^2 ,

   the squared standard error of the truncated mean; d* = 5 argmin d.
2. The settled level L is the mean of x after d*; F = mean of x[c : c + 28] with c the
   configured warm-up (days).
3. tol = max(REL_TOL * |L|, t_{0.975, b-1} * s_w * sqrt(1/w + 1/b)), s_w the standard deviation
   of the b whole-week means of x after d* and w the number of weeks in F.
4. Enough if MSER-5 did not stop at its limit (half the series) and either d* <= c or
   |F - L| <= tol.

The twin answers a different question: does the model have a steady state at the start's demand
level, and how fast does it reach it from empty? A service loaded beyond its capacity at that
level (a queue that keeps growing) shows as a series that never settles.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from simcare.engine import EngineName, run
from simcare.engine.result import RunResult
from simcare.errors import SimcareError
from simcare.model import services
from simcare.model.compiled import CompiledModel
from simcare.scenario.compile import CompiledScenario

BATCH = 5
#: Relative floor of the tolerance (fraction of the settled level).
REL_TOL = 0.01
#: Days of the first reported weeks compared with the settled level.
FIRST_DAYS = 28
HOURS_PER_WEEK = 168

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
    beds = [names.index(services.beds(t)) for t in cs.trusts if services.beds(t) in names]
    d2a = [i for i, n in enumerate(names) if services.is_kind(n, services.D2A)]
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


def stationary_twin(model: CompiledModel, start_hour: int) -> CompiledModel:
    """The stationary twin of ``model``: every arrival stream's hourly rate (``stream_rate``,
    patients per hour, shape (K, H)) replaced by the rates of the week that starts at hour
    ``start_hour`` (the first reported hour, from the run's origin), repeated over the whole
    horizon in hour-of-week order, before and after ``start_hour``. Nothing else changes
    (census streams, rosters, routing, service laws). If fewer than 168 hours follow
    ``start_hour``, the last whole week of the horizon is used (the whole horizon if shorter)."""
    rate = np.asarray(model.stream_rate, dtype=np.float64)
    H = rate.shape[1]
    if not 0 <= start_hour < max(H, 1):
        raise SimcareError(
            f"stationary twin: start hour {start_hour} is outside the horizon (0 to {H} hours)"
        )
    period = min(HOURS_PER_WEEK, H)
    first = min(start_hour, H - period)
    index = first + (np.arange(H) - first) % period  # index = h (mod period): hour of week kept
    return dataclasses.replace(model, stream_rate=np.ascontiguousarray(rate[:, index]))


def stationary_daily(
    cs: CompiledScenario,
    replications: int,
    seed: int,
    engine: EngineName = "numba",
) -> pd.DataFrame:
    """Daily series (:func:`daily_state_series`) of ``replications`` runs of the stationary twin
    of ``cs`` (:func:`stationary_twin` at the first reported hour), replication r with master
    seed ``seed``: columns ``replication, series, day, date, value`` (patients)."""
    if replications < 1:
        raise SimcareError(f"the warm-up check needs at least 1 replication, got {replications}")
    twin = stationary_twin(cs.model, cs.timeline.warm_up_hours)
    frames = [
        daily_state_series(run(twin, seed=seed, replication=r, engine=engine), cs).assign(replication=r)
        for r in range(replications)
    ]
    return pd.concat(frames, ignore_index=True)[["replication", "series", "day", "date", "value"]]


@dataclass(frozen=True)
class WarmupVerdict:
    """The warm-up check of one daily series (module docstring, steps 1-4).

    mser: MSER-5 of the series; level: settled level L (patients, mean after the MSER-5 cut);
    first_weeks: mean F of the first reported days (patients); tolerance: tol (patients);
    enough: the configured warm-up is long enough."""

    mser: Mser
    level: float
    first_weeks: float
    tolerance: float
    enough: bool

    @property
    def gap(self) -> float:
        """F - L (patients): how far the first reported weeks are from the settled level."""
        return self.first_weeks - self.level


def judge_warmup(series: np.ndarray, configured_days: int) -> WarmupVerdict:
    """Steps 1-4 of the module docstring on one daily series (patients, shape (n,), day 0 the
    first simulated day) of a stationary run, against a configured warm-up of
    ``configured_days`` days (0 for a census start)."""
    x = np.asarray(series, dtype=np.float64).ravel()
    m = mser(x)
    c = max(int(configured_days), 0)
    settled = x[m.truncation :]
    level = float(settled.mean())
    window = x[c : c + FIRST_DAYS] if c < x.shape[0] else x[-1:]
    first = float(window.mean())
    b = settled.shape[0] // 7
    half = 0.0
    if b >= 2:
        weekly = settled[: b * 7].reshape(b, 7).mean(axis=1)
        w = max(window.shape[0] / 7.0, 1.0 / 7.0)
        half = float(stats.t.ppf(0.975, b - 1) * weekly.std(ddof=1) * np.sqrt(1.0 / w + 1.0 / b))
    tol = max(REL_TOL * abs(level), half)
    enough = (not m.at_limit) and (m.truncation <= c or abs(first - level) <= tol)
    return WarmupVerdict(mser=m, level=level, first_weeks=first, tolerance=tol, enough=bool(enough))


WARMUP_COLUMNS = [
    "scenario",
    "series",
    "label",
    "configured_days",
    "mser5_days",
    "mser5_date",
    "at_limit",
    "settled_level",
    "first_weeks_mean",
    "tolerance",
    "enough",
]


def warmup_table(daily: pd.DataFrame, warm_up_days: Mapping[str, int]) -> pd.DataFrame:
    """The warm-up check (:func:`judge_warmup`) on the mean over replications of each scenario's
    daily series.

    ``daily``: columns ``scenario, replication, series, day, date, value`` (from
    :func:`daily_state_series`, normally of the stationary twin: :func:`stationary_daily`);
    ``warm_up_days``: each scenario's configured warm-up (days; 0 for a census start). Series
    shorter than 20 days are skipped. Returns one row per (scenario, series)
    (:data:`WARMUP_COLUMNS`): ``label``, ``configured_days``, ``mser5_days`` (days from the first
    simulated day), ``mser5_date``, ``at_limit``, ``settled_level``, ``first_weeks_mean`` and
    ``tolerance`` (patients) and ``enough`` (the configured warm-up is long enough).
    """
    rows = []
    for (scenario, series), g in daily.groupby(["scenario", "series"], sort=True):
        mean = g.groupby("day")["value"].mean().sort_index()
        if mean.shape[0] < 4 * BATCH:
            continue  # too short to say anything; the report says no check was possible
        dates = g.groupby("day")["date"].first().sort_index()
        configured = int(warm_up_days.get(str(scenario), 0))
        v = judge_warmup(mean.to_numpy(), configured)
        rows.append(
            {
                "scenario": scenario,
                "series": series,
                "label": WARMUP_SERIES.get(str(series), str(series)),
                "configured_days": configured,
                "mser5_days": v.mser.truncation,
                "mser5_date": dates.iloc[min(v.mser.truncation, len(dates) - 1)],
                "at_limit": v.mser.at_limit,
                "settled_level": v.level,
                "first_weeks_mean": v.first_weeks,
                "tolerance": v.tolerance,
                "enough": v.enough,
            }
        )
    return pd.DataFrame(rows, columns=WARMUP_COLUMNS)


# --- the coupling check used by the report -------------------------------------------------------

#: Warm-up (days) of the reference run the coupling check compares a scenario with.
REFERENCE_WARM_UP_DAYS = 364

COUPLING_COLUMNS = [
    "scenario",
    "series",
    "label",
    "configured_days",
    "reference_days",
    "coupled_days",
    "coupled_date",
    "reference_level",
    "difference",
    "tolerance",
    "enough",
]


def reference_warm_up_days(configured_days: int) -> int:
    """Warm-up (days, from empty) of the reference run: :data:`REFERENCE_WARM_UP_DAYS`, or twice
    the configured warm-up if that is longer."""
    return max(REFERENCE_WARM_UP_DAYS, 2 * int(configured_days))


def _agreement(diff: np.ndarray, level: np.ndarray) -> tuple[float, float, float]:
    """(mean difference, tolerance, mean reference level), patients, of per-replication daily
    differences ``diff`` (days, R) and reference levels ``level`` (days, R). The tolerance is
    the 95 % half-width of the mean difference from its n = R x (whole weeks) weekly batch means
    (t with n - 1 degrees of freedom; days instead of weeks for less than a week; 0 if n = 1),
    floored at REL_TOL of the reference level."""
    weeks = diff.shape[0] // 7
    batches = (diff[: weeks * 7].reshape(weeks, 7, -1).mean(axis=1) if weeks else diff).ravel()
    ref = float(level.mean())
    n = batches.shape[0]
    half = float(stats.t.ppf(0.975, n - 1) * batches.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    return float(diff.mean()), max(REL_TOL * abs(ref), half), ref


def coupling_table(
    runs: pd.DataFrame,
    reference: pd.DataFrame,
    configured_days: Mapping[str, int],
    reference_days: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """The coupling check: do the stocks of the scenario as started (empty with its warm-up, or
    from its census) agree, over its first reported weeks, with those of a reference run of the
    same scenario started empty long before (:func:`reference_warm_up_days`)?

    ``runs``, ``reference``: daily series (columns ``scenario, replication, series, day, date,
    value``; :func:`daily_state_series`) of the scenario and of its reference run, replication
    r of each with the same master seed; ``configured_days``: each scenario's configured warm-up
    (days; 0 for a census start without one). Days are matched by date, so the reference's
    longer warm-up is skipped.

    Per series, with D_r(t) = scenario - reference on day t in replication r (patients):

    - ``difference``: the mean of D over the first :data:`FIRST_DAYS` reported days, averaged
      over replications; ``tolerance``: the larger of :data:`REL_TOL` of the reference level and
      the 95 % half-width of that mean from its weekly batch means; ``enough``: |difference| <= tolerance
      (the scenario has forgotten how it started by its first reported day);
    - ``coupled_days``: the first day (from the scenario's first simulated day, in whole weeks)
      from which every 4-week window that starts on a later week passes the same test, -1 if
      none does within the run; ``coupled_date``: that day's date ("" if none).
    """
    rows = []
    keys = ["scenario", "replication", "series", "date"]
    joined = runs[[*keys, "day", "value"]].merge(
        reference[keys + ["value"]].rename(columns={"value": "reference"}), on=keys, how="inner"
    )
    for (scenario, series), g in joined.groupby(["scenario", "series"], sort=True):
        wide = g.pivot_table(index="day", columns="replication", values=["value", "reference"])
        wide = wide.sort_index()
        if wide.shape[0] < FIRST_DAYS:
            continue
        a = wide["value"].to_numpy()
        b = wide["reference"].to_numpy()
        ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
        a, b = a[ok], b[ok]
        days = wide.index.to_numpy()[ok]
        dates = g.groupby("day")["date"].first().reindex(days).to_numpy()
        configured = int(configured_days.get(str(scenario), 0))
        first = np.searchsorted(days, configured)
        window = slice(first, first + FIRST_DAYS)
        if a[window].shape[0] == 0:
            continue
        diff, tol, level = _agreement(a[window] - b[window], b[window])
        coupled = -1
        for start in range(0, a.shape[0] - FIRST_DAYS + 1, 7):
            tail = range(start, a.shape[0] - FIRST_DAYS + 1, 7)
            if all(
                abs(d) <= t
                for d, t, _ in (
                    _agreement(a[s : s + FIRST_DAYS] - b[s : s + FIRST_DAYS], b[s : s + FIRST_DAYS])
                    for s in tail
                )
            ):
                coupled = int(days[start])
                break
        rows.append(
            {
                "scenario": scenario,
                "series": series,
                "label": WARMUP_SERIES.get(str(series), str(series)),
                "configured_days": configured,
                "reference_days": int(
                    (reference_days or {}).get(str(scenario), reference_warm_up_days(configured))
                ),
                "coupled_days": coupled,
                "coupled_date": str(dates[list(days).index(coupled)]) if coupled >= 0 else "",
                "reference_level": level,
                "difference": diff,
                "tolerance": tol,
                "enough": bool(abs(diff) <= tol),
            }
        )
    return pd.DataFrame(rows, columns=COUPLING_COLUMNS)
