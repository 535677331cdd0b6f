"""How the compiler turns scenario words into the engine's model: spot checks of each rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simcare.scenario.compile import compile_scenario
from simcare.scenario.load import load_scenario

BASE = Path(__file__).resolve().parents[2] / "scenarios" / "bnssg" / "baseline_winter.yaml"


def compiled(tmp_path: Path, extra: str = ""):  # type: ignore[no-untyped-def]
    f = tmp_path / "s.yaml"
    f.write_text(f"extends: {BASE}\nname: s\n{extra}")
    return compile_scenario(load_scenario(f))


def rates(cs, prefix: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    m = cs.model
    rows = [k for k, n in enumerate(m.stream_names) if n.startswith(prefix)]
    return m.stream_rate[rows].sum(axis=0)


def test_ed_sites_split_a_localitys_walk_ins(tmp_path: Path) -> None:
    cs = compiled(tmp_path)
    m = cs.model
    total = rates(cs, "ed_walk_in@south_gloucestershire").sum()
    to_bri = sum(
        m.stream_rate[k].sum()
        for k, n in enumerate(m.stream_names)
        if n.startswith("ed_walk_in@south_gloucestershire>bri")
    )
    assert to_bri / total == pytest.approx(0.20, rel=1e-9)


def test_bank_holidays_use_the_sunday_profile_and_factor(tmp_path: Path) -> None:
    cs = compiled(tmp_path, "calendar: {surges: []}\n")
    r = rates(cs, "ed_walk_in@bristol_south")
    day = cs.timeline.day_index(cs.timeline.start.replace(year=2025, month=12, day=25))
    sunday = cs.timeline.day_index(cs.timeline.start.replace(year=2025, month=12, day=21))
    christmas = r[day * 24 : (day + 1) * 24]
    sun = r[sunday * 24 : (sunday + 1) * 24]
    # same hourly shape as the Sunday before; level = 0.9 x (growth and season barely move)
    assert np.allclose(christmas / christmas.sum(), sun / sun.sum(), rtol=1e-9)
    assert christmas.sum() / sun.sum() == pytest.approx(0.9, rel=0.01)


def test_hub_walk_ins_go_to_ed_while_the_hub_is_shut(tmp_path: Path) -> None:
    cs = compiled(tmp_path)
    shut = rates(cs, "hub_walk_in@bristol_south:closed")
    open_ = rates(cs, "hub_walk_in@bristol_south")  # includes the :closed stream
    hours = (cs.timeline.start_hour_of_week + np.arange(len(shut))) % 24
    assert (shut[(hours >= 8) & (hours < 22)] == 0).all()
    assert (shut[(hours < 8) | (hours >= 22)] > 0).all()
    assert open_.sum() > shut.sum()


def test_hub_closed_divert_none_keeps_walk_ins_waiting(tmp_path: Path) -> None:
    cs = compiled(tmp_path, "hubs: {weston_utc: {closed_divert: none}}\n")
    names = cs.model.stream_names
    assert not any(n.startswith("hub_walk_in@weston_worle:closed") for n in names)
    assert any(n.startswith("hub_walk_in@bristol_south:closed") for n in names)


def test_rosters_become_hourly_servers(tmp_path: Path) -> None:
    cs = compiled(tmp_path)
    m = cs.model
    s = m.service_index("111_phone")
    caps = {int(v) for v in m.cap_value[m.cap_service == s]} | {int(m.capacity0[s])}
    assert caps == {5, 10, 15}  # night default, weekday and weekend day shifts


def test_weston_closure_diverts_ambulances_and_111(tmp_path: Path) -> None:
    cs = compiled(tmp_path)
    assert {
        "weston_closed_ambulance",
        "weston_closed_111_phone",
        "weston_closed_111_online",
        "weston_closed_cas",
    } <= set(cs.model.esc_names)


def test_ambulance_acuity_is_used_for_999_calls(tmp_path: Path) -> None:
    text = "demand: {call_999: {acuity: null}}\nambulance: {acuity: {resus: 0.5, major: 0.5, minor: 0.0}}\n"
    cs = compiled(tmp_path, text)
    m = cs.model
    k = m.stream_names.index("call_999@bristol_south")
    probs = np.diff(np.concatenate(([0.0], m.stream_group_cum[k])))
    groups = {m.group_names[g]: p for g, p in enumerate(probs) if p > 0}
    assert groups == {"resus@bristol_south": 0.5, "major@bristol_south": 0.5}


def test_length_of_stay_trend_scales_stays_before_its_date(tmp_path: Path) -> None:
    """``length_of_stay_trend: {per_year: 0.9, until: 2026-01-01}``: an admission y years
    before 1 January 2026 has its stay multiplied by 0.9 ** -y; from that day on by 1. Other
    services and the other trust are untouched."""
    # the fitted UHBW trend (until December 2024) reaches into the 52-week warm-up: held at 1 here
    cs = compiled(
        tmp_path,
        "beds:\n  rvj:\n    length_of_stay_trend: {per_year: 0.9, until: 2026-01-01}\n"
        "  ra7:\n    length_of_stay_trend: {per_year: 1.0, until: 2024-12-01}\n",
    )
    m = cs.model
    s = m.service_names.index("beds:rvj")
    row = m.service_scale[s]
    scaled = np.flatnonzero(row != 1.0)
    assert scaled.size > 0 and row[scaled].min() > 1.0
    first_unscaled = scaled.max() + 1
    assert (row[first_unscaled:] == 1.0).all()
    # the day before the date: 0.9 ** -(1 / 365.25)
    assert row[first_unscaled - 1] == pytest.approx(0.9 ** (-1 / 365.25), rel=1e-12)
    assert row[0] == pytest.approx(0.9 ** (-first_unscaled / 365.25), rel=1e-12)  # first day
    others = np.delete(np.arange(m.n_services), s)
    assert (m.service_scale[others] == 1.0).all()


def test_length_of_stay_trend_is_checked(tmp_path: Path) -> None:
    from simcare.scenario.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"beds\.rvj\.length_of_stay_trend\.per_year"):
        compiled(tmp_path, "beds:\n  rvj:\n    length_of_stay_trend: {per_year: -0.9, until: 2026-01-01}\n")


def test_a_channels_own_growth_compounds_from_the_growth_base(tmp_path: Path) -> None:
    """demand.CHANNEL.growth multiplies that channel alone by (1 + g)^(years since growth_base),
    on top of calendar.growth; other channels are unchanged."""
    plain = compiled(tmp_path, "calendar: {surges: []}\n")
    grown = compiled(tmp_path, "calendar: {surges: []}\ndemand: {gp_referral_sdec: {growth: 10%}}\n")
    base = plain.timeline.start.replace(year=2024, month=7, day=1)  # uncalibrated_winter's growth_base
    days = np.array([(d - base).days for d in plain.timeline.days()])  # from the warm-up's first day
    expected = np.repeat(1.10 ** (days / 365.25), 24)
    ratio = rates(grown, "gp_referral_sdec") / rates(plain, "gp_referral_sdec")
    assert np.allclose(ratio, expected, rtol=1e-12)
    assert np.array_equal(rates(grown, "ed_walk_in"), rates(plain, "ed_walk_in"))


def test_discharge_hours_become_the_beds_leave_window(tmp_path: Path) -> None:
    """``beds.TRUST.discharge_hours: {hourly, weekday}``: the trust's beds get the leave window
    weekday[d] x hourly[h] (R15a), turned from hour of week to hour of the run (index 0 = the
    run's first hour); other services keep the default (all ones: leave when ready)."""
    hourly = [0.0] * 8 + [0.5] * 12 + [0.0] * 4
    cs = compiled(
        tmp_path,
        f"beds:\n  rvj:\n    discharge_hours: {{hourly: {hourly}, weekday: [1, 1, 1, 1, 1, 60%, 0.5]}}\n",
    )
    m = cs.model
    s = m.service_index("beds:rvj")
    how = (cs.timeline.start_hour_of_week + np.arange(168)) % 168  # hour of week of run hours 0..167
    day, hour = how // 24, how % 24
    expected = np.where(day == 5, 0.6, np.where(day == 6, 0.5, 1.0)) * np.array(hourly)[hour]
    assert np.allclose(m.leave_window[s], expected, rtol=1e-12, atol=0)
    others = np.delete(np.arange(m.n_services), s)
    assert (m.leave_window[others] == 1.0).all()


@pytest.mark.parametrize(
    ("spec", "path", "message"),
    [
        ("{hourly: [1, 1]}", "discharge_hours.hourly", "needs 24 values"),
        ("{weekday: [1, 1, 1, 1, 1, 1]}", "discharge_hours.weekday", "needs 7 values"),
        ("{weekday: [1, 1, 1, 1, 1, -0.5, 1]}", r"discharge_hours.weekday\[5\]", "between 0 and 1"),
        ("{hourly: [" + ", ".join(["1.5"] * 24) + "]}", r"discharge_hours.hourly\[0\]", "between 0 and 1"),
        ("{weekday: [0, 0, 0, 0, 0, 0, 0]}", "discharge_hours", "no one would ever be discharged"),
        ("{hours: [1]}", "discharge_hours.hours", ""),
    ],
    ids=["short_hourly", "short_weekday", "negative", "above_one", "never", "unknown_key"],
)
def test_discharge_hours_mistakes_are_named(tmp_path: Path, spec: str, path: str, message: str) -> None:
    from simcare.scenario.errors import ScenarioError

    with pytest.raises(ScenarioError, match=rf"beds\.rvj\.{path}.*{message}"):
        compiled(tmp_path, f"beds:\n  rvj:\n    discharge_hours: {spec}\n")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "levers: {seven_day_discharge: {trusts: [xyz]}}\n",
            r"levers\.seven_day_discharge: trusts: no trust named 'xyz'",
        ),
        (
            "beds: {rvj: {discharge_hours: {weekday: [1, 1, 1, 1, 1, 0.5, 0.5]}}}\n"
            "levers: {seven_day_discharge: {}}\n",
            r"levers\.seven_day_discharge: trusts: beds\.rvj already has discharge_hours",
        ),
        (
            "beds: {rvj: {discharge_process: {P0: 5h}}}\nlevers: {seven_day_discharge: {}}\n",
            r"levers\.seven_day_discharge: today_weekend: beds\.rvj\.discharge_process\.P0 has mean 300 min",
        ),
        (
            "levers: {seven_day_discharge: {today_hourly: [" + ", ".join(["0"] * 24) + "]}}\n",
            r"levers\.seven_day_discharge: today_hourly: needs an hour above 0",
        ),
        (
            "levers: {seven_day_discharge: {today_hourly: [1, 1]}}\n",
            r"levers\.seven_day_discharge\.today_hourly",
        ),
        ("levers: {seven_day_discharge: {weekend: 120%}}\n", r"levers\.seven_day_discharge\.weekend"),
    ],
    ids=["unknown_trust", "already_set", "process_too_short", "never", "short_hourly", "above_one"],
)
def test_seven_day_discharge_lever_mistakes_are_named(tmp_path: Path, extra: str, message: str) -> None:
    from simcare.scenario.errors import ScenarioError

    with pytest.raises(ScenarioError, match=message):
        compiled(tmp_path, extra)


def test_seven_day_discharge_lever_shortens_each_process_by_todays_wait(tmp_path: Path) -> None:
    """Every law's duration parameters scale by (mean - wait) / mean: a lognormal keeps its
    shape (mean and sd both shorter), and the wait is the exact one of today's pattern."""
    from simcare.model.leave_window import leave_window_wait, weekly_window
    from simcare.scenario.levers import TODAY_DISCHARGE_HOURLY, TODAY_WEEKEND

    law = "{dist: lognormal, mean: 2d, sd: 1d}"
    extra = f"beds: {{rvj: {{discharge_process: {{P0: {law}}}}}}}\n"
    plain = load_scenario(_write(tmp_path, extra))
    moved = load_scenario(_write(tmp_path, extra + "levers: {seven_day_discharge: {weekend: 80%}}\n"))
    wait = leave_window_wait(weekly_window(TODAY_DISCHARGE_HOURLY, [1] * 5 + [TODAY_WEEKEND] * 2)).mean_wait
    before, after = plain.beds["rvj"].discharge_process["P0"], moved.beds["rvj"].discharge_process["P0"]
    assert after.mean_minutes == pytest.approx(before.mean_minutes - wait, rel=1e-5)
    assert after.sd / after.mean == pytest.approx(before.sd / before.mean, rel=1e-5)
    hours = moved.beds["rvj"].discharge_hours
    assert hours is not None and hours.weekday == [1, 1, 1, 1, 1, 0.8, 0.8]
    assert list(hours.hourly) == list(TODAY_DISCHARGE_HOURLY)


def _write(tmp_path: Path, extra: str) -> Path:
    f = tmp_path / f"s{abs(hash(extra))}.yaml"
    f.write_text(f"extends: {BASE}\nname: s\n{extra}")
    return f


def test_seven_day_discharge_lever_shortens_an_empirical_process(tmp_path: Path) -> None:
    extra = "beds: {rvj: {discharge_process: {P0: {dist: empirical, values: [1d, 2d, 3d], mean: null}}}}\n"
    plain = load_scenario(_write(tmp_path, extra)).beds["rvj"].discharge_process["P0"]
    moved = load_scenario(_write(tmp_path, extra + "levers: {seven_day_discharge: {}}\n"))
    after = moved.beds["rvj"].discharge_process["P0"]
    from simcare.model.leave_window import leave_window_wait, weekly_window
    from simcare.scenario.levers import TODAY_DISCHARGE_HOURLY, TODAY_WEEKEND

    wait = leave_window_wait(weekly_window(TODAY_DISCHARGE_HOURLY, [1] * 5 + [TODAY_WEEKEND] * 2)).mean_wait
    assert after.mean_minutes == pytest.approx(plain.mean_minutes - wait, rel=1e-5)
