"""The modeller's Python front door: explicit units in Network and arrival times of your own.

Units: a number keeps its old meaning (minutes, patients per hour, hours for ``horizon_hours``),
a string carries its unit; the same model written either way compiles to the same arrays.
Traces: ``draws_from_arrivals`` with ``draw``'s own arrival times gives the same run byte for
byte; a hand-written trace through a fixed-time service gives the visit rows one can write down.
"""

from __future__ import annotations

import numpy as np
import pytest

from simcare import Fixed, ModelError, Network, Roster, draw, draws_from_arrivals, run
from simcare.model import enums as E
from simcare.model.compiled import CompiledModel
from simcare.sampling.distributions import Exponential
from simcare.summary import SUMMARY_COLUMNS, service_summary


def _same_model(a: CompiledModel, b: CompiledModel) -> None:
    for name, value in vars(a).items():
        other = vars(b)[name]
        if isinstance(value, np.ndarray):
            assert value.dtype == other.dtype and np.array_equal(value, other, equal_nan=True), name
        else:
            assert value == other, name


def _ed(
    horizon: dict[str, object],
    rate: float | str,
    block_max: float | str,
    at: float | str,
    sustain: float | str,
    override: tuple[float | str, float | str, int],
    check: float | str,
) -> CompiledModel:
    net = Network(**horizon)
    net.add_service(
        "ed",
        servers=Roster.constant(3, [override]),
        service_time=Exponential(30),
        blocks=True,
        block_max=block_max,
        overflow="corridor",
    )
    net.add_service("corridor", servers=np.inf, service_time=Fixed(10))
    net.add_service("ward", servers=4, service_time=Exponential(600))
    net.add_route("ed", [("ward", 0.4), (None, 0.6)])
    net.add_arrivals("walk_in", to="ed", rate_per_hour=rate)
    net.add_census("inpatients", to="ward", count=2, at_minutes=at)
    net.add_escalation(
        "surge", watch="ed", above=0.9, below=0.7, sustain_minutes=sustain, add_servers=("ed", 1)
    )
    net.check_every_minutes = check
    return net.compile()


def test_units_as_strings_compile_to_the_same_model_as_numbers() -> None:
    numbers = _ed({"horizon_hours": 24 * 28}, 10.0, 240.0, 60.0, 30.0, (1440.0, 2880.0, 5), 15.0)
    strings = _ed({"horizon": "28d"}, "240/day", "4h", "1h", "30min", ("1d", "2d", 5), "15min")
    minutes = _ed({"horizon": 28 * 1440}, "10/h", 240, 60, 30, (1440, "48h", 5), 15)
    _same_model(numbers, strings)
    _same_model(numbers, minutes)
    assert numbers.horizon == 28 * 1440.0


def test_horizon_needs_exactly_one_of_horizon_and_horizon_hours() -> None:
    with pytest.raises(ModelError, match="exactly one"):
        Network()
    with pytest.raises(ModelError, match="exactly one"):
        Network(horizon_hours=24, horizon="1d")
    with pytest.raises(ModelError, match="horizon: unknown unit 'days'.*'2d'"):
        Network(horizon="2days")
    with pytest.raises(ModelError, match="horizon: must be positive"):
        Network(horizon="0h")
    assert Network(horizon="90min").horizon_hours == 1.5


def test_bad_units_name_the_field() -> None:
    net = Network(horizon="1d")
    with pytest.raises(ModelError, match=r"arrivals\.a\.rate_per_hour: .*per head"):
        net.add_arrivals("a", to="x", rate_per_hour="10/1000/year")
    with pytest.raises(ModelError, match=r"services\.s\.block_max: 'soon'"):
        net.add_service("s", servers=1, service_time=Fixed(1), blocks=True, block_max="soon")
    with pytest.raises(ModelError, match=r"roster\.overrides\[0\]"):
        Roster.constant(1, [("1d", "1x", 2)])


def _one_stream(rate_by_hour: np.ndarray, horizon: str = "30h") -> CompiledModel:
    net = Network(horizon=horizon)
    net.add_service("ed", servers=1, service_time=Fixed(1))
    net.add_arrivals("a", to="ed", rate_per_hour=2.0, rate_by_hour=rate_by_hour)
    return net.compile()


def test_rate_by_hour_may_be_longer_than_the_horizon_but_not_shorter() -> None:
    year = np.linspace(0.5, 1.5, 24 * 365)
    model = _one_stream(year)
    assert np.array_equal(model.stream_rate[0], 2.0 * year[:30])
    _same_model(model, _one_stream(year[:30]))
    with pytest.raises(ModelError, match=r"arrivals\.a\.rate_by_hour: needs at least 30 hourly"):
        _one_stream(year[:29])
    assert _one_stream(np.ones(30), horizon="1770min").stream_rate.shape == (1, 30)  # 29.5 h


def _network() -> CompiledModel:
    net = Network(horizon="3d")
    net.add_group("urgent", priority=1)
    net.add_group("routine")
    net.add_service("triage", servers=2, service_time=Exponential(5))
    net.add_service("majors", servers=3, service_time=Exponential(45), patience=Exponential(120))
    net.add_route("triage", [("majors", 0.7), (None, 0.3)])
    net.add_arrivals("walk_in", to="triage", rate_per_hour="6/h", groups={"urgent": 0.2, "routine": 0.8})
    net.add_arrivals("ambulance", to="majors", rate_per_hour="48/day", groups={"urgent": 1.0})
    net.add_census("inside", to="majors", count=3, groups={"routine": 1.0}, remaining=Fixed(30))
    return net.compile()


@pytest.mark.parametrize("engine", ["numba", "simpy"])
def test_a_trace_equal_to_draw_gives_the_same_run(engine: str) -> None:
    model = _network()
    drawn = draw(model, seed=7, replication=2)
    by_stream = {
        name: drawn.arrival_time[drawn.arrival_stream == k] for k, name in enumerate(model.stream_names)
    }
    traced = draws_from_arrivals(model, by_stream, seed=7, replication=2)
    for field in (
        "arrival_time",
        "arrival_stream",
        "arrival_index",
        "arrival_group",
        "arrival_service",
        "patient_key",
        "purpose_keys",
    ):
        assert np.array_equal(getattr(traced, field), getattr(drawn, field)), field
    a = run(model, draws=drawn, engine=engine)
    b = run(model, draws=traced, engine=engine)
    assert a.visits.tobytes() == b.visits.tobytes()
    assert a.in_service.tobytes() == b.in_service.tobytes()
    # groups given explicitly (by name) instead of drawn: still the same run
    groups = {
        name: np.array(model.group_names)[drawn.arrival_group[drawn.arrival_stream == k]]
        for k, name in enumerate(model.stream_names)
    }
    named = draws_from_arrivals(model, by_stream, seed=7, replication=2, groups=groups)
    assert run(model, draws=named, engine=engine).visits.tobytes() == a.visits.tobytes()


@pytest.mark.parametrize("engine", ["numba", "simpy"])
def test_a_hand_trace_gives_the_expected_visits(engine: str) -> None:
    net = Network(horizon="2h")
    net.add_service("clinic", servers=1, service_time=Fixed(30))
    net.add_arrivals("booked", to="clinic", rate_per_hour=0)  # the entry point of the trace
    model = net.compile()
    draws = draws_from_arrivals(model, {"booked": [0.0, 10.0, 100.0]})
    v = run(model, draws=draws, engine=engine).visits
    assert v["patient"].tolist() == [0, 1, 2]
    assert v["arrival"].tolist() == [0.0, 10.0, 100.0]
    assert v["start"].tolist() == [0.0, 30.0, 100.0]
    assert v["end"][:2].tolist() == [30.0, 60.0]
    assert v["outcome"].tolist() == [E.OUT_SERVED, E.OUT_SERVED, E.OUT_IN_SERVICE]
    assert draw(model, seed=0).n_patients == 0  # a zero-rate stream draws nobody


def test_draws_from_arrivals_checks_its_input() -> None:
    model = _network()
    with pytest.raises(ModelError, match="unknown arrival stream 'bus'"):
        draws_from_arrivals(model, {"bus": [1.0]})
    with pytest.raises(ModelError, match=r"arrivals: must name an arrival stream"):
        draws_from_arrivals(model, {7: [1.0]})
    with pytest.raises(ModelError, match=r"arrivals\.walk_in: arrival times must be sorted"):
        draws_from_arrivals(model, {"walk_in": [5.0, 1.0]})
    with pytest.raises(ModelError, match=r"arrivals\.walk_in: arrival times must be finite"):
        draws_from_arrivals(model, {"walk_in": [np.nan]})
    with pytest.raises(ModelError, match=r"arrivals\.walk_in: arrival times must be in \[0, 4320\)"):
        draws_from_arrivals(model, {"walk_in": [1.0, 4320.0]})
    with pytest.raises(ModelError, match=r"groups\.walk_in: unknown groups \['vip'\]"):
        draws_from_arrivals(model, {"walk_in": [1.0]}, groups={"walk_in": ["vip"]})
    with pytest.raises(ModelError, match=r"groups\.walk_in: needs one group per arrival"):
        draws_from_arrivals(model, {"walk_in": [1.0]}, groups={"walk_in": [0, 1]})
    with pytest.raises(ModelError, match=r"groups\.walk_in: group indices"):
        draws_from_arrivals(model, {"walk_in": [1.0]}, groups={"walk_in": [2]})
    # by index (census streams come first: inside, walk_in, ambulance); streams left out bring nobody
    assert model.stream_names == ("inside", "walk_in", "ambulance")
    d = draws_from_arrivals(model, {2: [2.0, 3.0]}, groups={2: [0, 0]})
    assert d.arrival_stream.tolist() == [2, 2] and d.arrival_service.tolist() == [1, 1]


def test_service_summary_columns_follow_their_definitions() -> None:
    net = Network(horizon="2h")
    net.add_service("clinic", servers=1, service_time=Fixed(30))
    net.add_arrivals("booked", to="clinic", rate_per_hour=0)
    model = net.compile()
    result = run(model, draws=draws_from_arrivals(model, {"booked": [0.0, 10.0, 100.0]}))
    row = service_summary(result).loc["clinic"]
    assert list(row.index) == list(SUMMARY_COLUMNS)
    assert row["visits"] == 3
    assert row["mean_wait_to_start_min"] == pytest.approx(20.0 / 3)  # 0, 20 and 0 (still in service)
    # busy 60 of 60 minutes in hour 0, 20 of 60 in hour 1, one server throughout
    assert row["utilisation_busy_blocked_pct"] == pytest.approx(100.0 * (1 + 1 / 3) / 2)
    assert row["mean_in_service"] == pytest.approx((1 + 1 / 3) / 2)
    late = service_summary(result, warmup_hours=1.0).loc["clinic"]
    assert late["visits"] == 1 and late["utilisation_busy_blocked_pct"] == pytest.approx(100 / 3)
