"""The run's calendar: dates to simulation minutes, daily demand multipliers, rosters by date.

Simulation time 0 is midnight at the start of the warm-up (the run's first reported day minus
the warm-up, rounded up to whole days). Hours of the week count from Monday 00:00 (day sets and
hour-of-week profiles are the scenario schema's).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

HOURS_PER_WEEK = 168
MINUTES_PER_DAY = 1440.0


@dataclass(frozen=True)
class Timeline:
    """origin: first simulated day (warm-up included); start, end: the reported window
    (``end`` inclusive)."""

    origin: dt.date
    start: dt.date
    end: dt.date

    @classmethod
    def from_run(cls, start: dt.date, end: dt.date, warm_up_minutes: float) -> Timeline:
        days = int(math.ceil(warm_up_minutes / MINUTES_PER_DAY - 1e-9))
        return cls(start - dt.timedelta(days=days), start, end)

    @property
    def n_days(self) -> int:
        return (self.end - self.origin).days + 1

    @property
    def horizon_hours(self) -> int:
        return self.n_days * 24

    @property
    def warm_up_hours(self) -> int:
        return (self.start - self.origin).days * 24

    @property
    def start_hour_of_week(self) -> int:
        return self.origin.weekday() * 24

    def minutes(self, day: dt.date) -> float:
        """Minutes from the origin to midnight at the start of ``day``."""
        return (day - self.origin).days * MINUTES_PER_DAY

    def days(self) -> list[dt.date]:
        return [self.origin + dt.timedelta(days=i) for i in range(self.n_days)]

    def day_index(self, day: dt.date) -> int:
        return (day - self.origin).days


def weekly_from_shifts(
    default: int, shifts: Iterable[tuple[tuple[int, ...], float, float, int]]
) -> list[int]:
    """168 hourly values: ``default`` outside shifts, the sum of the covering shifts' values
    inside. A shift is (day indices, from minute, to minute, value); to <= from runs past
    midnight into the next day. Hours are covered when the shift covers their start."""
    weekly = [0] * HOURS_PER_WEEK
    covered = [False] * HOURS_PER_WEEK
    for days, start, stop, value in shifts:
        length = (stop - start) % MINUTES_PER_DAY or MINUTES_PER_DAY
        for d in days:
            first = d * 24 * 60 + start
            for h in range(HOURS_PER_WEEK):
                offset = (h * 60 - first) % (HOURS_PER_WEEK * 60)
                if offset < length:
                    weekly[h] += value
                    covered[h] = True
    return [weekly[h] if covered[h] else default for h in range(HOURS_PER_WEEK)]
