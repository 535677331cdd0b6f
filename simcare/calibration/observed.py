"""Published monthly figures for any window, any ICB and trusts, with gaps kept as missing.

:func:`monthly_observations` generalises :func:`~simcare.calibration.published.targets_apr_nov_2024`
to a calibration window: it reads the same files through the checked readers of
:mod:`simcare.calibration.published` (which raise :class:`~simcare.errors.DataError` for missing
columns, unparseable dates, negative counts and duplicated months), keeps only the rows of the
ICB and trusts asked for (so the same code reads a newer download or another ICS's rows), and
returns one row per (measure, org, month) of the window. A month with no published value -- a
missing row, an empty cell, or a daily series with no reported day in that month -- is a *gap*:
its value is NaN (never 0) and it is listed in the second frame returned, so callers can report it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from simcare.calibration import published as P
from simcare.errors import DataError

#: measure -> (unit, description); values are per month unless the unit says otherwise.
MEASURES: dict[str, str] = {
    "ae_attendances": "attendances per month",
    "ae_within_4h": "fraction of attendances within 4 h",
    "emergency_admissions": "emergency admissions per month",
    "dta_over_4h": "fraction of emergency admissions over 4 h from decision to admit",
    "ga_beds_available": "G&A beds (monthly mean)",
    "ga_beds_occupied": "G&A beds occupied (monthly mean)",
    "ga_occupancy": "fraction of G&A beds occupied",
    "nctr": "patients not meeting the criteria to reside (daily mean over the month)",
    "discharges_per_day": "acute discharges per day (monthly mean)",
}


def month_range(first: str, last: str) -> pd.DatetimeIndex:
    """Month starts from ``first`` to ``last`` inclusive ('YYYY-MM' or 'YYYY-MM-DD')."""
    try:
        a, b = pd.Timestamp(first).to_period("M"), pd.Timestamp(last).to_period("M")
    except ValueError as exc:
        raise DataError("<window>", None, f"cannot read month {first!r} or {last!r} ({exc})") from exc
    if b < a:
        raise DataError("<window>", None, f"window ends ({last}) before it starts ({first})")
    return pd.period_range(a, b, freq="M").to_timestamp()


def _long(df: pd.DataFrame, org_col: str, pairs: Sequence[tuple[str, str]], source: str) -> pd.DataFrame:
    """Published readers' long rows (month, org, measure, value, source) without units."""
    rows = P.long_rows(df, org_col, [(column, measure, "") for column, measure in pairs], source)
    return pd.concat(rows, ignore_index=True).drop(columns="unit")


def monthly_observations(
    first: str,
    last: str,
    data_dir: str | Path | None = None,
    *,
    icb: str = P.ICB,
    trusts: Sequence[str] = P.TRUSTS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Published monthly figures for ``icb`` and ``trusts`` from ``first`` to ``last`` (months).

    Returns ``(observed, gaps)``. ``observed`` has one row per measure (see :data:`MEASURES`),
    org and month of the window, columns ``month`` (first day), ``org``, ``measure``, ``value``
    (NaN in a gap) and ``source`` (file name). ``gaps`` lists the (``measure``, ``org``,
    ``month``, ``source``) rows whose value is missing. Raises :class:`DataError` if a file is
    malformed, or if the ICB or a trust has no row at all (a typo in a code).
    """
    months = month_range(first, last)
    orgs = [icb, *trusts]
    parts: list[pd.DataFrame] = []
    ae_pairs = [
        ("attendances", "ae_attendances"),
        ("within_4h", "ae_within_4h"),
        ("emergency_admissions", "emergency_admissions"),
        ("dta_over_4h", "dta_over_4h"),
    ]
    icb_ae = P.icb_ae_monthly(data_dir)
    parts.append(_long(icb_ae, "icb", ae_pairs, "england_icb_accidents_emergency_bnssg.csv"))
    trust_ae = P.trust_ae_monthly(data_dir)
    parts.append(_long(trust_ae, "trust", ae_pairs, "england_trust_accidents_emergency_bnssg.csv"))
    beds = P.ga_beds_monthly(data_dir)
    parts.append(
        _long(
            beds,
            "trust",
            [
                ("beds_available", "ga_beds_available"),
                ("beds_occupied", "ga_beds_occupied"),
                ("occupancy", "ga_occupancy"),
            ],
            "england_critical_general_acute_beds_bnssg.csv",
        )
    )
    for reader, org_col, value, measure, source in (
        (P.icb_nctr_daily, "icb", "nctr", "nctr", "england_icb_criteria_to_reside_bnssg.csv"),
        (P.trust_nctr_daily, "trust", "nctr", "nctr", "england_trust_criteria_to_reside_bnssg.csv"),
        (
            P.icb_discharges_daily,
            "icb",
            "discharges",
            "discharges_per_day",
            "england_icb_discharged_patients_bnssg.csv",
        ),
        (
            P.trust_discharges_daily,
            "trust",
            "discharges",
            "discharges_per_day",
            "england_trust_discharged_patients_bnssg.csv",
        ),
    ):
        parts.append(
            _long(P.monthly_daily_mean(reader(data_dir), org_col, value), org_col, [(value, measure)], source)
        )
    data = pd.concat(parts, ignore_index=True)
    for org in orgs:
        if not (data["org"] == org).any():
            known = sorted(set(data["org"]))
            raise DataError(
                P.DATA_DIR if data_dir is None else data_dir,
                None,
                f"no rows for organisation {org!r}; the files have {known}",
            )
    data = data[data["org"].isin(orgs)]
    sources = data.drop_duplicates(["measure", "org"]).set_index(["measure", "org"])["source"]
    grid = pd.MultiIndex.from_tuples(
        [(m, o, t) for (m, o) in sources.index for t in months], names=["measure", "org", "month"]
    )
    observed = data.set_index(["measure", "org", "month"])["value"].reindex(grid).reset_index()
    observed["source"] = [sources[(m, o)] for m, o in zip(observed["measure"], observed["org"], strict=True)]
    observed = observed[["month", "org", "measure", "value", "source"]]
    gaps = observed[observed["value"].isna()][["measure", "org", "month", "source"]]
    return (observed.sort_values(["measure", "org", "month"], ignore_index=True), gaps.reset_index(drop=True))


def describe_gaps(gaps: pd.DataFrame) -> list[str]:
    """One line per (measure, org) with missing months, e.g. ``'nctr RA7: 2022-06 (missing)'``."""
    lines = []
    for (measure, org), g in gaps.groupby(["measure", "org"], sort=True):
        months = ", ".join(pd.DatetimeIndex(g["month"]).strftime("%Y-%m"))
        lines.append(f"{measure} {org}: {months} missing in {g['source'].iloc[0]} (left out, not zero)")
    return lines
