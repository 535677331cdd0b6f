"""Unit tests of the engine front door: errors, deadlock, growth of buffers, provenance."""

from __future__ import annotations

import math

import numpy as np
import pytest

import simcare.engine as engine
from simcare import (
    DeadlockError,
    EngineError,
    Exponential,
    Fixed,
    ModelError,
    Network,
    Roster,
    run,
)
from simcare.engine.result import RunResult
from simcare.errors import ConservationError
from simcare.model import enums as E
from simcare.sampling.draws import draw


def small_network(hours: float = 200) -> Network:
    net = Network(horizon_hours=hours)
    net.add_service("triage", servers=1, service_time=Exponential(10))
    net.add_service("ed", servers=2, service_time=Exponential(50))
    net.add_route("triage", [("ed", 0.5), (None, 0.5)])
    net.add_arrivals("walk_in", to="triage", rate_per_hour=3)
    return net


def ping_pong(engine_name: str) -> None:
    """Two one-server services that send every patient to each other and block: deadlock."""
    net = Network(horizon_hours=100)
    net.add_service("a", servers=1, service_time=Fixed(10), blocks=True)
    net.add_service("b", servers=1, service_time=Fixed(10), blocks=True)
    net.add_route("a", [("b", 1.0)])
    net.add_route("b", [("a", 1.0)])
    net.add_arrivals("in_a", to="a", rate_per_hour=1)
    net.add_arrivals("in_b", to="b", rate_per_hour=1)
    run(net.compile(), seed=3, engine=engine_name)


@pytest.mark.parametrize("engine_name", ["numba", "simpy"])
def test_deadlock_is_detected_and_reported_not_hung(engine_name: str) -> None:
    with pytest.raises(DeadlockError) as info:
        ping_pong(engine_name)
    err = info.value
    assert sorted(err.services) == ["a", "b"]
    assert 0 < err.time < 100 * 60
    assert isinstance(err.result, RunResult) and err.result.status == "deadlock"


def test_deadlock_same_in_both_engines() -> None:
    errors = []
    for name in ("numba", "simpy"):
        with pytest.raises(DeadlockError) as info:
            ping_pong(name)
        errors.append(info.value)
    assert errors[0].time == errors[1].time
    a, b = errors[0].result.visits, errors[1].result.visits
    assert np.array_equal(a.view(np.uint8), b.view(np.uint8))


def test_block_timeout_breaks_what_would_deadlock() -> None:
    """With a maximum blocked time and an overflow service the same network keeps flowing."""
    net = Network(horizon_hours=100)
    net.add_service("a", servers=1, service_time=Fixed(10), blocks=True, block_max=30, overflow="hall")
    net.add_service("b", servers=1, service_time=Fixed(10), blocks=True, block_max=30, overflow="hall")
    net.add_service("hall", servers=math.inf, service_time=Fixed(5))
    net.add_route("a", [("b", 1.0)])
    net.add_route("b", [("a", 0.5), (None, 0.5)])
    net.add_arrivals("in_a", to="a", rate_per_hour=2)
    result = run(net.compile(), seed=3)
    assert result.status == "ok"
    assert (result.visits["outcome"] == E.OUT_RELEASED).sum() > 0


def test_routing_loop_of_turned_away_patients_is_an_error() -> None:
    net = Network(horizon_hours=10)
    net.add_service("a", servers=0, service_time=Fixed(1), queue_limit=0)
    net.add_service("b", servers=0, service_time=Fixed(1), queue_limit=0)
    net.add_route("a", [("b", 1.0)], kind="turned_away")
    net.add_route("b", [("a", 1.0)], kind="turned_away")
    net.add_arrivals("in", to="a", rate_per_hour=1)
    with pytest.raises(EngineError, match="routing loop"):
        run(net.compile(), seed=1)
    result = run(net.compile(), seed=1, check=False)
    assert result.status == "routing_loop"


def test_visit_buffer_grows_instead_of_truncating(monkeypatch: pytest.MonkeyPatch) -> None:
    model = small_network().compile()
    full = run(model, seed=11)
    monkeypatch.setattr(engine, "_visit_buffer_size", lambda m, d: 16)
    grown = run(model, seed=11)
    assert len(grown.visits) == len(full.visits) > 500
    assert np.array_equal(full.visits.view(np.uint8), grown.visits.view(np.uint8))
    assert np.array_equal(full.in_service, grown.in_service)


def test_visit_buffer_is_sized_from_the_last_run_of_the_model() -> None:
    """The first run of a model sizes its buffer from the routing estimate of its draws, at
    least the rows used and at most 1.5 times them plus a pad (no copy down in a large run);
    later runs from the rows per patient of the last one (issue 15). The runs are the same
    either way."""
    fresh = small_network().compile()
    d = draw(fresh, 11)
    guess = engine._visit_buffer_size(fresh, d)
    first = run(fresh, draws=d)
    assert guess == engine._expected_visits(fresh, d)
    assert len(first.visits) < guess <= 1.5 * len(first.visits) + 1024 + 1
    again = run(fresh, draws=d)
    assert np.array_equal(first.visits.view(np.uint8), again.visits.view(np.uint8))
    learned = engine._visit_buffer_size(fresh, d)
    assert abs(learned - (len(again.visits) * 1.1 + engine.E.MAX_HOPS + 1024)) <= 1


def test_conservation_check_raises_when_a_patient_is_lost() -> None:
    result = run(small_network().compile(), seed=5)
    result.check_conservation()
    tampered = result.visits.copy()
    open_rows = np.flatnonzero(np.isnan(tampered["departure"]))
    closed = np.flatnonzero(~np.isnan(tampered["departure"]))
    tampered["departure"][closed[0]] = np.nan  # a finished visit now looks unfinished
    broken = RunResult(**{**result.__dict__, "visits": tampered})
    with pytest.raises(ConservationError):
        broken.check_conservation()
    assert open_rows.size == result.inside or result.inside >= 0


def test_provenance_and_status() -> None:
    model = small_network().compile()
    result = run(model, seed=42, replication=3)
    p = result.provenance
    assert (p["seed"], p["replication"], p["engine"]) == (42, 3, "numba")
    assert p["model_digest"] == model.digest() and len(p["model_digest"]) == 64
    assert result.status == "ok" and result.end_time == model.horizon


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(EngineError, match="engine must be one of"):
        run(small_network().compile(), engine="fortran")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda n: n.add_service("x", servers=-1, service_time=Fixed(1)), "services.x.servers"),
        (lambda n: n.add_service("x", servers=1.5, service_time=Fixed(1)), "services.x.servers"),
        (
            lambda n: n.add_service("x", servers=1, service_time=Fixed(1), queue_limit=-2),
            "services.x.queue_limit",
        ),
        (
            lambda n: n.add_service("x", servers=1, service_time=Fixed(1), block_max=10),
            "services.x.block_max",
        ),
        (lambda n: n.add_arrivals("w", to="triage", rate_per_hour=-1), "arrivals.w.rate_per_hour"),
    ],
)
def test_bad_declarations_name_the_field(build, field: str) -> None:  # type: ignore[no-untyped-def]
    net = small_network()
    with pytest.raises(ModelError) as info:
        build(net)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda n: n.add_route("ed", [("beds", 1.0)]), "unknown service 'beds'"),
        (lambda n: n.add_route("ed", [(None, 0.6), ("triage", 0.3)]), "sum to 0.9"),
        (lambda n: n.add_arrivals("w", to="nowhere", rate_per_hour=1), "unknown service 'nowhere'"),
    ],
)
def test_bad_networks_fail_at_compile_with_a_clear_message(build, message: str) -> None:  # type: ignore[no-untyped-def]
    net = small_network()
    build(net)
    with pytest.raises(ModelError, match=message):
        net.compile()


def test_distribution_parameters_are_checked() -> None:
    with pytest.raises(ModelError, match="exponential.mean"):
        Exponential(-3)
    with pytest.raises(ModelError, match="roster.weekly"):
        Roster([1, 2, 3])


def test_roster_changes_capacity_series() -> None:
    weekly = [2 if 8 <= h % 24 < 20 else 0 for h in range(168)]
    net = Network(horizon_hours=48)
    net.add_service(
        "hub",
        servers=Roster(weekly, overrides=[(24 * 60 + 600, 24 * 60 + 720, 5)]),
        service_time=Exponential(20),
    )
    net.add_arrivals("walk_in", to="hub", rate_per_hour=4)
    result = run(net.compile(), seed=2)
    cap = result.capacity[0]
    assert cap[7] == 0 and cap[8] == 2 and cap[19] == 2 and cap[20] == 0
    assert cap[24 + 10] == 5 and cap[24 + 11] == 5 and cap[24 + 12] == 2


def test_compiled_model_validate_rejects_bad_arrays() -> None:
    model = small_network().compile()
    bad = model.__class__(**{**model.__dict__, "capacity0": model.capacity0.astype(np.int32)})
    with pytest.raises(ModelError, match="capacity0"):
        bad.validate()


def test_conservation_check_refuses_patient_ids_outside_the_arrivals() -> None:
    """The O(n) check (issue 15) counts patients with bincount over ids 0 .. arrived-1; an id
    outside that range would be a kernel bug, and is reported instead of mis-counted."""
    import dataclasses

    from simcare.errors import ConservationError
    from simcare.examples import reference_network

    result = run(reference_network(hours=50.0), seed=3)
    result.check_conservation()
    visits = result.visits.copy()
    visits["patient"][-1] = result.arrived
    with pytest.raises(ConservationError, match="outside 0"):
        dataclasses.replace(result, visits=visits).check_conservation()
    visits = result.visits.copy()
    visits["patient"][0] = -1  # bincount refuses a negative id: reported the same way
    with pytest.raises(ConservationError, match="patient ids run from -1 to"):
        dataclasses.replace(result, visits=visits).check_conservation()
    visits = result.visits.copy()
    visits["patient"][visits["patient"] == 0] = 1  # patient 0 lost its visits
    with pytest.raises(ConservationError):
        dataclasses.replace(result, visits=visits).check_conservation()
