"""Calibration reads the national tables shipped with simcare (simcare/data/national) for any ICB:
the trust-level NCTR and discharge files are BNSSG extracts only, so without them the trust
series are left out and only the ICB's own reported zeros count as gaps."""

from __future__ import annotations

import numpy as np

from simcare.calibration import published as P
from simcare.calibration.observed import monthly_observations
from simcare.icb.national import national_dir


def test_hwe_observations_from_the_national_folder() -> None:
    with national_dir() as folder:
        assert not P.has_file("england_trust_criteria_to_reside_bnssg.csv", folder)
        observed, gaps = monthly_observations(
            "2024-04", "2024-11", folder, icb="E54000025", trusts=["RWH", "RWG", "RQW"]
        )
    measures = set(zip(observed["measure"], observed["org"], strict=True))
    assert ("nctr", "E54000025") in measures and ("discharges_per_day", "E54000025") in measures
    assert not any(m in {"nctr", "discharges_per_day"} for m, org in measures if org != "E54000025")
    assert ("ga_occupancy", "RQW") in measures and ("ae_within_4h", "E54000025") in measures
    assert gaps.empty and len(observed) == len(measures) * 8


def test_icb_zero_days_are_gaps_without_the_trust_file() -> None:
    with national_dir() as folder:
        raw = P.icb_nctr_daily(folder, zero_as_missing=False)
        masked = P.icb_nctr_daily(folder)
    zeros = raw["nctr"] == 0
    assert zeros.any()  # the national return has reporting gaps reported as 0
    assert masked.loc[zeros, "nctr"].isna().all()
    assert np.array_equal(masked.loc[~zeros, "nctr"].to_numpy(), raw.loc[~zeros, "nctr"].to_numpy())


def test_the_bnssg_folder_still_masks_the_days_a_trust_reported_zero() -> None:
    raw = P.icb_nctr_daily(zero_as_missing=False)
    masked = P.icb_nctr_daily()
    # 27 June - 3 July 2022 the ICB figure is RVJ's alone (RA7 reported 0): masked by the trust file
    day = raw["date"] == "2022-06-28"
    assert raw.loc[day, "nctr"].iloc[0] > 0 and np.isnan(masked.loc[day, "nctr"].iloc[0])
