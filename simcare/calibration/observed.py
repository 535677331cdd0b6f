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
    "nctr_capacity": "patients delayed for pathway 1-3 capacity, by the published delay reasons "
    "(daily mean over the month; June 2024 on)",
}

#: measure -> (model KPI whose definition it matches, factor turning the KPI's value into the
#: measure's unit). ``emergency_admissions`` is the published *total* emergency admissions (all
#: routes, same-day emergency care included): the model's ``emergency_admissions_all``, not its
#: G&A-only ``emergency_admissions``; ``dta_over_4h`` is emergency admissions over 4 hours from
#: decision to admit over total emergency admissions, the model's ``dta_over_4h_pct`` / 100.
#: ``discharges_per_day`` is the model's monthly ``discharges`` over the days of the month.
MATCHING_KPI: dict[str, tuple[str, float]] = {
    "ae_attendances": ("ae_attendances", 1.0),
    "ae_within_4h": ("ae_within_4h", 0.01),
    "emergency_admissions": ("emergency_admissions_all", 1.0),
    "dta_over_4h": ("dta_over_4h_pct", 0.01),
    "ga_beds_available": ("ga_beds", 1.0),
    "ga_beds_occupied": ("ga_beds_occupied", 1.0),
    "ga_occupancy": ("ga_occupancy", 0.01),
    "nctr": ("nctr", 1.0),
    "discharges_per_day": ("discharges", 1.0),
    "nctr_capacity": ("nctr_by_reason", 1.0),  # its capacity_P1 + capacity_P2 + capacity_P3 groups
}

#: Model NCTR reasons (the groups of the ``nctr_by_reason`` KPI) and ``other``: published
#: delays the model has no queue for.
MODEL_DELAY_REASONS: tuple[str, ...] = ("capacity_P1", "capacity_P2", "capacity_P3", "process", "other")
DELAY_REASONS_FILE = "england_delayed_discharge_reasons_bnssg.csv"
_PROCESS_CATEGORIES = (
    "hospital process",
    "care transfer hub process",
    "interface process",
    "wellbeing concerns",
)


def model_delay_reason(reason: str) -> str:
    """The model reason (one of :data:`MODEL_DELAY_REASONS`) of a published sitrep delay reason.

    ``Capacity`` reasons naming one pathway 1-3 -> ``capacity_Pk`` (pathway 2 includes mental
    health admitted care, as docs/bnssg_parameters.md groups it); end of life care / fast-track
    CHC ("Pathway 1 or 3") -> ``capacity_P3`` (a care or nursing home place, the larger share; the
    model's P3 queue); other capacity reasons (restart of existing care (P0), housing provision and
    adaptations, equipment) -> ``other``: the model has no queue for them. The hospital, care
    transfer hub and interface process reasons and wellbeing concerns -> ``process``. Raises
    ValueError for a reason of any other category (a new sitrep heading)."""
    category, pathway = P.classify_delay_reason(reason)
    if category == "capacity":
        if pathway in ("P1", "P2", "P3"):
            return f"capacity_{pathway}"
        if "end of life" in reason.lower():
            return "capacity_P3"
        return "other"
    if category in _PROCESS_CATEGORIES:
        return "process"
    raise ValueError(f"delay reason {reason!r} has an unknown heading {category!r}")


def delay_reasons_by_model_reason(
    data_dir: str | Path | None = None, *, icb: str = P.ICB, trusts: Sequence[str] = P.TRUSTS
) -> pd.DataFrame:
    """Published delayed-discharge patients by model reason, per month, trust and ICB.

    Reads ``england_delayed_discharge_reasons_bnssg.csv`` (June - November 2024; columns
    nhs_trust22_code, date, delay_reason, delay_count) through
    :func:`~simcare.calibration.published.delay_reasons_monthly` and maps each published reason to
    one model reason with :func:`model_delay_reason`. Returns one row per (month, org, reason) with
    ``month`` (first day), ``org`` (a trust code or ``icb``: the sum of ``trusts``), ``reason`` (each
    of :data:`MODEL_DELAY_REASONS`, 0 when none), ``patients`` (the monthly figure as published: the
    mean number of delayed patients a day) and ``share`` (fraction of that org-month's reasoned
    delays). The reasons cover about 40 % of the NCTR stock: compare shares, not levels.
    Raises DataError naming the file and column: missing column, bad value, no rows, a reason with
    an unknown heading, or a trust with no rows.
    """
    path = P.DATA_DIR / DELAY_REASONS_FILE if data_dir is None else Path(data_dir) / DELAY_REASONS_FILE
    d = P.delay_reasons_monthly(data_dir)
    if d.empty:
        raise DataError(path, "delay_count", "no rows: the file has a header and nothing else")
    try:
        d["model_reason"] = d["reason"].map(model_delay_reason)
    except ValueError as exc:
        raise DataError(path, "delay_reason", str(exc)) from None
    for trust in trusts:
        if not (d["trust"] == trust).any():
            raise DataError(
                path,
                "nhs_trust22_code",
                f"no rows for trust {trust!r}; the file has {sorted(set(d['trust']))}",
            )
    d = d[d["trust"].isin(list(trusts))]
    by_trust = d.groupby(["month", "trust", "model_reason"])["patients"].sum()
    months = sorted(set(d["month"]))
    grid = pd.MultiIndex.from_product([months, list(trusts), MODEL_DELAY_REASONS])
    by_trust = by_trust.reindex(grid, fill_value=0.0)
    by_trust.index.names = ["month", "org", "reason"]
    icb_rows = by_trust.groupby(level=["month", "reason"]).sum()
    icb_rows = pd.concat({icb: icb_rows}, names=["org"]).reorder_levels(["month", "org", "reason"])
    out = pd.concat([by_trust, icb_rows]).rename("patients").reset_index()
    total = out.groupby(["month", "org"])["patients"].transform("sum")
    out["share"] = (out["patients"] / total.where(total > 0)).astype(float)
    order = {r: i for i, r in enumerate(MODEL_DELAY_REASONS)}
    out["_o"] = out["reason"].map(order)
    out = out.sort_values(["month", "org", "_o"], ignore_index=True).drop(columns="_o")
    return out[["month", "org", "reason", "patients", "share"]]


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
        if org_col == "trust" and not P.has_file(source, data_dir):
            continue  # trust-level NCTR and discharges: BNSSG extracts only, not the national set
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
    # the delay reasons are published from June 2024 only: their series covers its own months
    # (no gaps before), and a window before June 2024 has none of it
    partial: dict[str, set[pd.Timestamp]] = {}
    reasons_dir = P.DATA_DIR if data_dir is None else Path(data_dir)
    if (reasons_dir / DELAY_REASONS_FILE).exists():  # published from June 2024 only; optional
        by_reason = delay_reasons_by_model_reason(data_dir, icb=icb, trusts=trusts)
        capacity = by_reason[by_reason["reason"].str.startswith("capacity_")]
        stock = capacity.groupby(["month", "org"])["patients"].sum()
        reasons = pd.DataFrame(
            {
                "month": stock.index.get_level_values("month"),
                "org": stock.index.get_level_values("org"),
                "measure": "nctr_capacity",
                "value": stock.to_numpy(float),
                "source": DELAY_REASONS_FILE,
            }
        )
        reasons = reasons[reasons["month"].isin(months)]
        if not reasons.empty:
            partial["nctr_capacity"] = set(reasons["month"])
            data = pd.concat([data, reasons], ignore_index=True)
    sources = data.drop_duplicates(["measure", "org"]).set_index(["measure", "org"])["source"]
    grid = pd.MultiIndex.from_tuples(
        [(m, o, t) for (m, o) in sources.index for t in months if m not in partial or t in partial[m]],
        names=["measure", "org", "month"],
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
