"""Readers of the published BNSSG data in calibration/data and the April-November 2024 targets."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simcare.calibration import published as P
from simcare.calibration.published import DataError
from simcare.errors import SimcareError

REPO = Path(__file__).resolve().parents[2]

# reader -> (columns it must return, minimum number of rows)
READERS: dict[Callable[..., pd.DataFrame], tuple[set[str], int]] = {
    P.ae_attendances_2016_2019: ({"month", "trust", "type", "attendances", "breaches", "admissions"}, 190),
    P.trust_ae_monthly: ({"month", "trust", "attendances", "within_4h", "dta_over_4h"}, 80),
    P.icb_ae_monthly: ({"month", "icb", "attendances", "emergency_admissions"}, 32),
    P.ae_attribution: ({"provider", "trust", "share"}, 4),
    P.ae_provider_may2022: ({"trust", "type1_attendances", "type1_within_4h", "dta_over_12h"}, 3),
    P.ga_beds_monthly: ({"month", "trust", "beds_available", "beds_occupied", "occupancy"}, 64),
    P.kh03_beds_q4_2021_22: ({"trust", "sector", "period", "occupied", "available"}, 10),
    P.trust_nctr_daily: ({"date", "trust", "nctr"}, 1950),
    P.icb_nctr_daily: ({"date", "icb", "nctr"}, 975),
    P.trust_discharges_daily: ({"date", "trust", "discharges"}, 1950),
    P.icb_discharges_daily: ({"date", "icb", "discharges"}, 975),
    P.delay_reasons_monthly: ({"month", "trust", "reason", "category", "pathway", "patients"}, 440),
    P.ambsys_june2022: ({"trust", "category", "incidents", "mean_response_min"}, 5),
    P.ipacs_arrivals: ({"date", "node", "pathway", "local_authority", "arrivals"}, 1629),
    P.ipacs_los: ({"node", "pathway", "mean_days", "mu", "sigma", "sd_days"}, 9),
    P.ipacs_capacity: ({"node", "pathway", "capacity"}, 9),
    P.ipacs_initial_conditions: ({"node", "in_service", "waiting"}, 9),
    P.ipacs_costs: ({"node", "community_cost", "acute_delay_cost"}, 9),
}


def test_data_live_in_the_repository() -> None:
    assert P.DATA_DIR == REPO / "calibration" / "data"
    assert (P.DATA_DIR / "SOURCES.md").is_file()
    source = Path(P.__file__).read_text(encoding="utf-8")
    assert "shared" not in source  # never reads ../shared at run time


@pytest.mark.parametrize("reader", list(READERS), ids=lambda f: f.__name__)
def test_real_files_load_with_expected_columns(reader: Callable[..., pd.DataFrame]) -> None:
    columns, min_rows = READERS[reader]
    df = reader()
    assert columns <= set(df.columns)
    assert len(df) >= min_rows
    numeric = df.select_dtypes("number")
    assert (numeric.fillna(0) >= 0).all().all()


def test_sane_ranges() -> None:
    ae = P.ae_attendances_2016_2019()
    assert set(ae["trust"]) == {"NLX02", "NLX24", "RA3", "RA7", "RVJ"}
    assert ae["month"].min() == pd.Timestamp("2016-04-01") and ae["month"].max() == pd.Timestamp("2019-03-01")
    assert (ae["breaches"] <= ae["attendances"]).all() and (ae["admissions"] <= ae["attendances"]).all()
    t1 = ae[ae["type"] == "1"]
    per_day = t1["attendances"].sum() / t1.groupby("month")["month"].first().dt.days_in_month.sum()
    assert per_day == pytest.approx(690, rel=0.02)  # SOURCES.md: about 690 a day, 32 % admitted
    assert t1["admissions"].sum() / t1["attendances"].sum() == pytest.approx(0.32, abs=0.01)

    tr = P.trust_ae_monthly()
    assert tr["within_4h"].between(0.4, 1).all() and tr["dta_over_4h"].between(0, 0.6).all()
    assert tr.loc[tr["trust"] == "RA7", "month"].min() == pd.Timestamp("2021-09-01")

    beds = P.ga_beds_monthly()
    assert beds["occupancy"].between(0.85, 1.0).all()
    assert beds["beds_available"].between(850, 1100).all()

    nctr = P.trust_nctr_daily()
    assert nctr["nctr"].isna().sum() == 10  # the known reporting gaps
    assert nctr["nctr"].dropna().between(50, 600).all()

    icb = P.icb_nctr_daily()
    gap_day = icb.loc[icb["date"] == pd.Timestamp("2022-06-27"), "nctr"]
    assert len(gap_day) == 1 and gap_day.isna().all()  # the ICB figure that day is RVJ's alone
    assert icb["nctr"].dropna().between(300, 900).all()

    attribution = P.ae_attribution().set_index(["provider", "trust"])["share"]
    assert attribution[("NLX", "RA7")] == pytest.approx(0.7)
    assert attribution[("NLX", "RVJ")] == pytest.approx(0.3)

    los = P.ipacs_los()
    assert set(los["scenario"]) == {"Blos"}
    # IPACS: mu = ln(median), mean = exp(mu + sigma^2 / 2)
    assert np.allclose(np.exp(los["mu"]), los["median_days"], rtol=1e-5)
    assert np.allclose(np.exp(los["mu"] + los["sigma"] ** 2 / 2), los["mean_days"], rtol=1e-3)
    arrivals = P.ipacs_arrivals()
    assert arrivals["date"].nunique() == 181
    assert arrivals.groupby("pathway")["arrivals"].sum().div(181).round(1).to_dict() == {
        "P1": 19.3,
        "P2": 7.5,
        "P3": 5.4,
    }
    amb = P.ambsys_june2022().set_index("category")["mean_response_min"]
    assert amb["cat2"] == pytest.approx(69.84, abs=0.01)  # not the 09:50 the min:sec text shows


def test_delay_reason_classification() -> None:
    assert P.classify_delay_reason(
        "Capacity – Residential/nursing home care not yet available (Pathway 3)"
    ) == ("capacity", "P3")
    assert P.classify_delay_reason(
        "Capacity – End of life care inc Fast-Track CHC not yet available (Pathway 1 or 3)"
    ) == ("capacity", "P1|P3")
    assert P.classify_delay_reason(
        "Capacity – Equipment and associated training not yet delivered (Pathway 1-3)"
    ) == ("capacity", "P1-P3")
    assert P.classify_delay_reason("Interface\xa0process – Homeless with no recourse") == (
        "interface process",
        "",
    )
    assert P.classify_delay_reason("Care transfer hub process– Awaiting necessary referrals") == (
        "care transfer hub process",
        "",
    )
    d = P.delay_reasons_monthly()
    assert set(d["category"]) == {
        "capacity",
        "care transfer hub process",
        "hospital process",
        "interface process",
        "wellbeing concerns",
    }
    assert d["month"].min() == pd.Timestamp("2024-06-01") and d["month"].max() == pd.Timestamp("2024-11-01")


# --- broken copies ------------------------------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(P.DATA_DIR, dest)
    return dest


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_missing_column_names_file_and_column(data_copy: Path) -> None:
    f = data_copy / "england_trust_accidents_emergency_bnssg.csv"
    _edit(f, "total_attendances,", "attendances_total,")
    with pytest.raises(DataError) as err:
        P.trust_ae_monthly(data_copy)
    assert err.value.column == "total_attendances"
    assert f.name in str(err.value) and "total_attendances" in str(err.value)
    assert "missing column" in str(err.value)
    with pytest.raises(DataError):  # and the targets built on it
        P.targets_apr_nov_2024(data_copy)


def test_bad_date_names_file_column_and_line(data_copy: Path) -> None:
    f = data_copy / "england_trust_criteria_to_reside_bnssg.csv"
    _edit(f, "RVJ,2024-06-01,", "RVJ,01/06/2024,")
    with pytest.raises(DataError) as err:
        P.trust_nctr_daily(data_copy)
    message = str(err.value)
    assert f.name in message and "'date'" in message and "01/06/2024" in message and "line" in message
    assert err.value.column == "date"


def test_negative_count_names_file_and_column(data_copy: Path) -> None:
    f = data_copy / "england_delayed_discharge_reasons_bnssg.csv"
    _edit(f, "not yet available (Pathway 3),26.0", "not yet available (Pathway 3),-26.0")
    with pytest.raises(DataError) as err:
        P.delay_reasons_monthly(data_copy)
    assert err.value.column == "delay_count"
    assert f.name in str(err.value) and "negative count" in str(err.value)


def test_non_numeric_count_and_missing_file(data_copy: Path) -> None:
    f = data_copy / "ipacs" / "IPACS_params_capacity.csv"
    _edit(f, "P1_B,BCap,92", "P1_B,BCap,lots")
    with pytest.raises(DataError, match=r"IPACS_params_capacity\.csv, column 'capacity': non-numeric"):
        P.ipacs_capacity(data_copy)
    (data_copy / "ambsys_june2022_bnssg.csv").unlink()
    with pytest.raises(DataError, match="ambsys_june2022_bnssg.csv: file not found"):
        P.ambsys_june2022(data_copy)


def test_data_error_is_a_simcare_error() -> None:
    err = DataError("x.csv", "col", "broken")
    assert isinstance(err, SimcareError)
    assert str(err) == "x.csv, column 'col': broken"


# --- targets ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def targets() -> pd.DataFrame:
    return P.targets_apr_nov_2024()


def _mean(t: pd.DataFrame, measure: str, org: str) -> float:
    sel = t[(t["measure"] == measure) & (t["org"] == org)]
    assert len(sel) == 8, (measure, org)  # April - November
    return float(sel["value"].mean())


def test_targets_cover_april_to_november_2024(targets: pd.DataFrame) -> None:
    assert set(targets.columns) == {"month", "org", "measure", "value", "unit", "source"}
    months = pd.date_range("2024-04-01", "2024-11-01", freq="MS")
    assert set(targets["month"]) == set(months)
    assert targets["value"].notna().all()
    for measure in ("ga_occupancy", "ga_beds_available"):
        assert set(targets.loc[targets["measure"] == measure, "org"]) == {"RVJ", "RA7"}


def test_targets_match_sources_orders_of_magnitude(targets: pd.DataFrame) -> None:
    icb = P.ICB
    assert _mean(targets, "ae_attendances", icb) == pytest.approx(35_500, rel=0.02)
    assert _mean(targets, "ae_within_4h", icb) == pytest.approx(0.73, abs=0.01)
    assert _mean(targets, "emergency_admissions", icb) == pytest.approx(11_500, rel=0.02)
    assert _mean(targets, "ga_occupancy", "RVJ") == pytest.approx(0.98, abs=0.01)
    assert _mean(targets, "ga_occupancy", "RA7") == pytest.approx(0.92, abs=0.01)
    assert _mean(targets, "ga_beds_available", "RVJ") == pytest.approx(936, abs=5)
    assert _mean(targets, "ga_beds_available", "RA7") == pytest.approx(1014, abs=5)
    assert _mean(targets, "nctr", icb) == pytest.approx(605, abs=5)
    assert _mean(targets, "discharges_per_day", icb) == pytest.approx(226, abs=3)
    # the trusts add up to the ICB for NCTR and discharges
    for measure in ("nctr", "discharges_per_day"):
        trusts = _mean(targets, measure, "RVJ") + _mean(targets, measure, "RA7")
        assert trusts == pytest.approx(_mean(targets, measure, icb), rel=1e-9)
    for org in ("RVJ", "RA7", icb):
        assert 0.1 < _mean(targets, "dta_over_4h", org) < 0.3


def test_targets_units_are_fractions_not_percentages(targets: pd.DataFrame) -> None:
    fractions = targets[targets["unit"].str.startswith("fraction")]
    assert set(fractions["measure"]) == {"ae_within_4h", "dta_over_4h", "ga_occupancy"}
    assert fractions["value"].between(0, 1).all()
