"""A concise per-service summary of one run (waits, utilisation, outcomes), each column defined."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simcare.engine.result import RunResult
from simcare.model import enums as E

SUMMARY_COLUMNS: dict[str, str] = {
    "visits": "visits that asked for this service at or after the warm-up (count)",
    "mean_wait_to_start_min": "mean of (start - arrival) over those visits that started service, "
    "including visits still in service at the end of the run (minutes)",
    "p95_wait_to_start_min": "95th centile (numpy linear interpolation) of the same waits (minutes)",
    "turned_away_pct": "% of the visits turned away because the waiting places were full",
    "abandoned_pct": "% of the visits that left the queue when their patience ran out",
    "mean_waiting": "time-average number waiting for this service (queue plus patients blocked "
    "upstream waiting for it), mean of the hourly averages after the warm-up",
    "mean_in_service": "time-average number in service, mean of the hourly averages",
    "mean_blocked": "time-average number blocked here after service (holding a server), mean of "
    "the hourly averages",
    "utilisation_busy_blocked_pct": "time-averaged (in service + blocked) servers / time-averaged "
    "servers, over the hours after the warm-up with a finite "
    "number of servers > 0 (%; NaN for an infinite-server service)",
    "utilisation_started_pct": "utilisation of activities started: service minutes from hour "
    "int(warm-up) on of every visit that started service, each counted to its end or, if still "
    "in service at the end of the run, to its scheduled end (which may lie beyond the horizon), "
    "/ server-minutes in force over the same hours up to the end of the run (%; blocked time not "
    "counted; can exceed 100; NaN for an infinite-server service or no server-minutes)",
}
"""Column of :func:`service_summary` -> its definition, with its unit."""


def service_summary(result: RunResult, warmup_hours: float = 0.0) -> pd.DataFrame:
    """One row per service (index ``service``), the columns of :data:`SUMMARY_COLUMNS`.

    Two windows, both after ``warmup_hours`` (hours from the start of the run):

    - per-visit columns (``visits``, waits, ``turned_away_pct``, ``abandoned_pct``) use the visits
      whose arrival at this service (minute they asked for it) is at or after the warm-up.
      ``mean_wait_to_start_min`` and ``p95_wait_to_start_min``: wait from arrival to start of
      service, in minutes, over the visits that started service, so visits still in service at
      the end of the run count, and visits still waiting, turned away or abandoned do not (their
      waits are censored; see ``abandoned_pct`` and ``mean_waiting``). NaN without such visits.
    - time-weighted columns (``mean_waiting``, ``mean_in_service``, ``mean_blocked``,
      ``utilisation_busy_blocked_pct``) use the hourly time-averages of :class:`RunResult` from
      hour ``int(warmup_hours)`` on, each hour weighted equally (patients, not minutes).
      ``utilisation_busy_blocked_pct`` = 100 * sum over hours of (in service + blocked) / sum of
      servers, over the hours whose number of servers is finite and > 0: a server holding a
      patient who has finished but cannot move on (blocked) counts as busy; NaN for an
      infinite-server service or one that never has servers.
    - ``utilisation_started_pct`` counts, from minute 60 * int(warmup_hours) on, the service
      minutes of every visit that started service, from its start to its ``end`` or, for a visit
      still in service at the end of the run, to its ``RunResult.scheduled_end`` (docs/model.md
      R37), not cut at the horizon; divided by the server-minutes in force from that minute to
      the end of the run (hourly servers x simulated minutes of each hour). Blocked and route-delay
      time is not counted, so this is the load of the work started, not the servers' occupancy.
    """
    v = result.visits
    cut = warmup_hours * 60.0
    h0 = int(warmup_hours)
    t0 = 60.0 * h0
    H = result.capacity.shape[1]
    edges = 60.0 * np.arange(H + 1)
    hour_minutes = np.clip(np.minimum(edges[1:], result.end_time) - edges[:-1], 0.0, 60.0)[h0:]
    service_end = np.where(np.isnan(v["end"]), result.scheduled_end, v["end"])
    rows = []
    for s, name in enumerate(result.service_names):
        mine = v[(v["service"] == s) & (v["arrival"] >= cut)]
        started = mine[~np.isnan(mine["start"])]
        wait = started["start"] - started["arrival"]
        n = len(mine)
        cap = result.capacity[s, h0:]
        busy = result.in_service[s, h0:] + result.blocked[s, h0:]
        finite = np.isfinite(cap) & (cap > 0)
        util = float(busy[finite].sum() / cap[finite].sum()) if finite.any() else np.nan
        run_hours = hour_minutes > 0  # hours after a stop (R30, R31) have NaN averages
        cap_run = cap[run_hours]
        cap_minutes = float((cap_run * hour_minutes[run_hours]).sum()) if np.isfinite(cap_run).all() else 0.0
        here = (v["service"] == s) & ~np.isnan(service_end)
        service_minutes = np.clip(service_end[here] - np.maximum(v["start"][here], t0), 0.0, None)
        util_started = float(service_minutes.sum() / cap_minutes) if cap_minutes > 0 else np.nan
        rows.append(
            {
                "service": name,
                "visits": n,
                "mean_wait_to_start_min": float(wait.mean()) if len(wait) else np.nan,
                "p95_wait_to_start_min": float(np.percentile(wait, 95)) if len(wait) else np.nan,
                "turned_away_pct": 100.0 * np.mean(mine["outcome"] == E.OUT_TURNED_AWAY) if n else np.nan,
                "abandoned_pct": 100.0 * np.mean(mine["outcome"] == E.OUT_ABANDONED) if n else np.nan,
                "mean_waiting": float(result.waiting[s, h0:].mean()),
                "mean_in_service": float(result.in_service[s, h0:].mean()),
                "mean_blocked": float(result.blocked[s, h0:].mean()),
                "utilisation_busy_blocked_pct": 100.0 * util,
                "utilisation_started_pct": 100.0 * util_started,
            }
        )
    return pd.DataFrame(rows, columns=["service", *SUMMARY_COLUMNS]).set_index("service")
