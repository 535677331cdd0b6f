"""What each row of the KPI table is about: the level and name of its group, the kind of its
period, the KPI's human label.

The ``group`` column mixes bare names (``bri``, ``rvj``, ``ICB``) with prefixed ones
(``hub:weston_utc``, ``P1:bristol``). The level of a group is its kind in the KPI registry
(:func:`simcare.kpi.registry.group_kind`, the one function that owns the mapping, and the
vocabulary of the ``groups`` column of the KPI reference, :data:`~simcare.kpi.definitions.GROUP_KINDS`):
decided from the compiled scenario (which names are ED sites, trusts), not from the spelling
alone. :func:`group_levels` adds the ``name`` (the group without its ``hub:``, ``sdec:``,
``locality:``, ``acuity:`` or ``disposition:`` prefix); :func:`period_kinds` gives ``run``,
``month`` or ``day`` for each period; :data:`LABELS` the label of every KPI of the registry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from simcare.kpi.registry import REGISTRY, group_kind
from simcare.scenario.compile import CompiledScenario

__all__ = ["LABELS", "group_level", "group_levels", "kpi_labels", "period_kinds"]

#: levels whose groups are spelt ``LEVEL:NAME``; every other group is its own name
_PREFIXED = ("hub", "sdec", "locality", "acuity", "disposition")
_MONTH = re.compile(r"\d{4}-\d{2}", re.ASCII)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def group_level(group: str, cs: CompiledScenario) -> tuple[str, str]:
    """(level, name) of one ``group`` of the KPI table of ``cs``: level is a key of
    :data:`~simcare.kpi.definitions.GROUP_KINDS`. KeyError for a group the scenario cannot have."""
    level = group_kind(group, cs)
    return level, group.partition(":")[2] if level in _PREFIXED else group


def group_levels(groups: npt.ArrayLike, cs: CompiledScenario) -> tuple[np.ndarray, np.ndarray]:
    """(level, name) object arrays of shape (n,) for the ``groups`` (shape (n,)) of ``cs``'s
    KPI table; each distinct group is looked up once. An empty input gives empty arrays."""
    inverse, unique = pd.factorize(np.asarray(groups, dtype=object))
    pairs = [group_level(str(g), cs) for g in unique]
    levels = np.array([p[0] for p in pairs] or [], dtype=object)
    names = np.array([p[1] for p in pairs] or [], dtype=object)
    return levels[inverse], names[inverse]


def period_kinds(periods: npt.ArrayLike) -> np.ndarray:
    """``run``, ``month`` (``YYYY-MM``) or ``day`` (``YYYY-MM-DD``) for each period, shape (n,);
    ValueError for anything else."""
    inverse, unique = pd.factorize(np.asarray(periods, dtype=object))
    kinds = []
    for p in map(str, unique):
        if p == "run":
            kinds.append("run")
        elif _DAY.fullmatch(p):
            kinds.append("day")
        elif _MONTH.fullmatch(p):
            kinds.append("month")
        else:
            raise ValueError(f"{p!r} is not a period (run, YYYY-MM or YYYY-MM-DD)")
    return np.array(kinds, dtype=object)[inverse]


#: KPI name -> a short label for people (the ``label`` column; docs/kpis.md has the definitions)
LABELS: dict[str, str] = {
    "nhs111_calls": "NHS 111 calls",
    "nhs111_answered_60s": "NHS 111 calls answered within 60 s",
    "nhs111_answer_mean": "NHS 111 mean time to answer",
    "nhs111_abandoned": "NHS 111 calls abandoned",
    "nhs111_online": "NHS 111 online assessments",
    "nhs111_online_share": "NHS 111 first contacts made online",
    "nhs111_dispositions": "NHS 111 disposition mix",
    "conveyances": "ambulance conveyances to A&E",
    "handover_mean": "mean ambulance handover time",
    "handover_over_15": "handovers over 15 minutes",
    "handover_over_30": "handovers over 30 minutes",
    "handover_over_60": "handovers over 60 minutes",
    "crew_hours_lost": "ambulance crew hours lost to handover delays",
    "crews_at_handover": "ambulance crews waiting at handover",
    "ambulance_response_mean": "mean time to allocate an ambulance crew",
    "ambulance_response_p90": "90th centile time to allocate an ambulance crew",
    "ambulance_queue": "999 calls waiting for a crew",
    "ae_attendances": "A&E attendances",
    "ae_within_4h": "A&E attendances within 4 hours",
    "ae_over_12h": "A&E attendances over 12 hours",
    "dta_over_4h": "waits over 4 hours from decision to admit",
    "dta_over_12h": "waits over 12 hours from decision to admit",
    "lwbs": "left without being seen",
    "time_in_dept_mean": "mean time in the ED",
    "time_in_dept_p95": "95th centile time in the ED",
    "ed_occupancy": "ED cubicle occupancy",
    "ed_boarding": "admitted patients boarding in the ED",
    "hub_attendances": "urgent community hub attendances",
    "hub_within_4h": "hub attendances within 4 hours",
    "hub_utilisation": "hub clinician utilisation",
    "ga_occupancy": "G&A bed occupancy",
    "ga_beds": "G&A beds in force",
    "ga_beds_occupied": "G&A beds occupied",
    "ga_occupancy_peak": "highest daily G&A bed occupancy",
    "ga_days_over_92": "days with G&A occupancy over 92 %",
    "ga_days_over_95": "days with G&A occupancy over 95 %",
    "nctr": "patients with no criteria to reside",
    "lost_bed_days": "bed days lost to no criteria to reside",
    "nctr_by_reason": "no criteria to reside, by reason",
    "emergency_admissions": "emergency admissions to G&A beds",
    "discharges": "discharges from G&A beds",
    "d2a_queue": "patients waiting for a discharge-to-assess place",
    "d2a_wait": "mean wait for a discharge-to-assess place",
    "d2a_occupancy": "discharge-to-assess occupancy",
    "sdec_attendances": "same-day emergency care attendances",
    "emergency_admissions_all": "all emergency admissions",
    "dta_over_4h_pct": "admissions waiting 4 h+ from decision to admit",
}


def kpi_labels(kpis: Sequence[str] | npt.ArrayLike) -> np.ndarray:
    """The label (:data:`LABELS`) of each KPI name, shape (n,); KeyError for a name the
    registry does not have."""
    inverse, unique = pd.factorize(np.asarray(kpis, dtype=object))
    for k in unique:
        if k not in REGISTRY:
            raise KeyError(f"{k!r} is not a KPI of the registry")
    return np.array([LABELS[k] for k in unique], dtype=object)[inverse]
