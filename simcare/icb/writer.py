# ruff: noqa: E501  (the module is mostly the lines of the YAML file it writes, comments included)
"""Write the baseline winter scenario of any ICB from the national tables (``simcare new-icb``).

The scenario has the shape of the BNSSG model (docs/model.md): one catchment locality, one
type-1 ED, one SDEC unit and one urgent community hub per acute trust, G&A beds per trust,
one discharge-to-assess (D2A) service for the whole ICB, NHS 111 and ambulance. What the
national tables give is set from them (demand by channel, seasonality, growth, beds, lengths
of stay, the D2A flow); what they do not is a documented default, mostly the BNSSG prior scaled
to the ICB's size (:data:`BNSSG` holds those reference values). Every value in the file carries a
comment saying where it came from.

The national tables are by trust, not by hospital: a trust with two type-1 EDs (such as
Lister and the QEII for East and North Hertfordshire) becomes one ED; split it by hand in the
written file where the difference matters.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from simcare.icb.lookup import Icb
from simcare.icb.national import ENGLAND_POPULATION, IcbFacts, TrustFacts

#: the run: winter 2025/26, as the BNSSG baseline
RUN_START, RUN_END = "2025-10-01", "2026-03-31"
BANK_HOLIDAYS = "[2025-12-25, 2025-12-26, 2026-01-01]"
#: growth outside this band is a change of reporting (a provider joining the ICB's return, as
#: Frimley's 2024 figures), not demand: the written growth is capped to it with a note
GROWTH_BAND = (-0.05, 0.10)


@dataclass(frozen=True)
class Reference:
    """The BNSSG uncalibrated prior's sizes (scenarios/bnssg/uncalibrated_winter.yaml) and the
    published BNSSG figures they were set against, from which other ICBs' defaults are scaled."""

    population: float = 945_070  # the six localities' populations (issue 3)
    type1_per_day: float = 807.0  # RVJ + RA7 type-1 attendances a day, April-November 2024
    hub_per_day: float = 359.0  # ICB attendances less type-1, the same months
    cubicles: float = 186.0  # 63 + 78 + 45
    triage_nurses: float = 8.0
    sdec_spaces: float = 68.0
    hub_clinicians: float = 23.0
    d2a_capacity: tuple[float, float, float] = (328.0, 303.0, 247.0)  # P1 visits, P2 and P3 beds
    discharges_per_day: float = 226.0
    discharges_per_admission: float = 0.60  # 226 discharges / 377 emergency admissions a day


BNSSG = Reference()


def _label(text: str) -> str:
    """A label as a YAML double-quoted scalar (trust names hold commas and apostrophes)."""
    return json.dumps(text, ensure_ascii=False)


def short_name(trust_name: str) -> str:
    """A trust's name without "NHS Trust", "NHS Foundation Trust" or a leading "The"."""
    name = re.sub(r"\s+(University\s+)?NHS( Foundation)? Trust$", "", trust_name).removeprefix("The ")
    return name.strip() or trust_name


def _per_head(per_day: float, population: float) -> str:
    """A rate per 1000 people a year, as a scenario rate."""
    return f"{max(per_day, 0.0) * 365.0 / population * 1000.0:.1f}/1000/year"


def _scaled(value: float, factor: float, minimum: int = 1) -> int:
    return max(minimum, int(round(value * factor)))


@dataclass(frozen=True)
class Demand:
    """Per-day flows of the demand balance (see :func:`demand_balance`); ``rate_999`` per 1000
    people a year."""

    ed_walk_in: float
    hub_walk_in: float
    calls_999: float
    contacts_111: float
    rate_999: float


#: per head rates of the channels with no ICB data (BNSSG prior, docs/parameters.md)
RATE_999 = 89.0  # per 1000 a year, AmbSYS June 2022 x population share, less 111 dispositions
RATE_111_PHONE, RATE_111_ONLINE = 246.0, 82.0  # NHS 111 MDS 2015-17, 75 % by phone
RATE_SDEC, RATE_DIRECT = 44.0, 1.7  # GP referrals to SDEC and to a bed, per 1000 a year
CONVEYED = 0.55  # AmbSYS: of 999 incidents, conveyed to ED (not heard or seen and treated)
DISPOSITION_ED, DISPOSITION_AMBULANCE, DISPOSITION_HUB = 0.064, 0.109, 0.043
#: share of the ed_arrivals profile between 08:00 and 22:00, when the hubs are open
HUB_OPEN_SHARE = 1.0 - (0.91 + 0.76 + 0.64 + 0.52 + 0.43 + 0.37 + 0.33 + 0.34 + 0.41 + 0.60) / 24.0
HUB_TO_ED = 0.05


def demand_balance(facts: IcbFacts) -> Demand:
    """The walk-in flows that, with the default 111 and 999 channels, give the ICB's published
    type-1 and other attendances (per day). Type-1 arrivals are walk-ins, ambulance conveyances
    (999 and 111 ambulance dispositions), 111 ED dispositions, hub walk-ins that come while the
    hubs are shut and hub patients sent on; hub attendances are walk-ins while open and 111 hub
    dispositions. Solved for the two walk-in flows. Where BNSSG's 999 rate would leave type-1
    walk-ins under 20 % of type-1 attendances (an ICB whose type-1 EDs are few for its people,
    Cornwall's), the 999 rate is lowered until they are 20 %."""
    people = facts.population / 365.0 / 1000.0
    contacts = (RATE_111_PHONE + RATE_111_ONLINE) * people
    hub_walk_in = max(
        (facts.hub_attendances - contacts * DISPOSITION_HUB) / HUB_OPEN_SHARE, 0.05 * facts.hub_attendances
    )
    others = contacts * DISPOSITION_AMBULANCE * CONVEYED + contacts * DISPOSITION_ED
    others += (1 - HUB_OPEN_SHARE) * hub_walk_in + HUB_TO_ED * facts.hub_attendances
    rate = RATE_999
    ed_walk_in = facts.type1 - rate * people * CONVEYED - others
    if ed_walk_in < 0.2 * facts.type1:
        ed_walk_in = 0.2 * facts.type1
        rate = max((facts.type1 - ed_walk_in - others) / (people * CONVEYED), 0.1 * RATE_999)
    return Demand(ed_walk_in, hub_walk_in, rate * people, contacts, rate)


def _lines(*blocks: Iterable[str]) -> str:
    return "\n".join(line for block in blocks for line in block) + "\n"


def _header(icb: Icb, facts: IcbFacts) -> list[str]:
    sites = ", ".join(f"{t.name} ({t.code})" for t in icb.acute)
    return [
        f"# {icb.name} ({icb.code}): uncalibrated baseline, winter 2025/26, written by `simcare new-icb`",
        "# from the national tables shipped with simcare (simcare/data/national/SOURCES.md).",
        f"# Acute trusts with type-1 EDs: {sites}.",
        "# One ED, SDEC and urgent community hub per acute trust (the tables are by trust, not by",
        "# hospital); one discharge-to-assess service for the ICB (the NCTR and discharge tables are by ICB).",
        '# "data:" values come from the national tables (April-November 2024 unless said); "scaled:"',
        "# values are the BNSSG prior's (scenarios/bnssg/uncalibrated_winter.yaml, docs/parameters.md)",
        '# in proportion to this ICB\'s activity; "ASSUMPTION:" values are the BNSSG prior as it is.',
        f"name: {icb.key}_uncalibrated_winter",
        "description: >",
        f"  {icb.name} urgent and emergency care, winter 2025/26, uncalibrated baseline written by",
        "  simcare new-icb from the published national activity data (April-November 2024).",
        "",
        "run:",
        f"  start: {RUN_START}",
        f"  end: {RUN_END}",
        "  warm_up: 52w                 # ASSUMPTION: as BNSSG (D2A stocks take most of a year to settle)",
        "  replications: 1",
        "  seed: 2025",
        "",
    ]


def _localities(icb: Icb, facts: IcbFacts) -> list[str]:
    total = facts.type1
    out = [
        "localities:                    # one catchment per acute trust: people in proportion to its type-1 attendances",
        "                               # (its ED receives the catchment's ambulances, so its cubicles must match);",
        f"                               # population estimated: the ICB's attendances ({facts.attendances:.0f} a day) over",
        f"                               # England's per head (all ICBs' attendances / ONS mid-2023 {ENGLAND_POPULATION:,})",
    ]
    for trust, tf in zip(icb.acute, facts.trusts, strict=True):
        people = facts.population * tf.type1 / total
        out.append(
            f"  {trust.key}_area: {{label: {_label(short_name(trust.name) + ' area')}, population: {people:.0f}, "
            f"local_authority: {icb.key}, "
            f"ed_site: {trust.key}_ed, hub: {trust.key}_utc}}   # data: {tf.type1:.0f} type-1 attendances a day at {trust.code}"
        )
    return [*out, ""]


def _calendar(facts: IcbFacts) -> list[str]:
    growth = min(max(facts.growth, GROWTH_BAND[0]), GROWTH_BAND[1])
    note = (
        ""
        if growth == facts.growth
        else f"; capped from {facts.growth:+.1%}: a change of reporting, not demand"
    )
    names = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    months = ", ".join(f"{n}: {facts.monthly[i + 1]:.3f}" for i, n in enumerate(names))
    return [
        "calendar:",
        f"  growth: {100 * growth:.1f}%                 # data: ICB attendances Apr-Nov 2024 on Apr-Nov 2023{note}",
        "  growth_base: 2024-07-01      # the middle of the reference window",
        f"  monthly: {{{months}}}   # data: ICB attendances 2022-24, log-linear fit with a trend",
        f"  bank_holidays: {BANK_HOLIDAYS}   # gov.uk bank holidays (England)",
        "  bank_holiday_factor: 0.9     # ASSUMPTION: as BNSSG (Sunday-like)",
        "  surges: []                   # the month factors carry the average winter",
        "",
    ]


PROFILES = [
    "profiles:                      # ASSUMPTION: as BNSSG (national HES A&E arrivals by hour; NHS 111 MDS)",
    "  ed_arrivals:",
    "    hourly: [0.64, 0.52, 0.43, 0.37, 0.33, 0.34, 0.41, 0.60, 0.98, 1.34, 1.55, 1.57,",
    "             1.49, 1.44, 1.42, 1.39, 1.37, 1.37, 1.34, 1.26, 1.15, 1.03, 0.91, 0.76]",
    "    weekday: [1.10, 0.98, 0.98, 0.98, 0.98, 0.98, 1.00]",
    "  calls_111:",
    "    hourly: [0.55, 0.40, 0.30, 0.25, 0.22, 0.25, 0.40, 0.70, 1.10, 1.30, 1.30, 1.25,",
    "             1.20, 1.15, 1.15, 1.20, 1.30, 1.45, 1.55, 1.55, 1.45, 1.25, 1.00, 0.75]",
    "    weekday: [0.90, 0.80, 0.80, 0.80, 0.90, 1.40, 1.40]",
    "  daytime:",
    "    hourly: [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.30, 1.50, 2.20, 2.40, 2.40,",
    "             2.20, 2.10, 2.00, 1.90, 1.70, 1.20, 0.60, 0.30, 0.15, 0.10, 0.05, 0.05]",
    "    weekday: [1.15, 1.10, 1.10, 1.10, 1.10, 0.70, 0.65]",
    "",
]


def _demand(facts: IcbFacts) -> list[str]:
    d = demand_balance(facts)
    p = facts.population
    return [
        "demand:                        # per head of the localities' populations",
        "  ed_walk_in:",
        f"    rate: {_per_head(d.ed_walk_in, p)}   # data: type-1 {facts.type1:.0f} a day less conveyances, 111 and hub referrals",
        "    profile: ed_arrivals",
        "    acuity: {resus: 0.02, major: 0.38, minor: 0.60}     # ASSUMPTION: as BNSSG (ECDS acuity shape)",
        "  hub_walk_in:",
        f"    rate: {_per_head(d.hub_walk_in, p)}   # data: other attendances {facts.hub_attendances:.0f} a day less 111 referrals,",
        "    profile: ed_arrivals                 # grossed up for the hours the hubs are shut",
        "    acuity: {resus: 0.0, major: 0.10, minor: 0.90}",
        "  call_999:",
        f"    rate: {d.rate_999:.1f}/1000/year         # "
        + (
            "ASSUMPTION: BNSSG's (AmbSYS June 2022 per head)"
            if d.rate_999 == RATE_999
            else f"scaled: BNSSG's {RATE_999:g} lowered so type-1 walk-ins are 20 % of type-1 attendances"
        ),
        "    profile: ed_arrivals",
        "    acuity: {resus: 0.15, major: 0.75, minor: 0.10}",
        "  phone_111:",
        f"    rate: {RATE_111_PHONE:g}/1000/year        # ASSUMPTION: NHS 111 MDS 2015-17 per head, 75 % by phone",
        "    profile: calls_111",
        "    acuity: {resus: 0.02, major: 0.38, minor: 0.60}",
        "  online_111:",
        f"    rate: {RATE_111_ONLINE:g}/1000/year         # ASSUMPTION: 25 % of 111 contacts online",
        "    profile: calls_111",
        "    acuity: {resus: 0.0, major: 0.30, minor: 0.70}",
        "  gp_referral_sdec:",
        f"    rate: {RATE_SDEC:g}/1000/year         # ASSUMPTION: BNSSG's same-day emergency admissions not via A&E",
        "    profile: daytime",
        "    acuity: {resus: 0.0, major: 1.0, minor: 0.0}",
        "  gp_referral_admission:",
        f"    rate: {RATE_DIRECT:g}/1000/year        # ASSUMPTION: as BNSSG",
        "    profile: daytime",
        "    acuity: {resus: 0.0, major: 1.0, minor: 0.0}",
        "",
    ]


def _nhs111_and_ambulance(facts: IcbFacts) -> list[str]:
    k = facts.population / BNSSG.population
    s = f"scaled: BNSSG's x {k:.2f} (population)"
    return [
        "nhs111:",
        "  phone:",
        f"    handlers:                  # {s}",
        f"      default: {_scaled(5, k)}",
        "      shifts:",
        f'        - {{days: weekdays, from: "08:00", to: "22:00", servers: {_scaled(10, k)}}}',
        f'        - {{days: weekends, from: "08:00", to: "22:00", servers: {_scaled(15, k)}}}',
        "    handling_time: {dist: lognormal, mean: 10min, sd: 6min}   # ASSUMPTION: as BNSSG",
        "    patience: {dist: exponential, mean: 20min}",
        "    retry: 50%",
        "    retry_delay: 15min",
        "  online:",
        "    completion_time: {dist: lognormal, mean: 12min, sd: 8min}  # ASSUMPTION: as BNSSG",
        "    fallback_to_phone: 10%",
        "  dispositions: {self_care: 0.251, primary_care: 0.533, hub: 0.043, sdec: 0.0, ed: 0.064, ambulance: 0.109}"
        "  # NHS 111 MDS Dec 2017",
        "  cas:",
        f"    clinicians:                # {s}",
        f"      default: {_scaled(3, k)}",
        f'      shifts: [{{days: all, from: "08:00", to: "24:00", servers: {_scaled(6, k)}}}]',
        "    assessment_time: {dist: lognormal, mean: 20min, sd: 10min}   # ASSUMPTION: as BNSSG",
        "    validated: 20%",
        "    downgraded: {primary_care: 30%, self_care: 10%, hub: 10%}",
        "",
        "ambulance:",
        f"  crews:                       # {s}",
        f"    default: {_scaled(26, k)}",
        f'    shifts: [{{days: all, from: "08:00", to: "24:00", servers: {_scaled(36, k)}}}]',
        "  job_cycle: {dist: lognormal, mean: 90min, sd: 40min}   # ASSUMPTION: as BNSSG",
        "  hear_and_treat: 15%          # ASSUMPTION: AmbSYS national pattern (55 % conveyed)",
        "  see_and_treat: 30%",
        "  handover_release: none",
        "",
    ]


def _hubs_and_sdec(icb: Icb, facts: IcbFacts) -> list[str]:
    total = facts.type1
    hubs = [
        "hubs:                          # hub volume shared by catchment population; hours: ASSUMPTION as BNSSG"
    ]
    sdec = [
        "sdec:                          # spaces scaled from BNSSG by type-1 attendances; hours, stay: ASSUMPTION"
    ]
    for trust, tf in zip(icb.acute, facts.trusts, strict=True):
        volume = facts.hub_attendances * tf.type1 / total
        hubs += [
            f"  {trust.key}_utc:",
            f"    label: {_label(short_name(trust.name) + ' area urgent treatment')}",
            f"    clinicians: {_scaled(volume, BNSSG.hub_clinicians / BNSSG.hub_per_day, 2)}"
            f"          # scaled: {volume:.0f} attendances a day x BNSSG's clinicians per attendance",
            '    opening_hours: [{days: all, from: "08:00", to: "22:00"}]',
            "    treatment_time: {dist: lognormal, mean: 45min, sd: 30min}",
            "    to_ed: 5%",
        ]
        sdec += [
            f"  {trust.key}_ed:",
            f"    spaces: {_scaled(tf.type1, BNSSG.sdec_spaces / BNSSG.type1_per_day, 4)}",
            '    opening_hours: [{days: all, from: "08:00", to: "20:00"}]',
            "    treatment_time: {dist: lognormal, mean: 4h, sd: 2h}",
            "    admitted: 5%",
        ]
    return [*hubs, "", *sdec, ""]


#: BNSSG: admissions from its EDs per emergency admission (RVJ 0.61, RA7 0.73; the rest are
#: SDEC and direct admissions), and the ED admission probability its acuity shares give
VIA_ED, BNSSG_P_ADMIT = 0.68, 0.33


def admission_factor(tf: TrustFacts) -> float:
    """Multiplier of BNSSG's admitted shares so that the trust's ED admits as the published
    admissions say: P(admit) = 0.68 x emergency admissions / type-1 attendances, over BNSSG's."""
    p_admit = VIA_ED * tf.admissions / tf.type1 if tf.type1 > 0 else BNSSG_P_ADMIT
    return min(max(p_admit, 0.08), 0.6) / BNSSG_P_ADMIT


def _pct(share: float, cap: float) -> str:
    return f"{100 * min(share, cap):.0f}%"


def _ed(icb: Icb, facts: IcbFacts) -> list[str]:
    out = ["ed:"]
    for trust, tf in zip(icb.acute, facts.trusts, strict=True):
        per = tf.type1
        f = admission_factor(tf)
        out += [
            f"  {trust.key}_ed:                  # {trust.name}: {per:.0f} type-1 attendances a day (data;"
            f" {tf.type1_share_source})",
            f"    label: {_label(short_name(trust.name) + ' ED')}",
            f"    trust: {trust.key}",
            f"    triage_nurses: {_scaled(per, BNSSG.triage_nurses / BNSSG.type1_per_day, 2)}"
            "           # scaled: BNSSG's per type-1 attendance",
            "    triage_time: {dist: lognormal, mean: 10min, sd: 5min}",
            f"    cubicles: {_scaled(per, BNSSG.cubicles / BNSSG.type1_per_day, 4)}"
            "                # scaled: BNSSG's treatment and boarding spaces per type-1 attendance",
            "    bed_request: {dist: lognormal, mean: 3h, sd: 3h}   # ASSUMPTION: between BNSSG's trusts (2h, 3.5h)",
            f"    acuity:                     # data: BNSSG's shares admitted x {f:.2f}, so that P(admit) is"
            f" {VIA_ED} x {tf.admissions:.0f} emergency admissions / {per:.0f} a day",
            "      resus: {priority: 3, treatment_time: {dist: lognormal, mean: 4h, sd: 2h}, "
            f"admitted: {_pct(0.80 * f, 0.95)}}}",
            "      major: {priority: 2, treatment_time: {dist: lognormal, mean: 3.5h, sd: 2.5h}, "
            f"admitted: {_pct(0.50 * f, 0.9)}, to_sdec: 8%}}",
            "      minor: {priority: 1, treatment_time: {dist: lognormal, mean: 2h, sd: 1.5h}, "
            f"admitted: {_pct(0.07 * f, 0.5)},",
            "              lwbs_patience: {dist: lognormal, mean: 6h, sd: 3h}}",
        ]
    return [*out, ""]


def discharge_ratio(facts: IcbFacts) -> tuple[float, str]:
    """Discharges per emergency admission for the ICB, with its source: the published ratio, or
    BNSSG's where the published one is implausible (a partial discharge return)."""
    admissions = sum(t.admissions for t in facts.trusts)
    ratio = facts.discharges / admissions if admissions > 0 else math.nan
    if 0.35 <= ratio <= 1.0:
        return ratio, f"data: {facts.discharges:.0f} discharges a day ({facts.periods['discharges']})"
    return BNSSG.discharges_per_admission, (
        f"ASSUMPTION: BNSSG's discharges per admission; the published {facts.discharges:.0f} a day is "
        f"{ratio:.2f} per admission, too few for the beds (a partial return)"
    )


def _beds(icb: Icb, facts: IcbFacts) -> list[str]:
    occupied = sum(t.occupied for t in facts.trusts)
    ratio = BNSSG.discharges_per_admission
    out = [
        "beds:                          # data: G&A beds; stays by Little's law over the model's own bed flow",
        f"                               # ({ratio} x emergency admissions: the flow its ED admission shares give, as BNSSG)",
    ]
    for trust, tf in zip(icb.acute, facts.trusts, strict=True):
        nctr = facts.nctr * tf.occupied / occupied
        flow = tf.admissions * ratio
        los = max((tf.occupied - nctr) / flow, 0.5)
        out += [
            f"  {trust.key}:                       # {trust.name}",
            f"    label: {_label(trust.name)}",
            f"    beds: {tf.beds:.0f}                  # data: G&A beds available ({tf.occupied:.0f} occupied)",
            f"    length_of_stay: {{default: {{dist: lognormal, mean: {los:.2f}d, sd: {1.5 * los:.2f}d}}}}"
            f"   # data: ({tf.occupied:.0f} - {nctr:.0f} NCTR) / {flow:.1f} a day; sd: BNSSG's 1.5 x mean",
            "    length_of_stay_trend: {per_year: 1.0, until: 2024-12-01}   # no change; calibration fits it",
            "    pathway: {P0: 0.872, P1: 0.077, P2: 0.029, P3: 0.022}    # ASSUMPTION: BNSSG's average (IPACS)",
            "    discharge_process:         # ASSUMPTION: BNSSG's prior; calibration fits it to the NCTR stock",
            "      P0: {dist: exponential, mean: 2d}",
            "      P1: {dist: exponential, mean: 3d}",
            "      P2: {dist: exponential, mean: 3d}",
            "      P3: {dist: exponential, mean: 3d}",
        ]
    return [*out, ""]


def _discharge(icb: Icb, facts: IcbFacts) -> list[str]:
    ratio, _ = discharge_ratio(facts)
    flow = sum(t.admissions for t in facts.trusts) * ratio
    k = flow / BNSSG.discharges_per_day
    p1, p2, p3 = (_scaled(c, k) for c in BNSSG.d2a_capacity)
    return [
        f"discharge:                     # scaled: BNSSG's D2A capacity x {k:.2f} (discharges a day);",
        "  d2a:                         # stays: BNSSG's capacity-weighted IPACS stays (ASSUMPTION)",
        f"    {icb.key}:",
        f"      P1: {{capacity: {p1}, length_of_stay: {{dist: lognormal, mean: 16.7d, sd: 40.5d}}}}",
        f"      P2: {{capacity: {p2}, length_of_stay: {{dist: lognormal, mean: 39.2d, sd: 26.0d}}}}",
        f"      P3: {{capacity: {p3}, length_of_stay: {{dist: lognormal, mean: 47.6d, sd: 28.0d}}}}",
    ]


def scenario_text(icb: Icb, facts: IcbFacts) -> str:
    """The ICB's baseline winter scenario file (YAML with a comment on every value)."""
    return _lines(
        _header(icb, facts),
        _localities(icb, facts),
        _calendar(facts),
        PROFILES,
        _demand(facts),
        _nhs111_and_ambulance(facts),
        _hubs_and_sdec(icb, facts),
        _ed(icb, facts),
        _beds(icb, facts),
        _discharge(icb, facts),
    )
