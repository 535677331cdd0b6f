"""Every KPI on the hand-built tiny run (tests/kpi/kpi_tiny.py), checked against values worked out
by hand from its visit rows and hourly series."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from kpi_tiny import tiny_result, tiny_scenario, value

from simcare.errors import ModelError
from simcare.kpi.uec import COLUMNS, uec_measures
from simcare.scenario.timeline import Timeline

JAN, FEB, D31, D01, RUN = "2025-01", "2025-02", "2025-01-31", "2025-02-01", "run"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return uec_measures(tiny_result(), tiny_scenario())


def test_table_has_the_contract_columns_and_no_missing_values(table: pd.DataFrame) -> None:
    assert tuple(table.columns) == COLUMNS
    assert table["value"].notna().all()
    assert not table.duplicated(["kpi", "group", "period"]).any()
    assert set(table["period"]) == {RUN, JAN, FEB, D31, D01}


@pytest.mark.parametrize(
    ("kpi", "group", "period", "expected"),
    [
        # P10-P13's four phone calls (P13 after falling back from online), all on 31 January
        ("nhs111_calls", "ICB", D31, 4),
        ("nhs111_calls", "ICB", D01, 0),
        ("nhs111_calls", "ICB", RUN, 4),
        ("nhs111_calls", "locality:south", RUN, 3),
        ("nhs111_calls", "acuity:major", RUN, 1),
        ("nhs111_answered_60s", "ICB", RUN, 100 * 2 / 3),  # 30 s and 0 s of three answered
        ("nhs111_abandoned", "ICB", RUN, 25.0),
        ("nhs111_answer_mean", "ICB", RUN, 60 * (0.5 + 3 + 0) / 3),
        ("nhs111_online", "ICB", RUN, 1),
        ("nhs111_online_share", "ICB", RUN, 25.0),  # one of four first contacts
        ("nhs111_dispositions", "disposition:home_or_primary_care", RUN, 75.0),
        ("nhs111_dispositions", "disposition:abandoned", RUN, 25.0),
        ("nhs111_dispositions", "disposition:ambulance", RUN, 0.0),
    ],
)
def test_nhs111(table: pd.DataFrame, kpi: str, group: str, period: str, expected: float) -> None:
    assert value(table, kpi, group, period) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kpi", "group", "period", "expected"),
    [
        ("conveyances", "a", D31, 2),
        ("conveyances", "ICB", RUN, 2),
        ("handover_mean", "a", RUN, (70 + 45) / 2),
        ("handover_over_15", "a", RUN, 2),
        ("handover_over_30", "a", RUN, 2),
        ("handover_over_60", "ICB", RUN, 1),
        ("handover_over_60", "a", D31, 1),
        ("handover_over_60", "t", RUN, 1),
        ("crew_hours_lost", "ICB", RUN, (55 + 30) / 60),
        ("ambulance_response_mean", "ICB", RUN, 5.0),
        ("ambulance_response_p90", "ICB", RUN, 9.0),  # numpy.quantile([0, 10], 0.9)
        ("ambulance_queue", "ICB", RUN, 0.5),
        ("crews_at_handover", "ICB", D31, 0.25),
        ("crews_at_handover", "ICB", RUN, 0.125),
    ],
)
def test_ambulance(table: pd.DataFrame, kpi: str, group: str, period: str, expected: float) -> None:
    assert value(table, kpi, group, period) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kpi", "group", "period", "expected"),
    [
        # P2 arrives on 31 January at 22:40 and leaves on 1 February: counted on the 31st
        ("ae_attendances", "a", D31, 4),
        ("ae_attendances", "a", D01, 3),
        ("ae_attendances", "a", JAN, 4),
        ("ae_attendances", "a", FEB, 3),
        ("ae_attendances", "a", RUN, 7),
        ("ae_attendances", "hub:h", RUN, 1),
        ("ae_attendances", "type1", RUN, 7),
        ("ae_attendances", "type3", RUN, 1),
        ("ae_attendances", "ICB", RUN, 8),
        ("ae_attendances", "acuity:major", RUN, 3),
        ("ae_attendances", "locality:south", RUN, 5),
        ("ae_attendances", "t", RUN, 7),
        ("ae_attendances", "t", FEB, 3),  # trust t runs ED a
        # within 4 h: P1, P3 of P1-P6 (P6 open but past 4 h; P7 open, not yet, left out)
        ("ae_within_4h", "a", RUN, 100 * 2 / 6),
        ("ae_within_4h", "a", D31, 50.0),
        ("ae_within_4h", "a", D01, 0.0),
        ("ae_within_4h", "ICB", RUN, 100 * 3 / 7),
        ("ae_within_4h", "type3", RUN, 100.0),
        ("ae_within_4h", "t", RUN, 100 * 2 / 6),
        ("ae_over_12h", "a", RUN, 1),
        ("ae_over_12h", "a", D31, 0),
        ("ae_over_12h", "a", D01, 1),
        # P2 waits 100 min from decision to admit; P6 has boarded 620 min at the end
        ("dta_over_4h", "a", D01, 1),
        ("dta_over_4h", "t", FEB, 1),
        ("dta_over_4h", "ICB", RUN, 1),
        ("dta_over_12h", "a", RUN, 0),
        ("lwbs", "a", D01, 1),
        ("lwbs", "a", RUN, 1),
        ("lwbs", "locality:south", RUN, 1),
        ("time_in_dept_mean", "a", RUN, 300.0),
        ("time_in_dept_mean", "a", D31, 250.0),
        ("time_in_dept_mean", "a", D01, 500.0),
        ("time_in_dept_p95", "a", RUN, 460.0),  # numpy.quantile([200, 200, 300, 300, 500], 0.95)
        ("time_in_dept_p95", "a", D31, 300.0),
        ("ed_occupancy", "a", RUN, 75.0),
        ("ed_occupancy", "ICB", D01, 75.0),
        ("ed_boarding", "a", RUN, 1.0),
        ("hub_attendances", "hub:h", RUN, 1),
        ("hub_within_4h", "ICB", RUN, 100.0),
        ("hub_utilisation", "hub:h", RUN, 50.0),
        ("hub_utilisation", "ICB", D31, 50.0),
    ],
)
def test_ae(table: pd.DataFrame, kpi: str, group: str, period: str, expected: float) -> None:
    assert value(table, kpi, group, period) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kpi", "group", "period", "expected"),
    [
        ("ga_occupancy", "t", D31, 90.0),
        ("ga_occupancy", "t", D01, 95.0),
        ("ga_occupancy", "t", JAN, 90.0),
        ("ga_occupancy", "ICB", RUN, 92.5),
        ("ga_beds", "t", RUN, 10.0),
        ("ga_beds_occupied", "t", D31, 9.0),
        ("ga_beds_occupied", "t", RUN, 9.25),
        ("ga_occupancy_peak", "t", JAN, 90.0),
        ("ga_occupancy_peak", "t", RUN, 95.0),
        ("ga_days_over_92", "t", JAN, 0),
        ("ga_days_over_92", "t", FEB, 1),
        ("ga_days_over_92", "t", RUN, 1),
        ("ga_days_over_95", "ICB", RUN, 0),  # 95.0 is not over 95
        ("nctr", "t", D31, 2.0),
        ("nctr", "t", D01, 1.0),
        ("nctr", "ICB", RUN, 1.5),
        ("lost_bed_days", "t", D31, 2.0),
        ("lost_bed_days", "t", D01, 1.0),
        ("lost_bed_days", "ICB", RUN, 3.0),
        # P14 (GP referral) on 31 January, P2 gets its bed on 1 February; P6 is still waiting
        ("emergency_admissions", "t", D31, 1),
        ("emergency_admissions", "t", D01, 1),
        ("emergency_admissions", "ICB", RUN, 2),
        ("emergency_admissions", "acuity:major", RUN, 2),
        ("emergency_admissions", "locality:north", RUN, 2),
        # P14 to D2A pathway 1 on 31 January, P15 home (P0) on 1 February
        ("discharges", "P1", D31, 1),
        ("discharges", "P0", D01, 1),
        ("discharges", "P2", RUN, 0),
        ("discharges", "t", RUN, 2),
        ("discharges", "ICB", RUN, 2),
        ("d2a_queue", "P1", D31, 1.0),
        ("d2a_queue", "P1", D01, 0.0),
        ("d2a_queue", "ICB", RUN, 0.5),
        ("d2a_queue", "P1:la", RUN, 0.5),
        ("d2a_occupancy", "P1:la", RUN, 100.0),
        ("d2a_occupancy", "ICB", D31, 100.0),
        ("d2a_wait", "P1", D31, 300 / 1440),
        ("d2a_wait", "ICB", RUN, 300 / 1440),
        ("d2a_wait", "P1:la", RUN, 300 / 1440),
        ("d2a_wait", "locality:north", RUN, 300 / 1440),
    ],
)
def test_beds_and_d2a(table: pd.DataFrame, kpi: str, group: str, period: str, expected: float) -> None:
    assert value(table, kpi, group, period) == pytest.approx(expected)


def test_warm_up_visits_are_never_counted(table: pd.DataFrame) -> None:
    """P0 (ED) and P9 (hub) arrive in the warm-up day: no row for 30 January, and not in the totals."""
    assert not table["period"].str.startswith("2025-01-30").any()
    assert value(table, "hub_attendances", "hub:h", RUN) == 1


def test_counts_over_the_run_are_the_sum_of_months_and_of_days(table: pd.DataFrame) -> None:
    for kpi in ("ae_attendances", "nhs111_calls", "conveyances", "discharges", "lost_bed_days"):
        t = table[table["kpi"] == kpi]
        run = t[t["period"] == RUN].set_index("group")["value"]
        months = t[t["period"].str.len() == 7].groupby("group")["value"].sum()
        days = t[t["period"].str.len() == 10].groupby("group")["value"].sum()
        pd.testing.assert_series_equal(run.loc[months.index], months, check_names=False)
        pd.testing.assert_series_equal(run.loc[days.index], days, check_names=False)


def test_fine_groups_and_summaries_have_no_day_rows(table: pd.DataFrame) -> None:
    days = table[table["period"].str.len() == 10]
    assert not days["group"].str.startswith(("acuity:", "locality:")).any()
    assert not days["kpi"].isin(["ga_occupancy_peak", "ga_days_over_92", "ga_days_over_95"]).any()
    assert "P1:la" not in set(days["group"])
    ed = days["kpi"].str.startswith(("ae_", "dta_", "handover", "lwbs", "time_in_dept"))
    assert "t" not in set(days[ed]["group"]) and "t" in set(days[~ed]["group"])  # trust: beds daily


def test_periods_and_kpis_can_be_chosen() -> None:
    t = uec_measures(tiny_result(), tiny_scenario(), periods=("run",), kpis=["ae_attendances", "nctr"])
    assert set(t["period"]) == {RUN}
    assert set(t["kpi"]) == {"ae_attendances", "nctr"}
    with pytest.raises(ModelError, match="kpis: unknown KPI 'ae_atendances'; did you mean 'ae_attendances'"):
        uec_measures(tiny_result(), tiny_scenario(), kpis=["ae_atendances"])


def test_census_patients_are_not_admissions() -> None:
    """Without a warm-up the run starts at the origin: P15, placed in a bed at time 0 by a census,
    is not an emergency admission; P0's attendance (now reported) is."""
    tl = Timeline(origin=dt.date(2025, 1, 30), start=dt.date(2025, 1, 30), end=dt.date(2025, 2, 1))
    t = uec_measures(tiny_result(), tiny_scenario(tl))
    assert value(t, "emergency_admissions", "ICB", RUN) == 2
    assert value(t, "ae_attendances", "a", "2025-01-30") == 1


def test_a_result_shorter_than_the_scenario_is_refused() -> None:
    with pytest.raises(ModelError, match="hourly series cover 48 hours"):
        uec_measures(tiny_result(hours=48), tiny_scenario())


def test_a_scenario_without_ambulance_or_111_gives_no_rows_for_them() -> None:
    result = tiny_result()
    renamed = tuple(
        f"other_{n}" if n in ("ambulance", "111_phone", "111_online") else n for n in result.service_names
    )
    t = uec_measures(dataclasses.replace(result, service_names=renamed), tiny_scenario())
    assert not t["kpi"].str.startswith(("nhs111", "ambulance")).any()
    assert np.isfinite(t["value"]).all()
    assert value(t, "ae_attendances", "ICB", RUN) == 8
