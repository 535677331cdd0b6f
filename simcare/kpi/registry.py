"""Every KPI simcare reports, by name, and their definitions as a table (for reports and docs)."""

from __future__ import annotations

import pandas as pd

from simcare.kpi import ae, ambulance, beds, d2a, nhs111
from simcare.kpi.definitions import KPI

KPIS: tuple[KPI, ...] = (*nhs111.KPIS, *ambulance.KPIS, *ae.KPIS, *beds.KPIS, *d2a.KPIS)
REGISTRY: dict[str, KPI] = {k.name: k for k in KPIS}
SECTIONS: tuple[tuple[str, tuple[KPI, ...]], ...] = (
    ("NHS 111", nhs111.KPIS),
    ("Ambulance", ambulance.KPIS),
    ("A&E: type-1 EDs and urgent community hubs", ae.KPIS),
    ("Acute G&A beds", beds.KPIS),
    ("Discharge to assess", d2a.KPIS),
)


def definitions() -> pd.DataFrame:
    """One row per KPI: name, unit, kind, description, source, counted_at, warm_up, groups, periods."""
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
            }
            for k in KPIS
        ]
    )
