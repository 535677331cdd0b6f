"""Published monthly figures of the system a run models, in the model's KPI names and units,
labelled by winter.

The system is found from the run's trusts (:func:`system_of`): a scenario's trust keys are NHS
trust codes in lower case (``rvj``, ``rwh``), and the ICB whose acute trusts they are is the one
whose published figures are set beside the model. BNSSG's figures come from the BNSSG extracts
of ``calibration/data`` (with trust-level NCTR); every other ICB's from the national tables
shipped with simcare (``simcare/data/national``).

The winter scenarios run in the future (2025/26) of the published data (to November 2024), so the
report cannot test them month by month; it shows the same calendar months of the most recent
published winters as context. A winter runs October to March and is named by its two years
("winter 2023/24"). Only the readers of :mod:`simcare.calibration.published` are used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from pathlib import Path

import pandas as pd

from simcare.calibration import published as pub
from simcare.icb.lookup import Icb, icbs
from simcare.icb.national import national_dir

#: the ICB whose published extracts are in calibration/data (the rest use the national tables)
BNSSG_ICB = "E54000039"

Panel = tuple[str, str, str]


def system_of(trusts: Iterable[str]) -> Icb | None:
    """The ICB whose acute trusts are exactly the model's ``trusts`` (group names, the trust
    codes in lower case), or None: a system simcare has no published figures for."""
    wanted = {t.upper() for t in trusts}
    if not wanted:
        return None
    for icb in icbs():
        if {t.code for t in icb.acute} == wanted:
            return icb
    return None


def panels(icb: Icb, published: pd.DataFrame) -> list[Panel]:
    """(kpi, group, panel title) of the monthly comparison: the ICB's attendances, 4-hour
    performance and NCTR, each trust's bed occupancy (and NCTR where published)."""
    out: list[Panel] = [
        ("ae_attendances", "ICB", f"A&E attendances per month, {icb.name} (all types)"),
        ("ae_within_4h", "ICB", f"% of A&E attendances within 4 hours, {icb.name}"),
    ]
    out += [("ga_occupancy", t.key, f"G&A bed occupancy %, {t.name} ({t.code})") for t in icb.acute]
    out.append(("nctr", "ICB", f"Patients with no criteria to reside (monthly mean), {icb.name}"))
    out += [("nctr", t.key, f"Patients with no criteria to reside, {t.name} ({t.code})") for t in icb.acute]
    have = set(zip(published["kpi"], published["group"], strict=True))
    return [p for p in out if (p[0], p[1]) in have]


def winter_of(month: pd.Timestamp) -> str:
    """'winter 2023/24' for October 2023 - March 2024; '' for April - September."""
    if 4 <= month.month <= 9:
        return ""
    first = month.year if month.month >= 10 else month.year - 1
    return f"winter {first}/{(first + 1) % 100:02d}"


def published_for_system(icb: Icb) -> pd.DataFrame:
    """:func:`published_monthly` of ``icb`` from its data (BNSSG's extracts or the national
    tables), with the ``title`` of each row's panel, rows in the panels' order."""
    folder = nullcontext(None) if icb.code == BNSSG_ICB else national_dir()
    with folder as data_dir:
        published = published_monthly(data_dir, icb=icb.code, trusts=[t.code for t in icb.acute])
    order = panels(icb, published)
    titles = {(k, g): i for i, (k, g, _) in enumerate(order)}
    published = published[
        [(k, g) in titles for k, g in zip(published["kpi"], published["group"], strict=True)]
    ]
    published = published.assign(
        title=[order[titles[(k, g)]][2] for k, g in zip(published["kpi"], published["group"], strict=True)],
        _order=[titles[(k, g)] for k, g in zip(published["kpi"], published["group"], strict=True)],
    )
    return (
        published.sort_values(["_order", "month"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def panel_list(published: pd.DataFrame) -> list[Panel]:
    """The (kpi, group, title) panels of a :func:`published_for_system` frame, in order."""
    rows = published.drop_duplicates(["kpi", "group"])
    return [
        (str(k), str(g), str(t)) for k, g, t in zip(rows["kpi"], rows["group"], rows["title"], strict=True)
    ]


def published_monthly(
    data_dir: str | Path | None = None, *, icb: str = BNSSG_ICB, trusts: Sequence[str] = ("RVJ", "RA7")
) -> pd.DataFrame:
    """Published monthly figures of ICB ``icb`` and its ``trusts`` (codes): columns ``kpi, group,
    month`` ("YYYY-MM"; group ``ICB`` or the trust code in lower case), ``value`` (model units:
    attendances, %, patients) and ``source`` (file). Trust NCTR only where the folder has the
    trust file (the BNSSG extracts do, the national tables do not)."""
    groups = {icb: "ICB", **{t: t.lower() for t in trusts}}
    parts = []
    icb_ae = pub.icb_ae_monthly(data_dir)
    icb_ae = icb_ae[icb_ae["icb"] == icb]
    for kpi, column, scale in (("ae_attendances", "attendances", 1.0), ("ae_within_4h", "within_4h", 100.0)):
        parts.append(
            pd.DataFrame(
                {
                    "kpi": kpi,
                    "group": icb_ae["icb"].map(groups),
                    "month": icb_ae["month"],
                    "value": icb_ae[column] * scale,
                    "source": "england_icb_accidents_emergency_bnssg.csv",
                }
            )
        )
    beds = pub.ga_beds_monthly(data_dir)
    beds = beds[beds["trust"].isin(list(trusts))]
    parts.append(
        pd.DataFrame(
            {
                "kpi": "ga_occupancy",
                "group": beds["trust"].map(groups),
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
        if not pub.has_file(file, data_dir):
            continue
        daily = reader(data_dir)
        daily = daily[daily[org].isin(list(groups))]
        daily = daily.assign(month=daily["date"].dt.to_period("M").dt.to_timestamp())
        monthly = daily.groupby(["month", org])["nctr"].mean().reset_index()
        parts.append(
            pd.DataFrame(
                {
                    "kpi": "nctr",
                    "group": monthly[org].map(groups),
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
