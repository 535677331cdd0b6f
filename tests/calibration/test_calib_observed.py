"""Monthly observations for any window: gaps stay missing, bad files raise DataError naming the place."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simcare.calibration import published as P
from simcare.calibration.observed import describe_gaps, month_range, monthly_observations
from simcare.errors import DataError

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
    assert (per_series == 32).all()
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
