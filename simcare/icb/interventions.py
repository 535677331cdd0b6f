"""The intervention scenarios ``simcare new-icb`` writes beside an ICB's baseline.

The same interventions as the BNSSG winter set (scenarios/bnssg/, docs/scenarios.md), with the
same lever settings, so that the ICBs' impacts compare like with like, and seven-day working in
discharge (the ``seven_day_discharge`` lever, from the ICB's own published weekend share of
discharges); each file extends the ICB's baseline. Levers act on whatever the baseline has
(every hub, every ED, every D2A service, every trust's beds), so no file names a site.
"""

from __future__ import annotations

from simcare.icb.lookup import Icb
from simcare.icb.national import weekend_discharge_share
from simcare.model.leave_window import weekend_multiplier
from simcare.scenario.levers import TODAY_DISCHARGE_HOURLY, TODAY_WEEKEND

#: name -> (description, levers block): the BNSSG interventions' settings
INTERVENTIONS: dict[str, tuple[str, str]] = {
    "digital_first": (
        "20 % of NHS 111 phone demand moves online (same dispositions, 10 % fall back to phone).",
        "  digital_first: {online_shift: 20%}\n",
    ),
    "integrated_urgent_care": (
        "80 % of 111 ED and ambulance dispositions validated by clinical assessment service clinicians "
        "(20 % in the baseline), six more clinicians on every shift; of those reviewed, 35 % go to "
        "primary care, 10 % to self-care and 15 % to an urgent community hub.",
        "  integrated_urgent_care:\n"
        "    validated: 80%\n"
        "    downgraded: {primary_care: 35%, self_care: 10%, hub: 15%}\n"
        "    extra_clinicians: 6\n",
    ),
    "community_capacity": (
        "Three more clinicians per hub; 25 % of 111 ED dispositions booked into hub slots.",
        "  community_capacity: {extra_clinicians: 3}\n  booked_slots: {ed_to_hub: 25%}\n",
    ),
    "discharge_capacity": (
        "15 % more discharge-to-assess capacity on pathways 1-3.",
        "  discharge_capacity: {increase: 15%, pathways: [P1, P2, P3]}\n",
    ),
}


SEVEN_DAY = "seven_day_discharge"

#: every intervention file new-icb writes (the four, seven-day discharge and ``combined``), in order
NAMES: tuple[str, ...] = (*INTERVENTIONS, SEVEN_DAY, "combined")


def seven_day_discharge(icb: Icb) -> tuple[str, str]:
    """(description, levers block) of seven-day working in discharge for ``icb``: today's
    weekend multiplier solved from the ICB's published weekend share of discharges (exact, for
    readiness spread over the week: simcare.model.leave_window), else HWE's (ASSUMPTION)."""
    found = weekend_discharge_share(icb)
    if found is None:
        today, source = TODAY_WEEKEND, "ASSUMPTION: Hertfordshire and West Essex's (no published discharges)"
        share_text = "as in Hertfordshire and West Essex"
    else:
        share, period = found
        today = weekend_multiplier(TODAY_DISCHARGE_HOURLY, share)
        source = f"data: weekend discharges {share * 100:.1f} % of the weekday level, {period}"
        share_text = f"{share * 100:.0f} % of the weekday level (published)"
    description = (
        "Seven-day working in discharge: weekends discharge as weekdays do (08:00-22:00), where "
        f"today they discharge {share_text}; the discharge processes are shortened by the wait "
        "today's pattern adds, so today's average stay is the baseline's."
    )
    levers = f"  seven_day_discharge: {{today_weekend: {today:.4f}}}   # {source}\n"
    return description, levers


def intervention_texts(icb: Icb, baseline_file: str) -> dict[str, str]:
    """File stem -> YAML text of each intervention (and ``combined``: all five), extending
    ``baseline_file`` (a name in the same folder)."""
    out = {}
    for name, (description, levers) in INTERVENTIONS.items():
        out[name] = _text(icb, baseline_file, name, description, levers)
    seven_description, seven_levers = seven_day_discharge(icb)
    out[SEVEN_DAY] = _text(
        icb,
        baseline_file,
        SEVEN_DAY,
        seven_description,
        seven_levers,
        settings="today's weekend discharges from the ICB's published figures",
    )
    out["combined"] = _text(
        icb,
        baseline_file,
        "combined",
        "All five: digital-first 111, integrated urgent care, community capacity with booked hub "
        "slots, 15 % more discharge-to-assess capacity and seven-day working in discharge.",
        "".join(levers for _, levers in INTERVENTIONS.values()) + seven_levers,
    )
    return out


def _text(
    icb: Icb,
    baseline_file: str,
    name: str,
    description: str,
    levers: str,
    settings: str = "the BNSSG intervention's settings",
) -> str:
    return (
        f"# {icb.name}: {name.replace('_', ' ')}, {settings} "
        "(written by `simcare new-icb`; docs/new_icb.md)\n"
        f"extends: {baseline_file}\n"
        f"name: {icb.key}_{name}\n"
        f"description: >\n  {description}\n"
        f"levers:\n{levers}"
    )
