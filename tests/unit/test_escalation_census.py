"""Escalation rules evaluated on the live state, and starting census, in both engines."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simcare import Exponential, Fixed, Lognormal, ModelError, Network, Roster, Uniform, run
from simcare.model import enums as E
from simcare.sampling.draws import draw


def whole_system(hours: float = 24 * 14) -> Network:
    """Ambulances that block at a full ED with a 45-minute release, boarding in ED, beds that
    block on discharge-to-assess capacity, an escalation-bed rule and an ambulance divert rule,
    and a census of patients already in beds and in D2A."""
    net = Network(horizon_hours=hours)
    net.add_group("major", 2)
    net.add_group("minor", 1)
    net.add_group("admitted", 0)
    net.add_service(
        "amb", servers=6, service_time=Exponential(60), blocks=True, block_max=45, overflow="corridor"
    )
    net.add_service("corridor", servers=math.inf, service_time=Fixed(0))
    net.add_service(
        "ed_a",
        servers=Roster([6 if 8 <= h % 24 < 22 else 3 for h in range(168)]),
        service_time=Lognormal(120, 80),
        patience={"minor": Exponential(300)},
        blocks=True,
    )
    net.add_service("ed_b", servers=5, service_time=Lognormal(120, 80), blocks=True)
    net.add_service("beds", servers=60, service_time=Lognormal(3 * 1440, 2 * 1440), blocks=True)
    net.add_service("d2a", servers=8, service_time=Lognormal(10 * 1440, 8 * 1440))
    net.add_route("amb", [("ed_a", 0.8), ("ed_b", 0.1), (None, 0.1)])
    net.add_route("corridor", [("ed_a", 1.0)])
    net.add_route("ed_a", [("beds", 0.35, "admitted"), (None, 0.65)])
    net.add_route("ed_b", [("beds", 0.35, "admitted"), (None, 0.65)])
    net.add_route("beds", [("d2a", 0.3), (None, 0.7)])
    net.add_arrivals("walk", to="ed_a", rate_per_hour=2.5, groups={"major": 0.4, "minor": 0.6})
    net.add_arrivals("999", to="amb", rate_per_hour=1.2, groups={"major": 1.0})
    net.add_census("d2a_start", to="d2a", count=8, groups={"admitted": 1.0}, remaining=Uniform(0, 10 * 1440))
    net.add_census(
        "beds_start", to="beds", count=40, groups={"admitted": 1.0}, remaining=Uniform(0, 3 * 1440)
    )
    net.add_census("nctr_start", to="beds", count=10, groups={"admitted": 1.0}, remaining=Fixed(0))
    net.add_escalation(
        "escalation_beds",
        watch="beds",
        measure="occupancy",
        above=0.98,
        below=0.9,
        sustain_minutes=120,
        add_servers=("beds", 10),
    )
    net.add_escalation(
        "divert", watch="ed_a", measure="waiting", above=8, below=3, divert=("amb", "ed_a", "ed_b")
    )
    return net


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_escalation_and_census_parity(seed: int) -> None:
    model = whole_system().compile()
    d = draw(model, seed)
    a = run(model, draws=d)
    b = run(model, draws=d, engine="simpy")
    assert np.array_equal(a.visits.view(np.uint8), b.visits.view(np.uint8))
    assert a.events == b.events
    for name in ("in_service", "waiting", "blocked", "capacity"):
        assert np.allclose(getattr(a, name), getattr(b, name), equal_nan=True), name


def test_escalation_beds_open_and_close_with_hysteresis() -> None:
    model = whole_system().compile()
    result = run(model, seed=1)
    beds = model.service_index("beds")
    cap = result.capacity[beds]
    assert cap.max() == 70 and cap.min() == 60  # opened at some point, closed at another
    opened = np.flatnonzero(np.diff((cap > 60).astype(int)) == 1)
    assert opened.size >= 1


def test_divert_sends_ambulances_to_the_other_site() -> None:
    with_rule = whole_system()
    plain = Network.__new__(Network)
    plain.__dict__ = {**with_rule.__dict__, "_rules": [r for r in with_rule._rules if r.name != "divert"]}
    a = run(with_rule.compile(), seed=4)
    b = run(plain.compile(), seed=4)
    ed_b = with_rule.compile().service_index("ed_b")
    assert (a.visits["service"] == ed_b).sum() > (b.visits["service"] == ed_b).sum()


def test_census_patients_arrive_first_with_their_remaining_stay() -> None:
    model = whole_system().compile()
    result = run(model, seed=3)
    v = result.visits
    census = v[v["patient"] < 58]  # 8 + 40 + 10 census patients come first, in stream order
    first = census[np.unique(census["patient"], return_index=True)[1]]
    assert (first["arrival"] == 0).all()
    d2a, beds = model.service_index("d2a"), model.service_index("beds")
    assert (first["service"][:8] == d2a).all() and (first["service"][8:] == beds).all()
    stays = first["end"][8:48] - first["start"][8:48]
    assert (stays <= 3 * 1440).all()  # Uniform(0, 3 days) remaining stays, not the full law
    nctr = first[48:]
    assert (nctr["end"] == 0).all()  # medically fit at the start: finish at once
    assert ((nctr["outcome"] == E.OUT_SERVED) | (nctr["departure"] > 0)).all()


def test_census_and_escalation_mistakes_are_named() -> None:
    net = whole_system()
    with pytest.raises(ModelError, match="census.beds_start"):
        net.add_census("beds_start", to="beds", count=1)
    with pytest.raises(ModelError, match="escalation.x.below"):
        net.add_escalation("x", watch="beds", above=0.9, below=0.95, add_servers=("beds", 1))
    with pytest.raises(ModelError, match="exactly one action"):
        net.add_escalation("y", watch="beds", above=0.9, below=0.8)
    net.add_escalation("z", watch="nowhere", above=1, below=0, add_servers=("beds", 1))
    with pytest.raises(ModelError, match="unknown service 'nowhere'"):
        net.compile()


def two_site_handover() -> Network:
    """One ambulance fleet conveying to two EDs; a crew released after 45 minutes leaves its
    patient in the corridor of the ED it was waiting for (release_to), and ambulances go to the
    other site while the small ED is closed (a 'closed' rule on its opening-hours calendar)."""
    net = Network(horizon_hours=24 * 10)
    net.add_service("amb", servers=5, service_time=Exponential(50), blocks=True, block_max=45)
    for site, cubicles in (("big", 4), ("small", 2)):
        net.add_service(
            f"ed_{site}", servers=cubicles, service_time=Lognormal(150, 90), release_to=f"corridor_{site}"
        )
        net.add_service(f"corridor_{site}", servers=math.inf, service_time=Fixed(0))
        net.add_route(f"corridor_{site}", [(f"ed_{site}", 1.0)])
    open_hours = [1 if 8 <= h % 24 < 22 else 0 for h in range(168)]
    net.add_service("small_hours", servers=Roster(open_hours), service_time=Fixed(0))
    net.add_route("amb", [("ed_big", 0.6), ("ed_small", 0.4)])
    net.add_arrivals("999", to="amb", rate_per_hour=3.5)
    net.add_escalation(
        "small_closed",
        watch="small_hours",
        measure="closed",
        above=0.5,
        below=0.5,
        divert=("amb", "ed_small", "ed_big"),
    )
    return net


def test_release_goes_to_the_corridor_of_the_site_waited_for() -> None:
    model = two_site_handover().compile()
    result = run(model, seed=8)
    v = result.visits
    released = v[v["outcome"] == E.OUT_RELEASED]
    assert len(released) > 10
    for row in released:
        later = v[
            (v["patient"] == row["patient"])
            & (v["arrival"] == row["departure"])
            & (v["service"] != row["service"])
        ]
        site = model.service_names[row["service"]].removeprefix("ed_")
        assert model.service_names[later["service"][0]] == f"corridor_{site}"


def test_closed_rule_diverts_overnight_and_parity_holds() -> None:
    model = two_site_handover().compile()
    d = draw(model, 9)
    a = run(model, draws=d)
    b = run(model, draws=d, engine="simpy")
    assert np.array_equal(a.visits.view(np.uint8), b.visits.view(np.uint8))
    v = a.visits
    corridor = v[v["service"] == model.service_index("corridor_small")]
    from_corridor = set(zip(corridor["patient"].tolist(), corridor["departure"].tolist(), strict=True))
    small = v[(v["service"] == model.service_index("ed_small")) & (v["arrival"] >= 15)]
    conveyed = np.array(
        [
            (p, t) not in from_corridor
            for p, t in zip(small["patient"].tolist(), small["arrival"].tolist(), strict=True)
        ]
    )
    small = small[conveyed]
    minute = small["arrival"] % 1440
    # rules are checked every 15 minutes: nothing reaches the small ED from 22:15 to 08:00
    assert len(small) > 100
    assert not ((minute >= 22 * 60 + 15) | (minute < 8 * 60)).any()


def beds_with_discharge_process() -> Network:
    """Medically fit patients stay in their bed through a discharge-process delay (counted as
    blocked: no criteria to reside), and pathway-1 patients then wait for home care."""
    net = Network(horizon_hours=24 * 30)
    net.add_service("beds", servers=40, service_time=Lognormal(4 * 1440, 3 * 1440), blocks=True)
    net.add_service("home_care", servers=6, service_time=Lognormal(12 * 1440, 8 * 1440))
    net.add_route(
        "beds", [(None, 0.8, None, Exponential(1.5 * 1440)), ("home_care", 0.2, None, Exponential(3 * 1440))]
    )
    net.add_arrivals("admissions", to="beds", rate_per_hour=0.35)
    return net


def test_route_delay_keeps_the_bed_and_parity_holds() -> None:
    model = beds_with_discharge_process().compile()
    d = draw(model, 12)
    a = run(model, draws=d)
    b = run(model, draws=d, engine="simpy")
    assert np.array_equal(a.visits.view(np.uint8), b.visits.view(np.uint8))
    assert np.allclose(a.blocked, b.blocked)
    v = a.visits
    beds = v[(v["service"] == 0) & ~np.isnan(v["departure"])]
    held = beds["departure"] - beds["end"]
    assert (held > 0).mean() > 0.99  # everyone waits after being medically fit
    # P0 patients (leave the system) hold the bed for an Exp(1.5 days) delay: mean within 15 %
    out = ~np.isin(beds["patient"], v["patient"][v["service"] == 1])
    assert abs(held[out].mean() / (1.5 * 1440) - 1) < 0.15
    assert a.blocked[0, 24 * 7 :].mean() > 0.5
