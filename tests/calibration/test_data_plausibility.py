"""Published data files that cannot be real (issue 16): inf, 1e300, negative counts, occupied beds
above beds available, empty and header-only files: each a DataError naming the file and column."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from simcare.calibration import published as P
from simcare.calibration.observed import monthly_observations
from simcare.errors import DataError

# data file -> the reader of it
READER: dict[str, Callable[..., pd.DataFrame]] = {
    "ae_attendances_2016_2019_bnssg.csv": P.ae_attendances_2016_2019,
    "ae_provider_may2022_bnssg.csv": P.ae_provider_may2022,
    "england_trust_accidents_emergency_bnssg.csv": P.trust_ae_monthly,
    "england_icb_accidents_emergency_bnssg.csv": P.icb_ae_monthly,
    "england_ae_acute_trust_attribution_bnssg.csv": P.ae_attribution,
    "england_critical_general_acute_beds_bnssg.csv": P.ga_beds_monthly,
    "kh03_beds_q4_2021_22_bnssg.csv": P.kh03_beds_q4_2021_22,
    "england_trust_criteria_to_reside_bnssg.csv": P.trust_nctr_daily,
    "england_icb_criteria_to_reside_bnssg.csv": P.icb_nctr_daily,
    "england_trust_discharged_patients_bnssg.csv": P.trust_discharges_daily,
    "england_icb_discharged_patients_bnssg.csv": P.icb_discharges_daily,
    "england_delayed_discharge_reasons_bnssg.csv": P.delay_reasons_monthly,
    "ambsys_june2022_bnssg.csv": P.ambsys_june2022,
    "ipacs/IPACS_params_arrivals.csv": P.ipacs_arrivals,
    "ipacs/IPACS_params_los.csv": P.ipacs_los,
    "ipacs/IPACS_params_capacity.csv": P.ipacs_capacity,
    "ipacs/IPACS_params_initial_conditions.csv": P.ipacs_initial_conditions,
    "ipacs/IPACS_params_costs.csv": P.ipacs_costs,
}
BEDS = "england_critical_general_acute_beds_bnssg.csv"
AE = "england_trust_accidents_emergency_bnssg.csv"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(P.DATA_DIR, dest)
    return dest


def _set(path: Path, column: str, value: str, row: int = 0) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[row, column] = value
    df.to_csv(path, index=False)


def _error(reader: Callable[..., pd.DataFrame], data: Path) -> DataError:
    with pytest.raises(DataError) as err:
        reader(data)
    return err.value


def test_every_file_has_a_reader_and_the_table_names_real_columns() -> None:
    shipped = {str(p.relative_to(P.DATA_DIR)) for p in P.DATA_DIR.rglob("*.csv")}
    assert set(READER) == shipped
    assert set(P.PLAUSIBLE_MAX) <= shipped and set(P.OCCUPIED_WITHIN) <= shipped
    for name, table in P.PLAUSIBLE_MAX.items():
        header = set(pd.read_csv(P.DATA_DIR / name, nrows=0).columns)
        assert set(table) - {"*"} <= header, name
        df = pd.read_csv(P.DATA_DIR / name)
        for column in set(table) - {"*"}:
            assert df[column].max() < table[column] / 3, (name, column)  # headroom for a national file


@pytest.mark.parametrize("name", sorted(READER))
def test_a_header_only_file_is_an_error_naming_it(data_copy: Path, name: str) -> None:
    path = data_copy / name
    header = path.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(header + "\n", encoding="utf-8")
    err = _error(READER[name], data_copy)
    assert err.file == str(path) and "no rows: the file has a header and nothing else" in str(err)


@pytest.mark.parametrize("name", [BEDS, AE, "ipacs/IPACS_params_los.csv"])
def test_an_empty_file_is_an_error_naming_it(data_copy: Path, name: str) -> None:
    (data_copy / name).write_text("", encoding="utf-8")
    err = _error(READER[name], data_copy)
    assert err.file == str(data_copy / name) and "the file is empty" in str(err)


@pytest.mark.parametrize(
    ("name", "column", "value", "words"),
    [
        (AE, "total_attendances", "inf", "is not a finite number"),
        (AE, "total_attendances", "-inf", "is not a finite number"),
        (AE, "total_attendances", "1e300", "is more than 500,000"),
        (AE, "total_emergency_admissions", "-3", "negative count"),
        (BEDS, "general_acute_beds_available", "1e300", "is more than 10,000"),
        (BEDS, "general_acute_beds_occupancy_rate", "inf", "is not a finite number"),
        ("england_trust_criteria_to_reside_bnssg.csv", "do_not_meet_criteria_to_reside", "1e9", "more than"),
        ("england_icb_discharged_patients_bnssg.csv", "discharged_total", "inf", "not a finite number"),
        ("ipacs/IPACS_params_arrivals.csv", "arrivals", "1e300", "is more than 1,000"),
        ("ipacs/IPACS_params_los.csv", "mu", "inf", "outside [-10, 10]"),
        ("ipacs/IPACS_params_los.csv", "mu", "1e300", "outside [-10, 10]"),
        ("ipacs/IPACS_params_capacity.csv", "capacity", "1e300", "more than"),
        ("ambsys_june2022_bnssg.csv", "Incident Count", "1e300", "more than"),
    ],
)
def test_implausible_values_name_file_column_and_line(
    data_copy: Path, name: str, column: str, value: str, words: str
) -> None:
    _set(data_copy / name, column, value)
    err = _error(READER[name], data_copy)
    assert err.file == str(data_copy / name) and err.column == column
    assert words in str(err) and "line 2" in str(err)


def test_occupied_beds_above_beds_available(data_copy: Path) -> None:
    path = data_copy / BEDS
    df = pd.read_csv(path)
    _set(path, "general_acute_beds_occupied", str(int(df.loc[3, "general_acute_beds_available"]) + 1), row=3)
    err = _error(P.ga_beds_monthly, data_copy)
    assert err.column == "general_acute_beds_occupied"
    assert "on line 5 is more than general_acute_beds_available on that line" in str(err)


def test_a_split_a_little_over_its_beds_is_read_and_far_over_is_refused(data_copy: Path) -> None:
    """The national sitrep has adult G&A months 2.4 % over the adult beds (RN3, 2022): within the
    5 % tolerance of the splits; the all-G&A pair the model uses stays strict (test above)."""
    path = data_copy / BEDS
    df = pd.read_csv(path)
    available = float(df.loc[3, "adult_general_acute_beds_available"])
    _set(path, "adult_general_acute_beds_occupied", str(round(available * 1.024, 1)), row=3)
    assert len(P.ga_beds_monthly(data_copy)) == len(df)
    _set(path, "adult_general_acute_beds_occupied", str(round(available * 1.06 + 1, 1)), row=3)
    err = _error(P.ga_beds_monthly, data_copy)
    assert err.column == "adult_general_acute_beds_occupied"
    assert "on line 5 is more than adult_general_acute_beds_available by more than 5% on that line" in str(
        err
    )


def test_a_header_only_file_is_not_read_as_a_window_of_gaps(data_copy: Path) -> None:
    path = data_copy / BEDS
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="no rows"):
        monthly_observations("2024-04", "2024-05", data_copy)


def test_a_missing_column_names_file_and_column(data_copy: Path) -> None:
    path = data_copy / BEDS
    pd.read_csv(path).drop(columns="general_acute_beds_occupied").to_csv(path, index=False)
    err = _error(P.ga_beds_monthly, data_copy)
    assert err.file == str(path) and err.column == "general_acute_beds_occupied"
