"""Monthly observations for any window: gaps stay missing, bad files raise DataError naming the place."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simcare.calibration import published as P
from simcare.calibration.observed import (
    MATCHING_KPI,
    MEASURES,
    MODEL_DELAY_REASONS,
    delay_reasons_by_model_reason,
    describe_gaps,
    model_delay_reason,
    month_range,
    monthly_observations,
)
from simcare.errors import DataError
from simcare.kpi.registry import REGISTRY

ICB_AE = "england_icb_accidents_emergency_bnssg.csv"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(P.DATA_DIR, dest)
    return dest


def test_window_has_every_month_of_every_series() -> None:
    obs, gaps = monthly_observations("2022-04", "2024-11")
    assert gaps.empty
    per_series = obs.groupby(["measure", "org"])["month"].nunique()
    assert (per_series.drop("nctr_capacity") == 32).all()
    # the delay reasons start in June 2024: their series has those six months, none missing
    assert (per_series["nctr_capacity"] == 6).all()
    cap = obs[(obs.measure == "nctr_capacity") & (obs.org == "E54000039")]
    assert cap["month"].min() == pd.Timestamp("2024-06-01") and cap["value"].between(100, 200).all()
    assert set(obs["org"]) == {"E54000039", "RVJ", "RA7"}
    # the window is a superset of the April-November 2024 targets and agrees with them
    old = P.targets_apr_nov_2024().set_index(["measure", "org", "month"])["value"]
    new = obs.set_index(["measure", "org", "month"])["value"].reindex(old.index)
    assert np.allclose(new.to_numpy(), old.to_numpy())


def test_a_missing_month_is_a_gap_not_a_zero(data_copy: Path) -> None:
    f = data_copy / ICB_AE
    df = pd.read_csv(f, dtype=str)
    df = df[df["date"] != "2023-02-01"]
    df.to_csv(f, index=False)
    obs, gaps = monthly_observations("2023-01", "2023-03", data_copy)
    row = obs[(obs.measure == "ae_attendances") & (obs.org == "E54000039")].set_index("month")["value"]
    assert np.isnan(row[pd.Timestamp("2023-02-01")]) and row.notna().sum() == 2
    assert set(gaps["measure"]) == {"ae_attendances", "ae_within_4h", "emergency_admissions", "dta_over_4h"}
    assert describe_gaps(gaps)[0].startswith("ae_attendances E54000039: 2023-02 missing in " + ICB_AE)


def test_a_month_with_no_reported_day_is_a_gap(data_copy: Path) -> None:
    f = data_copy / "england_trust_criteria_to_reside_bnssg.csv"
    df = pd.read_csv(f, dtype=str)
    july = df["date"].str.startswith("2023-07") & (df["nhs_trust22_code"] == "RVJ")
    df.loc[july, "do_not_meet_criteria_to_reside"] = "0"  # zeros are reporting gaps (SOURCES.md)
    df.to_csv(f, index=False)
    obs, gaps = monthly_observations("2023-06", "2023-08", data_copy)
    # RVJ's month is empty; the ICB figure (RVJ + RA7) is then missing too (published.icb_nctr_daily)
    assert gaps[["measure", "org"]].drop_duplicates().values.tolist() == [
        ["nctr", "E54000039"],
        ["nctr", "RVJ"],
    ]
    assert (pd.DatetimeIndex(gaps["month"]) == pd.Timestamp("2023-07-01")).all()


@pytest.mark.parametrize(
    ("edit", "column", "words"),
    [
        (lambda df: df.drop(columns="total_attendances"), "total_attendances", "missing column"),
        (
            lambda df: df.assign(date=df["date"].where(df.index != 3, "2022-13-01")),
            "date",
            "unparseable date",
        ),
        (
            lambda df: df.assign(total_attendances=df["total_attendances"].where(df.index != 4, "-5")),
            "total_attendances",
            "negative count",
        ),
        (lambda df: pd.concat([df, df.iloc[[2]]]), "date", "duplicate row"),
    ],
    ids=["missing column", "bad date", "negative", "duplicate month"],
)
def test_bad_data_names_file_column_and_line(data_copy: Path, edit, column: str, words: str) -> None:  # type: ignore[no-untyped-def]
    f = data_copy / ICB_AE
    edit(pd.read_csv(f, dtype=str)).to_csv(f, index=False)
    with pytest.raises(DataError) as err:
        monthly_observations("2022-04", "2024-11", data_copy)
    assert err.value.file.endswith(ICB_AE) and err.value.column in (column, "month", "icb22_code")
    assert words in str(err.value)
    if words != "missing column":
        assert "line " in str(err.value)


def test_another_ics_rows_are_read_and_a_typo_is_named(data_copy: Path) -> None:
    f = data_copy / ICB_AE
    df = pd.read_csv(f, dtype=str)
    other = df.assign(
        icb22_code="E54000999",
        total_attendances="100.0",
        attendances_over_4hours="10.0",
        total_emergency_admissions="20.0",
        emergency_admissions_over_4hours="2.0",
    )
    pd.concat([df, other]).to_csv(f, index=False)
    obs, _ = monthly_observations("2024-01", "2024-02", data_copy, icb="E54000999")
    icb = obs[(obs.org == "E54000999") & (obs.measure == "ae_within_4h")]["value"]
    assert icb.tolist() == [0.9, 0.9]
    with pytest.raises(DataError, match="no rows for organisation 'E5400039'"):
        monthly_observations("2024-01", "2024-02", data_copy, icb="E5400039")


def test_month_range() -> None:
    assert list(month_range("2023-11", "2024-02").strftime("%Y-%m")) == [
        "2023-11",
        "2023-12",
        "2024-01",
        "2024-02",
    ]
    with pytest.raises(DataError, match="before it starts"):
        month_range("2024-02", "2023-11")


def test_a_national_download_is_read_under_its_own_name(tmp_path: Path) -> None:
    # national files have the same columns, no _bnssg suffix, and every ICB's rows
    df = pd.read_csv(P.DATA_DIR / ICB_AE, dtype=str)
    other = df.assign(icb22_code="E54000008")
    pd.concat([other, df]).to_csv(tmp_path / "england_icb_accidents_emergency.csv", index=False)
    icb = P.icb_ae_monthly(tmp_path)
    assert set(icb["icb"]) == {"E54000008", "E54000039"} and len(icb) == 2 * len(df)


# --- which model KPI each published measure matches; delay reasons by model reason ---------------
DELAYS = "england_delayed_discharge_reasons_bnssg.csv"


def test_every_measure_names_a_registered_kpi() -> None:

    assert set(MATCHING_KPI) == set(MEASURES)
    assert all(kpi in REGISTRY for kpi, _ in MATCHING_KPI.values())
    assert MATCHING_KPI["emergency_admissions"][0] == "emergency_admissions_all"  # total, SDEC included
    assert MATCHING_KPI["dta_over_4h"] == ("dta_over_4h_pct", 0.01)


def test_delay_reasons_map_to_one_model_reason_each() -> None:
    assert model_delay_reason("Capacity – Residential/nursing home care not yet available (Pathway 3)") == (
        "capacity_P3"
    )
    assert model_delay_reason(
        "Capacity – Home-based rehabilitation, reablement or recovery services not yet available (Pathway 1)"
    ) == ("capacity_P1")
    assert model_delay_reason(
        "Capacity – End of life care inc Fast-Track CHC not yet available (Pathway 1 or 3)"
    ) == ("capacity_P3")
    assert model_delay_reason("Capacity – Housing provision not yet available (Pathway 0 or 1)") == "other"
    assert model_delay_reason(
        "Interface process – Residential/nursing home care arrangements still underway (Pathway 3)"
    ) == ("process")
    assert model_delay_reason(
        "Care transfer hub process– Awaiting necessary referrals by care transfer hub"
    ) == ("process")
    with pytest.raises(ValueError, match="unknown heading 'waiting'"):
        model_delay_reason("Waiting – for something new")


def test_delay_reasons_by_model_reason_per_month_trust_and_icb() -> None:
    d = delay_reasons_by_model_reason()
    assert list(d.columns) == ["month", "org", "reason", "patients", "share"]
    assert len(d) == 6 * 3 * len(MODEL_DELAY_REASONS)  # June-November 2024, RVJ, RA7, ICB
    raw = pd.read_csv(P.DATA_DIR / DELAYS)
    assert d[d["org"] == "E54000039"]["patients"].sum() == pytest.approx(raw["delay_count"].sum())
    wide = d.pivot_table(index=["month", "reason"], columns="org", values="patients")
    np.testing.assert_allclose(wide["E54000039"], wide["RVJ"] + wide["RA7"])
    np.testing.assert_allclose(d.groupby(["month", "org"])["share"].sum(), 1.0)
    june = d[(d["month"] == pd.Timestamp("2024-06-01")) & (d["org"] == "RA7")].set_index("reason")
    p3 = raw[(raw["date"] == "2024-06-01") & (raw["nhs_trust22_code"] == "RA7")]
    p3 = p3[
        p3["delay_reason"].str.contains(
            "Residential/nursing home care not yet|End of life care inc Fast-Track CHC not"
        )
    ]
    assert june.loc["capacity_P3", "patients"] == p3["delay_count"].sum()
    icb = d[d["org"] == "E54000039"].groupby("reason")["patients"].mean()
    assert icb[["capacity_P1", "capacity_P2", "capacity_P3"]].sum() / icb.sum() == pytest.approx(
        0.61, abs=0.01
    )


def test_delay_reasons_missing_column_is_named(data_copy: Path) -> None:
    f = data_copy / DELAYS
    pd.read_csv(f, dtype=str).drop(columns="delay_reason").to_csv(f, index=False)
    with pytest.raises(DataError) as err:
        delay_reasons_by_model_reason(data_copy)
    assert err.value.file.endswith(DELAYS) and err.value.column == "delay_reason"
    assert "missing column" in str(err.value)


@pytest.mark.parametrize("content", ["", "nhs_trust22_name,nhs_trust22_code,date,delay_reason,delay_count\n"])
def test_delay_reasons_empty_file_is_refused(data_copy: Path, content: str) -> None:
    (data_copy / DELAYS).write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as err:
        delay_reasons_by_model_reason(data_copy)
    assert err.value.file.endswith(DELAYS)
    assert ("no rows" in str(err.value)) if content else ("cannot be read" in str(err.value))


def test_delay_reasons_unknown_heading_and_missing_trust_are_named(data_copy: Path) -> None:
    f = data_copy / DELAYS
    df = pd.read_csv(f, dtype=str)
    df.loc[0, "delay_reason"] = "Waiting – for something new"
    df.to_csv(f, index=False)
    with pytest.raises(DataError) as err:
        delay_reasons_by_model_reason(data_copy)
    assert err.value.column == "delay_reason" and "unknown heading" in str(err.value)
    df.iloc[1:].to_csv(f, index=False)
    with pytest.raises(DataError, match="no rows for trust 'RXX'") as err:
        delay_reasons_by_model_reason(data_copy, trusts=("RVJ", "RXX"))
    assert err.value.column == "nhs_trust22_code"
