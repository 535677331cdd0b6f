"""Reports of stored batch results: variant labels shown whole and readable, and a panel of
zero differences drawn on a sensible, symmetric axis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simcare.report.html import short_names
from simcare.report.winter_figures import impact_chart

GRID = [
    "bnssg_discharge_capacity[levers.discharge_capacity.increase=0%]",
    "bnssg_discharge_capacity[levers.discharge_capacity.increase=15%]",
    "bnssg_discharge_capacity[levers.discharge_capacity.increase=30%]",
]


def test_grid_labels_keep_their_settings_whole() -> None:
    assert short_names(GRID) == dict(zip(GRID, ["increase 0%", "increase 15%", "increase 30%"], strict=True))


def test_mixed_labels_keep_base_and_settings() -> None:
    names = [
        "bnssg_baseline_winter",
        "bnssg_combined[levers.digital_first.online_shift=10%, run.warm_up=21d]",
        "bnssg_combined[levers.digital_first.online_shift=20%, run.warm_up=21d]#3",
        "bnssg_discharge_capacity[beds.rvj.beds=[900,950]]",
    ]
    assert short_names(names) == {
        names[0]: "baseline winter",
        names[1]: "combined (online shift 10%, warm up 21d)",
        names[2]: "combined (online shift 20%, warm up 21d)#3",
        names[3]: "discharge capacity (beds [900,950])",
    }


def test_names_that_would_collide_stay_whole() -> None:
    names = ["a[x.k=1]", "a[y.k=1]"]
    assert short_names(names) == {n: n for n in names}
    assert short_names(["bnssg_base", "bnssg_same"]) == {"bnssg_base": "base", "bnssg_same": "same"}


def _impacts(difference: float, mid: float | None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "scenario": ["increase 0%", "increase 15%"],
            "label": ["G&A bed occupancy"] * 2,
            "unit": ["%"] * 2,
            "difference": [difference, 2 * difference],
            "low": [difference, 2 * difference],
            "high": [difference, 2 * difference],
            "verdict": ["no difference"] * 2,
        }
    )
    return frame if mid is None else frame.assign(mid=mid)


@pytest.mark.parametrize(("mid", "half"), [(1.0, 1.2), (None, 1.0)])
def test_zero_difference_panel_has_a_symmetric_sensible_axis(mid: float | None, half: float) -> None:
    fig = impact_chart(_impacts(1e-17, mid))
    lo, hi = fig.axes[0].get_xlim()
    assert lo == pytest.approx(-half) and hi == pytest.approx(half)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert not any("e-1" in t for t in labels)


def test_nonzero_panel_is_at_least_the_mid_wide() -> None:
    fig = impact_chart(_impacts(0.1, 1.0))
    lo, hi = fig.axes[0].get_xlim()
    assert lo <= -1.2 and hi >= 1.2
    assert np.isfinite([lo, hi]).all()
