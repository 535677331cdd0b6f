"""The minimum important difference (MID) of each KPI: the smallest change a UEC lead would act on.

A difference between scenarios smaller than its KPI's MID reads "no material difference" in the
report and the terminal, however precisely the runs pin it down (the rule is
:func:`simcare.report.headline.material_verdict`; docs/kpis.md gives each value with its reason).
An MID is either absolute, in the KPI's unit (percentage points for a % measure), or relative, a
share of the base scenario's mean (counts are totals over the reported window, so a fixed number
would mean something different for a month and a winter).

``simcare compare --mid KPI=VALUE`` overrides a value for one run: ``VALUE`` is a number in the
KPI's unit (``2``) or a percentage of the base mean (``5%``), parsed by :func:`parse_mid`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from simcare.errors import SimcareError

MAX_MID_OVERRIDES = 100


@dataclass(frozen=True)
class Mid:
    """A minimum important difference: ``value`` in the KPI's unit, or (``relative``) a fraction
    of the base mean (0.05: 5 %); ``reason``: why this value, in a sentence."""

    value: float
    relative: bool
    reason: str

    def threshold(self, base_mean: float) -> float:
        """The MID in the KPI's unit for a base scenario whose mean is ``base_mean``."""
        return self.value * abs(base_mean) if self.relative else self.value

    def text(self, unit: str) -> str:
        """The value in words: '1 percentage point', '5 % of the base', '2 min'."""
        if self.relative:
            return f"{100 * self.value:g} % of the base"
        if unit == "%":
            return f"{self.value:g} percentage point{'s' if self.value != 1 else ''}"
        return f"{self.value:g} {unit}"


_POINT = (
    "1 percentage point: NHS planning targets for shares are set and tracked in whole points "
    "(4 hours: 76 % to 78 % by March 2026; bed occupancy 92 %), and published monthly shares "
    "move by about a point from chance alone"
)
_VOLUME = (
    "1 % of the base: demand and activity plans are set to about a per cent, and a smaller "
    "change is lost in the week-to-week variation of real activity"
)
_HARM = (
    "5 % of the base: counts of long waits and delays are small and vary widely from week to "
    "week; a change under 5 % would not be seen in the published monthly figures"
)
_STOCK = (
    "5 % of the base: a stock of waiting patients swings by about this much within a week, and "
    "a smaller change frees too few beds or crews to plan with"
)
_TIME = (
    "5 % of the base: a shorter or longer wait matters to patients and crews when it is "
    "noticeable; a few per cent of the mean is within the spread between days"
)
_BEDS = "1 % of the base: about one bay in a 1,000-bed trust; smaller changes are not planned for"
_DAYS = "1 day: the measure counts whole days, so anything less is no change"

POINT = Mid(1.0, False, _POINT)
VOLUME = Mid(0.01, True, _VOLUME)
HARM = Mid(0.05, True, _HARM)
STOCK = Mid(0.05, True, _STOCK)
TIME = Mid(0.05, True, _TIME)

MIDS: dict[str, Mid] = {
    "nhs111_calls": VOLUME,
    "nhs111_answered_60s": POINT,
    "nhs111_answer_mean": TIME,
    "nhs111_abandoned": POINT,
    "nhs111_online": VOLUME,
    "nhs111_online_share": POINT,
    "nhs111_dispositions": POINT,
    "conveyances": VOLUME,
    "handover_mean": Mid(
        2.0,
        False,
        "2 minutes: handover is managed against a 15-minute standard, and 2 minutes on every "
        "handover is the smallest change that returns crew hours a service notices",
    ),
    "handover_over_15": HARM,
    "handover_over_30": HARM,
    "handover_over_60": HARM,
    "crew_hours_lost": HARM,
    "crews_at_handover": STOCK,
    "ambulance_response_mean": TIME,
    "ambulance_response_p90": TIME,
    "ambulance_queue": STOCK,
    "ae_attendances": VOLUME,
    "ae_within_4h": POINT,
    "ae_over_12h": HARM,
    "dta_over_4h": HARM,
    "dta_over_12h": HARM,
    "lwbs": HARM,
    "time_in_dept_mean": TIME,
    "time_in_dept_p95": TIME,
    "ed_occupancy": POINT,
    "ed_boarding": STOCK,
    "hub_attendances": VOLUME,
    "hub_within_4h": POINT,
    "hub_utilisation": POINT,
    "ga_occupancy": POINT,
    "ga_beds": Mid(0.01, True, _BEDS),
    "ga_beds_occupied": Mid(0.01, True, _BEDS),
    "ga_occupancy_peak": POINT,
    "ga_days_over_92": Mid(1.0, False, _DAYS),
    "ga_days_over_95": Mid(1.0, False, _DAYS),
    "nctr": STOCK,
    "lost_bed_days": HARM,
    "nctr_by_reason": STOCK,
    "emergency_admissions": VOLUME,
    "discharges": VOLUME,
    "d2a_queue": STOCK,
    "d2a_wait": Mid(
        0.5,
        False,
        "half a day: discharge-to-assess waits are planned in days, and half a day on every "
        "wait is the smallest change that frees a bed-day per two patients",
    ),
    "d2a_occupancy": POINT,
    "sdec_attendances": VOLUME,
    "emergency_admissions_all": VOLUME,
    "dta_over_4h_pct": POINT,
}


def parse_mid(item: str, known: Iterable[str]) -> tuple[str, Mid]:
    """``'ga_occupancy=2'`` -> ('ga_occupancy', 2 points); ``'nctr=10%'`` -> 10 % of the base.
    Raises SimcareError naming the item and what is wrong (unknown KPI with a did-you-mean, not a
    number, negative, not finite or over 100 %)."""
    names = list(known)
    kpi, sep, raw = item.partition("=")
    kpi, raw = kpi.strip(), raw.strip()
    shown = item if len(item) <= 80 else item[:77] + "..."
    if not sep or not kpi or not raw:
        raise SimcareError(f"--mid {shown!r}: write KPI=VALUE, e.g. ga_occupancy=2 or nctr=5%")
    if kpi not in names:
        close = difflib.get_close_matches(kpi, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else " (docs/kpis.md lists them)"
        raise SimcareError(f"--mid {shown!r}: no measure called {kpi[:80]!r}{hint}")
    relative = raw.endswith("%")
    number = raw[:-1].strip() if relative else raw
    try:
        if not number.isascii():
            raise ValueError
        value = float(number)
    except ValueError:
        raise SimcareError(
            f"--mid {shown!r}: the value must be a number in the measure's unit ('2') "
            "or a percentage of the base ('5%')"
        ) from None
    if not math.isfinite(value) or value < 0:
        raise SimcareError(f"--mid {shown!r}: the value must be zero or more, got {raw!r}")
    if relative and value > 100:
        raise SimcareError(f"--mid {shown!r}: a percentage of the base must be at most 100%")
    reason = "set for this run (--mid)"
    return kpi, Mid(value / 100 if relative else value, relative, reason)


def parse_mids(items: Iterable[str], known: Iterable[str]) -> dict[str, Mid]:
    """Every ``--mid`` item parsed (:func:`parse_mid`); a KPI named twice is refused."""
    names = list(known)
    out: dict[str, Mid] = {}
    items = list(items)
    if len(items) > MAX_MID_OVERRIDES:
        raise SimcareError(f"--mid: at most {MAX_MID_OVERRIDES} values, got {len(items)}")
    for item in items:
        kpi, mid = parse_mid(item, names)
        if kpi in out:
            raise SimcareError(f"--mid: {kpi} is given twice")
        out[kpi] = mid
    return out


def mids_with(overrides: Mapping[str, Mid] | None = None) -> dict[str, Mid]:
    """The MID of every KPI, with ``overrides`` (from :func:`parse_mids`) in place of defaults."""
    return {**MIDS, **(overrides or {})}
