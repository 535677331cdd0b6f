"""Published BNSSG monthly figures in the model's KPI names and units, labelled by winter.

The winter scenarios run in the future (2025/26) of the published data (to November 2024), so the
report cannot test them month by month; it shows the same calendar months of the most recent
published winters as context. A winter runs October to March and is named by its two years
("winter 2023/24"). Only the readers of :mod:`simcare.calibration.published` are used.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from simcare.calibration import published as pub

#: Published organisation codes -> the model's group names.
GROUPS = {"E54000039": "ICB", "RVJ": "rvj", "RA7": "ra7"}

#: (kpi, group, panel title) of the monthly comparison.
PANELS: tuple[tuple[str, str, str], ...] = (
    ("ae_attendances", "ICB", "A&E attendances per month, ICB (all types)"),
    ("ae_within_4h", "ICB", "% of A&E attendances within 4 hours, ICB"),
    ("ga_occupancy", "rvj", "G&A bed occupancy %, North Bristol (RVJ)"),
    ("ga_occupancy", "ra7", "G&A bed occupancy %, UH Bristol and Weston (RA7)"),
    ("nctr", "ICB", "Patients with no criteria to reside (monthly mean), ICB"),
    ("nctr", "rvj", "Patients with no criteria to reside, RVJ"),
)


def winter_of(month: pd.Timestamp) -> str:
    """'winter 2023/24' for October 2023 - March 2024; '' for April - September."""
    if 4 <= month.month <= 9:
        return ""
    first = month.year if month.month >= 10 else month.year - 1
    return f"winter {first}/{(first + 1) % 100:02d}"


def published_monthly(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Published monthly figures: columns ``kpi, group, month`` ("YYYY-MM"), ``value`` (model
    units: attendances, %, patients) and ``source`` (file)."""
    parts = []
    icb = pub.icb_ae_monthly(data_dir)
    for kpi, column, scale in (("ae_attendances", "attendances", 1.0), ("ae_within_4h", "within_4h", 100.0)):
        parts.append(
            pd.DataFrame(
                {
                    "kpi": kpi,
                    "group": icb["icb"].map(GROUPS),
                    "month": icb["month"],
                    "value": icb[column] * scale,
                    "source": "england_icb_accidents_emergency_bnssg.csv",
                }
            )
        )
    beds = pub.ga_beds_monthly(data_dir)
    beds = beds[beds["trust"].isin(["RVJ", "RA7"])]
    parts.append(
        pd.DataFrame(
            {
                "kpi": "ga_occupancy",
                "group": beds["trust"].map(GROUPS),
                "month": beds["month"],
                "value": beds["occupancy"] * 100.0,
                "source": "england_critical_general_acute_beds_bnssg.csv",
            }
        )
    )
    for reader, org, file in (
        (pub.icb_nctr_daily, "icb", "england_icb_criteria_to_reside_bnssg.csv"),
        (pub.trust_nctr_daily, "trust", "england_trust_criteria_to_reside_bnssg.csv"),
    ):
        daily = reader(data_dir)
        daily = daily.assign(month=daily["date"].dt.to_period("M").dt.to_timestamp())
        monthly = daily.groupby(["month", org])["nctr"].mean().reset_index()
        parts.append(
            pd.DataFrame(
                {
                    "kpi": "nctr",
                    "group": monthly[org].map(GROUPS),
                    "month": monthly["month"],
                    "value": monthly["nctr"],
                    "source": file,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True).dropna(subset=["group", "value"])
    out["winter"] = [winter_of(m) for m in out["month"]]
    out["month"] = out["month"].dt.strftime("%Y-%m")
    return out


def winter_context(published: pd.DataFrame, model_months: Sequence[str], winters: int = 2) -> pd.DataFrame:
    """The published rows of the ``winters`` most recent winters that share calendar months with
    ``model_months`` ("YYYY-MM"), before the model's first month, each labelled
    "published winter 2023/24" (``label``)."""
    if not model_months:
        return published.iloc[0:0].assign(label=[])
    first = min(model_months)
    calendar = {m[5:7] for m in model_months}
    p = published[
        (published["winter"] != "")
        & (published["month"] < first)
        & published["month"].str[5:7].isin(calendar)
    ]
    recent = sorted(set(p["winter"]))[-winters:]
    p = p[p["winter"].isin(recent)]
    return p.assign(label="published " + p["winter"])
