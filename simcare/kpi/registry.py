"""Every KPI simcare reports, by name; their definitions as a table (for reports and docs); the
kind of each group name."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from simcare.kpi import admissions, ae, ambulance, beds, d2a, nhs111
from simcare.kpi.beds import REASONS
from simcare.kpi.definitions import KPI
from simcare.kpi.mid import MIDS
from simcare.scenario.compile import PATHWAYS, CompiledScenario


def _with_mid(kpis: tuple[KPI, ...]) -> tuple[KPI, ...]:
    """The KPIs with their minimum important difference (a KPI without one is a KeyError here,
    at import: every KPI must have one)."""
    return tuple(replace(k, mid=MIDS[k.name]) for k in kpis)


SECTIONS: tuple[tuple[str, tuple[KPI, ...]], ...] = (
    ("NHS 111", _with_mid(nhs111.KPIS)),
    ("Ambulance", _with_mid(ambulance.KPIS)),
    ("A&E: type-1 EDs and urgent community hubs", _with_mid(ae.KPIS)),
    ("Acute G&A beds", _with_mid(beds.KPIS)),
    ("Discharge to assess", _with_mid(d2a.KPIS)),
    ("Emergency admissions and same-day emergency care", _with_mid(admissions.KPIS)),
)
KPIS: tuple[KPI, ...] = tuple(k for _, kpis in SECTIONS for k in kpis)
REGISTRY: dict[str, KPI] = {k.name: k for k in KPIS}


def definitions() -> pd.DataFrame:
    """One row per KPI: name, unit, kind, description, source, counted_at, warm_up, groups,
    periods, mid (the minimum important difference in words)."""
    return pd.DataFrame(
        [
            {
                "name": k.name,
                "unit": k.unit,
                "kind": k.kind,
                "description": k.description,
                "source": k.source,
                "counted_at": k.counted_at,
                "warm_up": k.warm_up,
                "groups": ", ".join(k.groups),
                "periods": ", ".join(k.periods),
                "mid": k.mid.text(k.unit) if k.mid else "",
            }
            for k in KPIS
        ]
    )


def group_kind(group: str, cs: CompiledScenario) -> str:
    """The kind (a key of GROUP_KINDS) of a name in the table's ``group`` column, e.g. to keep
    only sites, hubs, trusts and the ICB in a summary."""
    prefix, _, rest = group.partition(":")
    if group == "ICB":
        return "ICB"
    if group in ("type1", "type3"):
        return "type"
    if group in cs.ed_sites:
        return "site"
    if group in cs.trusts:
        return "trust"
    if group in ("P0", *PATHWAYS):
        return "pathway"
    if prefix in ("hub", "acuity", "locality", "disposition") and rest:
        return prefix
    if prefix in PATHWAYS and rest:
        return "d2a"
    if prefix == "sdec" and rest:
        return "sdec"
    if prefix in REASONS and (rest == "ICB" or rest in cs.trusts):
        return "reason"
    raise KeyError(f"{group!r} is not a KPI group of scenario {cs.name!r}")
