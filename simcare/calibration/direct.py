"""What the published data give directly: demand growth and seasonality, bed numbers, conversion.

These are estimated from the fit window's observations alone (nothing after ``--fit-until``), by
closed-form fits, and written into the fitted overlay; only what the data do not give directly is
fitted by simulation (:mod:`simcare.calibration.history`).

- Growth and seasonality: ordinary least squares of ``log(attendances)`` on a linear trend in
  years and month-of-year effects (ICB attendances, all A&E types). ``growth`` = exp(slope) - 1
  per year; the month factors are exp(effect), rescaled to mean 1 over the months present (months
  not in the window keep the scenario's factor).
- Beds: G&A beds available per trust, as a roster whose ``default`` is the mean of the last six
  observed months of the window and whose ``overrides`` hold each observed month's mean (rounded).
- Conversion: emergency admissions per A&E attendance by trust (reported only: the scenario's
  admission fractions are per acuity, and the published admissions include routes other than A&E).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

MONTH_KEYS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _log_daily(s: pd.DataFrame) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """(months, log of the volume per day (N,), years since the first month (N,)) of observed
    rows ``s`` (``month``, ``value``)."""
    month = pd.DatetimeIndex(s["month"])
    y = np.log(s["value"].to_numpy(dtype=float) / month.days_in_month.to_numpy())
    return month, y, (month - month[0]).days.to_numpy() / 365.25


def growth_and_seasonality(series: pd.DataFrame) -> tuple[float, dict[str, float], float]:
    """Annual growth, month factors and the residual sd of log volume from a monthly series.

    ``series`` has columns ``month`` (month starts) and ``value`` (volume per month; NaN gaps are
    left out). Volumes are divided by the days in the month first so that February is not a
    seasonal dip. Needs at least 13 observed months (one month repeated to separate trend from
    season). Returns ``(growth, {month key: factor}, residual sd)``.
    """
    s = series.dropna(subset=["value"])
    if len(s) < 13:
        raise ValueError(f"growth and seasonality need at least 13 observed months, got {len(s)}")
    month, y, years = _log_daily(s)
    present = sorted(set(month.month))
    X = np.column_stack([years] + [(month.month == m).astype(float) for m in present])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    effects = np.exp(coef[1:] - coef[1:].mean())
    factors = {MONTH_KEYS[m - 1]: float(round(f, 4)) for m, f in zip(present, effects, strict=True)}
    dof = max(len(y) - X.shape[1], 1)
    return float(np.expm1(coef[0])), factors, float(np.sqrt(resid @ resid / dof))


def recent_growth(series: pd.DataFrame, factors: Mapping[str, float], months: int) -> float:
    """Annual growth over the last ``months`` observed months of a monthly series, after
    removing the month-of-year ``factors`` (from :func:`growth_and_seasonality` over the whole
    window): least squares of ``log(value / days / factor)`` on years. Projections use it where
    the whole window's trend includes a recovery that is over (needs at least 12 months).
    """
    if months < 12:
        raise ValueError(f"recent growth needs at least 12 months, got {months}")
    s = series.dropna(subset=["value"]).sort_values("month").tail(months)
    if len(s) < 12:
        raise ValueError(f"recent growth needs at least 12 observed months, got {len(s)}")
    month, y, years = _log_daily(s)
    season = np.log([float(factors.get(MONTH_KEYS[m - 1], 1.0)) for m in month.month])
    slope = np.polyfit(years, y - season, 1)[0]
    return float(np.expm1(slope))


def bed_roster(series: pd.DataFrame) -> dict[str, Any]:
    """A beds roster from monthly mean beds available (``month``, ``value``; NaN gaps skipped).

    ``default``: mean of the last six observed months, rounded; ``overrides``: one per observed
    month, from its first to its last day.
    """
    s = series.dropna(subset=["value"]).sort_values("month")
    if s.empty:
        raise ValueError("no observed month of beds available")
    overrides = []
    for month, value in zip(pd.DatetimeIndex(s["month"]), s["value"], strict=True):
        last = month + pd.offsets.MonthEnd(0)
        overrides.append(
            {
                "from": month.date().isoformat(),
                "to": last.date().isoformat(),
                "servers": int(round(float(value))),
            }
        )
    return {"default": int(round(float(s["value"].tail(6).mean()))), "overrides": overrides}


def conversion(observed: pd.DataFrame, orgs: list[str]) -> dict[str, float]:
    """Emergency admissions per A&E attendance over the window, by org (gaps left out)."""
    out = {}
    for org in orgs:
        a = observed[(observed.org == org) & (observed.measure == "ae_attendances")].set_index("month")[
            "value"
        ]
        e = observed[(observed.org == org) & (observed.measure == "emergency_admissions")].set_index("month")[
            "value"
        ]
        both = pd.DataFrame({"a": a, "e": e}).dropna()
        if len(both):
            out[org] = float(both["e"].sum() / both["a"].sum())
    return out


def direct_overlay(
    observed: pd.DataFrame, demand_org: str, beds: Mapping[str, str], prior_monthly: Mapping[str, float]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Overlay values estimated directly from ``observed`` (the fit window only) and a summary.

    ``beds`` maps a scenario trust key (``rvj``) to its data org code (``RVJ``). Returns
    ``(overlay fragment, summary for the report)``. The bed rosters carry dated monthly
    ``overrides``: a scenario may only hold overrides inside its simulated period, so
    :func:`clip_dated` drops the others and the written overlay keeps only the ``default``.
    """
    demand = observed[(observed.measure == "ae_attendances") & (observed.org == demand_org)]
    overlay: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    if demand["value"].notna().sum() >= 13:
        growth, factors, sd = growth_and_seasonality(demand)
        monthly = {k: float(prior_monthly.get(k, 1.0)) for k in MONTH_KEYS}
        monthly.update(factors)
        overlay["calendar"] = {"growth": f"{100 * growth:.2f}%", "monthly": monthly}
        summary["growth per year"] = f"{100 * growth:.2f} %"
        summary["month factors"] = ", ".join(f"{k} {v:.3f}" for k, v in monthly.items())
        summary["residual sd of log monthly attendances"] = f"{sd:.3f}"
    else:
        summary["growth and month factors"] = "kept from the scenario (fewer than 13 observed months)"
    bed_summary = {}
    for key, org in beds.items():
        s = observed[(observed.measure == "ga_beds_available") & (observed.org == org)]
        roster = bed_roster(s)
        overlay.setdefault("beds", {})[key] = {"beds": roster}
        bed_summary[key] = roster["default"]
    summary |= {
        "beds (default, recent six months)": ", ".join(f"{k} {v}" for k, v in bed_summary.items()),
        "admissions per attendance": ", ".join(
            f"{k} {v:.3f}" for k, v in conversion(observed, [demand_org, *beds.values()]).items()
        ),
    }
    return overlay, summary


def clip_dated(doc: dict[str, Any], first: str, last: str) -> dict[str, Any]:
    """``doc`` with bank holidays and bed roster overrides outside ``[first, last]`` (ISO dates) removed."""
    out = dict(doc)
    cal = out.get("calendar")
    if isinstance(cal, dict) and "bank_holidays" in cal:
        out["calendar"] = {
            **cal,
            "bank_holidays": [d for d in cal["bank_holidays"] if first <= str(d) <= last],
        }
    beds = out.get("beds")
    if isinstance(beds, dict):
        out["beds"] = {}
        for key, spec in beds.items():
            roster = spec.get("beds") if isinstance(spec, dict) else None
            if isinstance(roster, dict) and "overrides" in roster:
                kept = [o for o in roster["overrides"] if str(o["from"]) >= first and str(o["to"]) <= last]
                spec = {**spec, "beds": {**roster, "overrides": kept}}
            out["beds"][key] = spec
    return out


def without_overrides(fragment: dict[str, Any]) -> dict[str, Any]:
    """A direct-estimate fragment with the bed rosters reduced to their ``default``."""
    out = dict(fragment)
    if "beds" in out:
        out["beds"] = {k: {**v, "beds": v["beds"]["default"]} for k, v in out["beds"].items()}
    return out
