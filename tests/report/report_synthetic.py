"""A synthetic tidy KPI table shaped like a short BNSSG winter (day, month and run rows)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

KPIS = {  # kpi: (unit, groups, level, spread)
    "ae_attendances": ("attendances", ("ICB", "bri", "southmead", "weston"), 1200.0, 60.0),
    "ae_within_4h": ("%", ("ICB", "type1", "bri", "southmead", "weston", "hub:weston_utc"), 70.0, 4.0),
    "ga_occupancy": ("%", ("ICB", "rvj", "ra7"), 95.0, 2.0),
    "ga_beds": ("beds", ("ICB", "rvj", "ra7"), 950.0, 5.0),
    "nctr": ("patients", ("ICB", "rvj", "ra7"), 600.0, 20.0),
    "handover_mean": ("min", ("ICB",), 40.0, 8.0),
    "handover_over_60": ("handovers", ("ICB",), 20.0, 5.0),
    "nhs111_answered_60s": ("%", ("ICB",), 60.0, 6.0),
    "nhs111_answer_mean": ("s", ("ICB",), 40.0, 10.0),
    "crews_at_handover": ("crews", ("ICB",), 5.0, 2.0),
    "ga_beds_occupied": ("beds", ("ICB", "rvj", "ra7"), 900.0, 20.0),
}
START, DAYS = dt.date(2025, 12, 15), 28


def synthetic_table(scenarios: dict[str, float], reps: int = 3, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """Day rows drawn around each KPI's level (+ the scenario's shift), month and run rows their
    means. Seeded by (replication, kpi, group) only, as under common random numbers: scenarios with
    the same shift are identical."""
    days = [(START + dt.timedelta(days=i)).isoformat() for i in range(DAYS)]
    frames = []
    for scenario, shift in scenarios.items():
        for r in range(reps):
            for k, (kpi, (unit, groups, level, spread)) in enumerate(KPIS.items()):
                if kpi in drop:
                    continue
                for j, g in enumerate(groups):
                    rng = np.random.default_rng(np.random.SeedSequence([4301, r, k, j]))
                    v = level + shift + rng.normal(0, spread, DAYS)
                    day = pd.DataFrame({"period": days, "value": v})
                    month = day.groupby(day["period"].str[:7])["value"].mean().reset_index()
                    run = pd.DataFrame({"period": ["run"], "value": [v.mean()]})
                    f = pd.concat([day, month, run], ignore_index=True)
                    frames.append(
                        f.assign(
                            scenario=scenario,
                            replication=r,
                            kpi=kpi,
                            group=g,
                            unit=unit,
                            scenario_hash=f"hash-{scenario}",
                            seed=2025,
                            engine="numba",
                            version="test",
                        )
                    )
    return pd.concat(frames, ignore_index=True)
