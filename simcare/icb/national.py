"""What the national tables say about one ICB: demand, seasonality, growth, beds and discharges.

The tables are package data (``simcare/data/national``, provenance in its ``SOURCES.md``), read
with the checked readers of :mod:`simcare.calibration.published`. Every figure is a mean over
the reference window :data:`WINDOW` (April - November 2024, the latest eight months published,
as for the BNSSG model), per day unless said otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from simcare.calibration import published as P
from simcare.icb.lookup import Icb

#: the reference window (first days of the first and last months, both included)
WINDOW: tuple[str, str] = ("2024-04-01", "2024-11-01")
#: the same months a year earlier, for growth
YEAR_BEFORE: tuple[str, str] = ("2023-04-01", "2023-11-01")
#: the months the seasonal factors are fitted to (all the ICB table has)
SEASON: tuple[str, str] = ("2022-04-01", "2024-11-01")
#: ONS mid-2023 population estimate for England (people); with the ICBs' published attendances
#: it gives the attendances per head that turn an ICB's attendances into a population
ENGLAND_POPULATION = 57_690_300


@contextmanager
def national_dir() -> Iterator[Path]:
    """The folder of the national tables shipped with simcare (a real folder while in use)."""
    with resources.as_file(resources.files("simcare.data.national")) as path:
        yield Path(path)


@dataclass(frozen=True)
class TrustFacts:
    """One acute trust in the reference window: ``attendances`` (all A&E types, per day),
    ``type1_share`` (fraction of them at type-1 EDs) and where it came from, ``admissions``
    (all emergency admissions, per day), ``beds`` and ``occupied`` (G&A, mean of the months)."""

    code: str
    attendances: float
    type1_share: float
    type1_share_source: str
    admissions: float
    beds: float
    occupied: float

    @property
    def type1(self) -> float:
        """Type-1 ED attendances per day."""
        return self.attendances * self.type1_share


@dataclass(frozen=True)
class IcbFacts:
    """One ICB in the reference window. Per day: ``attendances`` (all types, the ICB's own
    published total, which includes UTC/MIU providers), ``nctr`` (patients not meeting the
    criteria to reside, a stock) and ``discharges``. ``growth``: attendances on the same months
    a year before, minus 1. ``monthly``: month (1..12) -> seasonal factor, mean 1.
    ``population``: people, estimated (see :func:`icb_facts`). ``trusts``: the acute trusts.
    ``periods``: ``nctr`` / ``discharges`` -> the period their mean covers, in words."""

    code: str
    attendances: float
    growth: float
    monthly: dict[int, float]
    nctr: float
    discharges: float
    population: float
    trusts: tuple[TrustFacts, ...]
    periods: dict[str, str]

    @property
    def type1(self) -> float:
        """Type-1 ED attendances per day, all its acute trusts."""
        return sum(t.type1 for t in self.trusts)

    @property
    def hub_attendances(self) -> float:
        """Attendances per day that are not at type-1 EDs (UTC, MIU, walk-in centres, type 2)."""
        return max(self.attendances - self.type1, 0.0)


@dataclass(frozen=True)
class Tables:
    """The national tables, read and checked once per process."""

    icb_ae: pd.DataFrame
    trust_ae: pd.DataFrame
    beds: pd.DataFrame
    may2022: pd.DataFrame
    nctr: pd.DataFrame
    discharges: pd.DataFrame


@cache
def tables() -> Tables:
    """Read the national tables (a DataError names a file and column that fail their checks)."""
    with national_dir() as folder:
        nctr = P.icb_nctr_daily(folder, zero_as_missing=False)
        discharges = P.icb_discharges_daily(folder, zero_as_missing=False)
        # a reported 0 is a reporting gap (SOURCES.md), not an empty hospital
        nctr["nctr"] = nctr["nctr"].mask(nctr["nctr"] == 0)
        discharges["discharges"] = discharges["discharges"].mask(discharges["discharges"] == 0)
        return Tables(
            icb_ae=P.icb_ae_monthly(folder),
            trust_ae=P.trust_ae_monthly(folder),
            beds=P.ga_beds_monthly(folder),
            may2022=P.ae_provider_may2022(folder),
            nctr=nctr,
            discharges=discharges,
        )


def _months(df: pd.DataFrame, window: tuple[str, str]) -> pd.DataFrame:
    return df[(df["month"] >= window[0]) & (df["month"] <= window[1])]


def _per_day(monthly: pd.DataFrame, column: str) -> float:
    """Sum of a monthly count over the months, divided by their days."""
    days = monthly["month"].dt.days_in_month.sum()
    return float(monthly[column].sum() / days) if days else float("nan")


def weekend_discharge_share(icb: Icb) -> tuple[float, str] | None:
    """Mean discharges a weekend day over mean discharges a weekday (Monday-Friday) for the ICB,
    over the window (or, where it stopped reporting before it, its last 365 reported days), with
    the period in words; None when it reported fewer than 28 days."""
    rows = tables().discharges
    rows = rows[rows["icb"] == icb.code].dropna(subset=["discharges"])
    end = pd.Timestamp(WINDOW[1]) + pd.offsets.MonthBegin(1)
    inside = rows[(rows["date"] >= WINDOW[0]) & (rows["date"] < end)]
    period = "April-November 2024"
    if len(inside) < 28 and len(rows) >= 28:
        last = rows["date"].max()
        inside = rows[rows["date"] > last - pd.Timedelta(days=365)]
        period = f"the year to {last:%d %B %Y}, its last report"
    if len(inside) < 28:
        return None
    by_day = inside.groupby(inside["date"].dt.day_of_week)["discharges"].mean()
    if len(by_day) < 7 or not by_day[:5].mean() > 0:
        return None
    return float(by_day[5:].mean() / by_day[:5].mean()), period


def _daily_mean(daily: pd.DataFrame, org_col: str, org: str, column: str) -> tuple[float, str]:
    """Mean of a daily series over the window, or, where the ICB stopped reporting before it,
    over its last 365 reported days; with the period it covers, in words."""
    rows = daily[(daily[org_col] == org)].dropna(subset=[column])
    end = pd.Timestamp(WINDOW[1]) + pd.offsets.MonthBegin(1)
    inside = rows[(rows["date"] >= WINDOW[0]) & (rows["date"] < end)]
    if len(inside) >= 28:
        return float(inside[column].mean()), "April-November 2024"
    last = rows["date"].max()
    tail = rows[rows["date"] > last - pd.Timedelta(days=365)]
    return float(tail[column].mean()), f"the year to {last:%d %B %Y}, its last report"


def national_type1_share() -> float:
    """Type-1 share of all attendances at the acute trusts that published the split (May 2022)."""
    may = tables().may2022.dropna(subset=["type1_attendances", "attendances"])
    may = may[may["type1_attendances"] > 0]
    return float(may["type1_attendances"].sum() / may["attendances"].sum())


def attendances_per_head() -> float:
    """A&E attendances a year per person in England: every ICB's total in the window over
    :data:`ENGLAND_POPULATION`."""
    ae = _months(tables().icb_ae, WINDOW).groupby("month")[["attendances"]].sum().reset_index()
    return _per_day(ae, "attendances") * 365.0 / ENGLAND_POPULATION


def seasonal_factors(monthly: pd.DataFrame) -> dict[int, float]:
    """Month -> factor (mean 1) of attendances per day, from a log-linear fit with a trend and
    one term per calendar month, so that growth over the fitted years is not read as season."""
    m = monthly.sort_values("month")
    rate = m["attendances"].to_numpy() / m["month"].dt.days_in_month.to_numpy()
    t = np.arange(len(m), dtype=float)
    months = m["month"].dt.month.to_numpy()
    X = np.column_stack([t] + [(months == k).astype(float) for k in range(1, 13)])
    coef, *_ = np.linalg.lstsq(X, np.log(rate), rcond=None)
    effects = np.exp(coef[1:] - coef[1:].mean())
    effects /= effects.mean()
    return {k + 1: float(effects[k]) for k in range(12)}


def _trust_facts(code: str, share_fallback: float) -> TrustFacts:
    tb = tables()
    ae = _months(tb.trust_ae[tb.trust_ae["trust"] == code], WINDOW)
    beds = _months(tb.beds[tb.beds["trust"] == code], WINDOW)
    may = tb.may2022[tb.may2022["trust"] == code]
    share, source = (
        share_fallback,
        "national type-1 share of acute trusts, May 2022 (trust split not published)",
    )
    if (
        len(may)
        and float(may["attendances"].iloc[0] or 0) > 0
        and float(may["type1_attendances"].fillna(0).iloc[0]) > 0
    ):
        share = float(may["type1_attendances"].iloc[0] / may["attendances"].iloc[0])
        source = "trust's type-1 share of its attendances, May 2022"
    return TrustFacts(
        code=code,
        attendances=_per_day(ae, "attendances"),
        type1_share=share,
        type1_share_source=source,
        admissions=_per_day(ae, "emergency_admissions"),
        beds=float(beds["beds_available"].mean()),
        occupied=float(beds["beds_occupied"].mean()),
    )


def icb_facts(icb: Icb) -> IcbFacts:
    """The figures the ICB's scenario is built from. The population is an estimate: the ICB's
    attendances over England's attendances per head (the national tables have no population);
    an ICB whose residents use A&E more than the average gets a larger population."""
    tb = tables()
    ae = tb.icb_ae[tb.icb_ae["icb"] == icb.code]
    now, before = _months(ae, WINDOW), _months(ae, YEAR_BEFORE)
    attendances = _per_day(now, "attendances")
    share = national_type1_share()
    nctr, nctr_period = _daily_mean(tb.nctr, "icb", icb.code, "nctr")
    discharges, discharges_period = _daily_mean(tb.discharges, "icb", icb.code, "discharges")
    return IcbFacts(
        code=icb.code,
        attendances=attendances,
        growth=attendances / _per_day(before, "attendances") - 1.0,
        monthly=seasonal_factors(_months(ae, SEASON)),
        nctr=nctr,
        discharges=discharges,
        population=attendances * 365.0 / attendances_per_head(),
        trusts=tuple(_trust_facts(t.code, share) for t in icb.acute),
        periods={"nctr": nctr_period, "discharges": discharges_period},
    )
