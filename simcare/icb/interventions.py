"""The intervention scenarios ``simcare new-icb`` writes beside an ICB's baseline.

The same interventions as the BNSSG winter set (scenarios/bnssg/, docs/scenarios.md), with the
same lever settings, so that the ICBs' impacts compare like with like; each file extends the
ICB's baseline. Levers act on whatever the baseline has (every hub, every ED, every D2A
service), so no file names a site.
"""

from __future__ import annotations

from simcare.icb.lookup import Icb

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


#: every intervention file new-icb writes (the four and ``combined``), in order
NAMES: tuple[str, ...] = (*INTERVENTIONS, "combined")


def intervention_texts(icb: Icb, baseline_file: str) -> dict[str, str]:
    """File stem -> YAML text of each intervention (and ``combined``: all four), extending
    ``baseline_file`` (a name in the same folder)."""
    out = {}
    for name, (description, levers) in INTERVENTIONS.items():
        out[name] = _text(icb, baseline_file, name, description, levers)
    out["combined"] = _text(
        icb,
        baseline_file,
        "combined",
        "All four: digital-first 111, integrated urgent care, community capacity with booked hub "
        "slots and 15 % more discharge-to-assess capacity.",
        "".join(levers for _, levers in INTERVENTIONS.values()),
    )
    return out


def _text(icb: Icb, baseline_file: str, name: str, description: str, levers: str) -> str:
    return (
        f"# {icb.name}: {name.replace('_', ' ')}, the BNSSG intervention's settings "
        "(written by `simcare new-icb`; docs/new_icb.md)\n"
        f"extends: {baseline_file}\n"
        f"name: {icb.key}_{name}\n"
        f"description: >\n  {description}\n"
        f"levers:\n{levers}"
    )
