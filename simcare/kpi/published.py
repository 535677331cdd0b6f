"""Which published series each KPI corresponds to (files in ``calibration/data``), for docs/kpis.md.

``PUBLISHED[kpi]`` is ``(file, column, how the KPI matches it)`` or ``None`` when no published
series in the data the project has matches the KPI's definition. Every registered KPI has an entry
(a test checks), so a new KPI must say what it compares with.
"""

from __future__ import annotations

Series = tuple[str, str, str] | None

_ICB_AE = "england_icb_accidents_emergency_bnssg.csv"
_TRUST_AE = "england_trust_accidents_emergency_bnssg.csv"
_AE = f"{_ICB_AE} (ICB), {_TRUST_AE} (trust)"
_BEDS = "england_critical_general_acute_beds_bnssg.csv"
_NCTR = "england_icb_criteria_to_reside_bnssg.csv, england_trust_criteria_to_reside_bnssg.csv"
_DISCHARGES = "england_icb_discharged_patients_bnssg.csv, england_trust_discharged_patients_bnssg.csv"
_OLD_AE = "ae_attendances_2016_2019_bnssg.csv"
_MAY22 = "ae_provider_may2022_bnssg.csv"

PUBLISHED: dict[str, Series] = {
    "nhs111_calls": None,
    "nhs111_answered_60s": None,
    "nhs111_answer_mean": None,
    "nhs111_abandoned": None,
    "nhs111_online": None,
    "nhs111_online_share": None,
    "nhs111_dispositions": None,
    "conveyances": None,
    "handover_mean": None,
    "handover_over_15": None,
    "handover_over_30": None,
    "handover_over_60": None,
    "crew_hours_lost": None,
    "crews_at_handover": None,
    "ambulance_response_mean": (
        "ambsys_june2022_bnssg.csv",
        "Total Response Time (h) / Incident Count",
        "AmbSYS mean response (call to arrival at scene, SWASFT, June 2022 only); the model's is call "
        "to crew allocated (no travel time): a lower bound, not the same quantity",
    ),
    "ambulance_response_p90": (
        "ambsys_june2022_bnssg.csv",
        "90th Centile Response Time (min:sec)",
        "as ambulance_response_mean; the published text drops whole hours (unusable above 60 min)",
    ),
    "ambulance_queue": None,
    "ae_attendances": (
        _AE,
        "total_attendances",
        "all A&E types per month; the ICB includes UTC/MIU providers (model `ICB`: type 1 + type 3), "
        "trusts only their own departments (model trust: its type-1 EDs; the trust file has RA7's "
        "type-2 eye hospital too)",
    ),
    "ae_within_4h": (
        _AE,
        "1 - attendances_over_4hours / total_attendances",
        "share within 4 h of arrival, all types (observed measure `ae_within_4h`, a fraction: KPI / 100)",
    ),
    "ae_over_12h": None,
    "dta_over_4h": (
        f"{_AE}; {_MAY22}",
        "emergency_admissions_over_4hours; No. patients >= 4h from decisiion to admit to admission",
        "count of emergency admissions waiting over 4 h from decision to admit to admission, per "
        "month (the rate is dta_over_4h_pct)",
    ),
    "dta_over_12h": (
        _MAY22,
        "No. patients >= 12h from decisiion to admit to admission",
        "12-hour trolley waits, May 2022 only",
    ),
    "lwbs": None,
    "time_in_dept_mean": None,
    "time_in_dept_p95": None,
    "ed_occupancy": None,
    "ed_boarding": None,
    "hub_attendances": (
        _OLD_AE,
        "attendances (type other)",
        "type-3 (UTC/MIU/WiC) attendances by provider, April 2016 - March 2019 only; in 2022-24 only "
        "inside the ICB's total_attendances (ICB minus trusts)",
    ),
    "hub_within_4h": (
        _OLD_AE,
        "1 - breaches / attendances (type other)",
        "type-3 4-hour performance, April 2016 - March 2019 only",
    ),
    "hub_utilisation": None,
    "ga_occupancy": (
        f"{_BEDS}; kh03_beds_q4_2021_22_bnssg.csv",
        "general_acute_beds_occupancy_rate; % General Acute Day/Night Beds Occupied",
        "G&A occupancy, monthly mean of the daily sitrep (08:00 counts; the model averages the hours), "
        "a fraction: KPI / 100",
    ),
    "ga_beds": (
        _BEDS,
        "general_acute_beds_available",
        "G&A beds available, monthly mean of the daily sitrep",
    ),
    "ga_beds_occupied": (_BEDS, "general_acute_beds_occupied", "G&A beds occupied, monthly mean"),
    "ga_occupancy_peak": None,
    "ga_days_over_92": None,
    "ga_days_over_95": None,
    "nctr": (
        _NCTR,
        "do_not_meet_criteria_to_reside",
        "daily snapshot of patients with no criteria to reside; monthly mean of the days (zero-reporting "
        "days missing)",
    ),
    "lost_bed_days": None,
    "nctr_by_reason": (
        "england_delayed_discharge_reasons_bnssg.csv",
        "delay_count by delay_reason",
        "June - November 2024, each published reason mapped to one model reason (table below); the "
        "reasons cover about 40 % of the NCTR stock: compare shares, not levels",
    ),
    "emergency_admissions": None,
    "discharges": (
        _DISCHARGES,
        "discharged_total",
        "discharges from acute beds per day (adults, G&A): the model's monthly total over the days",
    ),
    "d2a_queue": None,
    "d2a_wait": None,
    "d2a_occupancy": None,
    "sdec_attendances": None,
    "emergency_admissions_all": (
        _AE,
        "total_emergency_admissions",
        "all emergency admissions, every route, same-day emergency care and zero-night stays included "
        "(observed measure `emergency_admissions`)",
    ),
    "dta_over_4h_pct": (
        _AE,
        "emergency_admissions_over_4hours / total_emergency_admissions",
        "the published trolley-wait rate (observed measure `dta_over_4h`, a fraction: KPI / 100)",
    ),
}

#: Why a KPI has no published series, where the reason is more than "not published for BNSSG".
NOT_PUBLISHED: dict[str, str] = {
    "emergency_admissions": "G&A (overnight) admissions only; the published total includes SDEC and "
    "zero-night stays: compare emergency_admissions_all",
    "sdec_attendances": "no public SDEC activity for BNSSG (calibration/data/SOURCES.md); inside the "
    "published total emergency admissions",
    "ga_occupancy_peak": "the bed file has monthly means only",
    "ga_days_over_92": "the bed file has monthly means only",
    "ga_days_over_95": "the bed file has monthly means only",
    "lost_bed_days": "derived from nctr (the stock times the days)",
    "d2a_queue": "IPACS gives one snapshot (1 January 2023, `dtoc` in "
    "ipacs/IPACS_params_initial_conditions.csv)",
    "d2a_occupancy": "IPACS gives one snapshot (1 January 2023, `occ` over capacity)",
    "ae_over_12h": "12 hours from arrival (ECDS) is not in the A&E files",
    **{
        k: "no NHS 111 data for BNSSG in calibration/data (the dispositions are an assumption from "
        "the 2017 NHS 111 minimum data set)"
        for k in (
            "nhs111_calls",
            "nhs111_answered_60s",
            "nhs111_answer_mean",
            "nhs111_abandoned",
            "nhs111_online",
            "nhs111_online_share",
            "nhs111_dispositions",
        )
    },
    **{
        k: "handover times are not in calibration/data (published in the UEC daily sitrep, not obtained)"
        for k in (
            "handover_mean",
            "handover_over_15",
            "handover_over_30",
            "handover_over_60",
            "crew_hours_lost",
        )
    },
}
