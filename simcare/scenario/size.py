"""How big a run of a scenario is, estimated before anything is built (issue 16).

Every quantity of a scenario is bounded (docs/scenarios.md, "Bounds"), but bounded values can
still ask for more than a machine has: 10^8 people at one visit a head a day for 20 years is
7e11 patients. :func:`estimate` computes, from the validated scenario alone, the patients one
replication simulates (each channel's rate per head x population x the daily demand multipliers
the compiler uses, plus the census), the visit rows they make and the memory they take;
:func:`check_size` refuses, with the estimate, a run above the limit. :func:`simcare.pipeline.prepare`
calls it, so ``simcare validate``, ``run``, ``compare``, ``batch``, ``calibrate`` and the app refuse
the same runs before they simulate anything.

The limit is :data:`DEFAULT_LIMIT_BYTES` (8 GiB) of memory for one replication, or the number
of bytes in the environment variable :data:`LIMIT_ENV` (``SIMCARE_MAX_RUN_BYTES``, e.g. ``32GiB``
or ``34359738368``). A fixed default, not a share of this machine's memory, so that whether a
file is valid does not depend on the machine that reads it.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any

from simcare.errors import SimcareError
from simcare.model.enums import VISIT_DTYPE
from simcare.scenario.compile import demand_multipliers
from simcare.scenario.errors import ScenarioError

__all__ = [
    "BYTES_PER_PATIENT",
    "BYTES_PER_VISIT_ROW",
    "DEFAULT_LIMIT_BYTES",
    "LIMIT_ENV",
    "VISITS_PER_PATIENT",
    "RunSize",
    "check_size",
    "estimate",
    "limit_bytes",
]

LIMIT_ENV = "SIMCARE_MAX_RUN_BYTES"
DEFAULT_LIMIT_BYTES = 8 * 2**30
"""8 GiB: the memory one replication may take, unless :data:`LIMIT_ENV` says otherwise."""

VISITS_PER_PATIENT = 4
"""Visit rows a patient makes on average (111, CAS, triage, ED, a bed, D2A: BNSSG makes ~2-3)."""
BYTES_PER_VISIT_ROW = 2 * VISIT_DTYPE.itemsize
"""The engine's visit table and the copy a KPI computation makes of it (49 bytes each)."""
BYTES_PER_PATIENT = 100
"""Per patient: the arrival draws (36 bytes) and the engine's per-patient state and heap."""

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS.update({"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40})
_SIZE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*([A-Za-z]*)\s*$", re.ASCII)


@dataclass(frozen=True)
class RunSize:
    """The size of one replication: patients simulated (arrivals and census), visit rows, and
    bytes of memory (patients x BYTES_PER_PATIENT + rows x BYTES_PER_VISIT_ROW); hours
    simulated (warm-up included)."""

    patients: float
    visit_rows: float
    bytes: float
    hours: int

    def describe(self) -> str:
        """``about 1.7e+10 patients in 0.537 simulated years, about 6.58 TB of visit rows and
        8.26 TB in all`` (one replication)."""
        return (
            f"about {_count(self.patients)} patients in {self.hours / 24 / 365.25:.3g} simulated years, "
            f"about {_bytes(self.visit_rows * BYTES_PER_VISIT_ROW)} of visit rows and "
            f"{_bytes(self.bytes)} in all"
        )


def _count(x: float) -> str:
    return f"{x:,.0f}" if x < 1e6 else f"{x:.2g}"


def _bytes(x: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if x >= size:
            return f"{x / size:.3g} {unit}"
    return f"{x / 1e3:.3g} kB"


def estimate(scenario: Any) -> RunSize:
    """The size of one replication of a validated Scenario (an estimate: the hour-of-week
    profiles have mean 1, bank holidays run like Sundays, and rows per patient are a generous
    average), from the rates and multipliers the compiler uses."""
    timeline, daily = demand_multipliers(scenario)
    population = math.fsum(float(lo.population) for lo in scenario.localities.values())
    arrivals = math.fsum(
        float(spec.rate) * population * 24.0 * float(daily[channel].sum())
        for channel, spec in scenario.demand.items()
    )
    patients = arrivals + math.fsum(float(n) for n in (scenario.run.census or {}).values())
    rows = patients * VISITS_PER_PATIENT
    return RunSize(
        patients=patients,
        visit_rows=rows,
        bytes=patients * BYTES_PER_PATIENT + rows * BYTES_PER_VISIT_ROW,
        hours=timeline.horizon_hours,
    )


def limit_bytes() -> int:
    """The memory one replication may take: :data:`LIMIT_ENV` (bytes, or with a unit such as
    ``16GiB``), else :data:`DEFAULT_LIMIT_BYTES`. SimcareError when the variable is unreadable."""
    text = os.environ.get(LIMIT_ENV)
    if text is None or not text.strip():
        return DEFAULT_LIMIT_BYTES
    m = _SIZE_RE.match(text)
    unit = m[2].lower() if m else ""
    if not m or unit not in _UNITS:
        raise SimcareError(
            f"{LIMIT_ENV}={text[:40]!r}: write a number of bytes, e.g. 8589934592 or 8GiB "
            "(units: kB, MB, GB, TB, KiB, MiB, GiB, TiB)"
        )
    return int(float(m[1]) * _UNITS[unit])


def check_size(scenario: Any, source: str) -> RunSize:
    """The size of one replication of ``scenario``; ScenarioError naming ``source`` and ``run``,
    with the estimate, when it is above :func:`limit_bytes`."""
    size = estimate(scenario)
    limit = limit_bytes()
    if size.bytes > limit:
        raise ScenarioError(
            source,
            [
                (
                    "run",
                    f"this run would simulate {size.describe()} for each replication; the limit is "
                    f"{limit / 2**30:.3g} GiB ({LIMIT_ENV} sets another): shorten the run or reduce the "
                    "population or rates",
                )
            ],
        )
    return size
