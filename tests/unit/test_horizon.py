"""Services in progress at the horizon (docs/model.md R37): scheduled ends, checked by hand.

Fixed service times and hand-written arrival times, so every number below can be written down:
a visit still in service at the horizon gets the end its service time gives it; a blocked
visit or one in a route delay gets none (its service ended); the visit table itself is
unchanged. Both engines give the same answer.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simcare import Fixed, Network, draws_from_arrivals, run
from simcare.engine import ENGINES
from simcare.model import enums as E
from simcare.summary import service_summary

NAN = math.nan


def _clinic_run(engine: str):  # type: ignore[no-untyped-def]
    """One server, 30 min each, horizon 120 min; arrivals at 0, 10 and 100: served 0-30 and
    30-60, the third starts at 100 and would end at 130, after the horizon."""
    net = Network(horizon="2h")
    net.add_service("clinic", servers=1, service_time=Fixed(30))
    net.add_arrivals("booked", to="clinic", rate_per_hour=0)
    model = net.compile()
    return run(model, draws=draws_from_arrivals(model, {"booked": [0.0, 10.0, 100.0]}), engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_service_crossing_the_horizon_gets_its_scheduled_end(engine: str) -> None:
    r = _clinic_run(engine)
    v = r.visits
    assert v["outcome"].tolist() == [E.OUT_SERVED, E.OUT_SERVED, E.OUT_IN_SERVICE]
    assert np.array_equal(v["end"], [30.0, 60.0, NAN], equal_nan=True)  # the table is unchanged
    assert r.scheduled_end.dtype == np.float64 and r.scheduled_end.shape == (3,)
    assert np.array_equal(r.scheduled_end, [NAN, NAN, 130.0], equal_nan=True)
    frame = r.visits_frame()
    assert list(frame.columns)[-1] == "scheduled_end"
    assert list(frame.columns)[:-1] == list(v.dtype.names or ())
    assert np.array_equal(frame["scheduled_end"].to_numpy(), r.scheduled_end, equal_nan=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_blocked_and_route_delay_visits_have_no_scheduled_end(engine: str) -> None:
    """ed (1 server, 20 min, blocks) -> ward (1 bed, 200 min); ward leavers wait 100 min on a
    route delay. Patient 0: ed 0-20, ward 20-220, delay 220-320 (horizon 300: in the delay).
    Patient 1: ed 5 (waits) 20-40, then blocked at ed (ward full) until the horizon.
    Patient 2: ed queue, never starts. Horizon 300 min."""
    net = Network(horizon="5h")
    net.add_service("ed", servers=1, service_time=Fixed(20), blocks=True)
    net.add_service("ward", servers=1, service_time=Fixed(200))
    net.add_route("ed", [("ward", 1.0)])
    net.add_route("ward", [(None, 1.0, None, Fixed(100))])
    net.add_arrivals("walk_in", to="ed", rate_per_hour=0)
    model = net.compile()
    r = run(model, draws=draws_from_arrivals(model, {"walk_in": [0.0, 5.0, 6.0]}), engine=engine)
    v = r.visits
    rows = [
        (int(p), int(s), int(o)) for p, s, o in zip(v["patient"], v["service"], v["outcome"], strict=True)
    ]
    ed, ward = 0, 1
    assert rows == [
        (0, ed, E.OUT_SERVED),
        (1, ed, E.OUT_BLOCKED),
        (2, ed, E.OUT_WAITING),
        (0, ward, E.OUT_BLOCKED),  # in its route delay: service ended at 220
        (1, ward, E.OUT_WAITING),  # blocked upstream, waiting for the ward
    ]
    assert v["end"][3] == 220.0 and v["end"][1] == 40.0
    assert np.isnan(r.scheduled_end).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_utilisation_of_activities_started_by_hand(engine: str) -> None:
    r = _clinic_run(engine)
    row = service_summary(r).loc["clinic"]
    # service minutes 30 + 30 + 30 (the last to its scheduled end 130) / 1 server x 120 minutes
    assert row["utilisation_started_pct"] == pytest.approx(100.0 * 90.0 / 120.0)
    # the hourly columns stop at the horizon: 80 busy minutes of 120
    assert row["utilisation_busy_blocked_pct"] == pytest.approx(100.0 * 80.0 / 120.0)
    late = service_summary(r, warmup_hours=1.0).loc["clinic"]
    # from minute 60: 30-60 counts nothing, 100-130 counts 30, over 60 server-minutes
    assert late["utilisation_started_pct"] == pytest.approx(100.0 * 30.0 / 60.0)


def test_utilisation_of_activities_started_is_nan_for_infinite_servers() -> None:
    net = Network(horizon="2h")
    net.add_service("lounge", servers=math.inf, service_time=Fixed(30))
    net.add_arrivals("booked", to="lounge", rate_per_hour=0)
    model = net.compile()
    r = run(model, draws=draws_from_arrivals(model, {"booked": [0.0, 100.0]}))
    assert np.array_equal(r.scheduled_end, [NAN, 130.0], equal_nan=True)
    assert np.isnan(service_summary(r).loc["lounge", "utilisation_started_pct"])
