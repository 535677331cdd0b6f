"""A service whose demand is at or above its capacity is named, with its evidence, on stderr by
``simcare run`` and ``compare`` (issue 18: "% within 4 h 0.0" came with no warning)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simcare.analysis.overload import EVIDENCE_COLUMNS, overloaded, service_words
from simcare.cli import main
from simcare.pipeline import replicate

DATA = Path(__file__).parent / "data"
OVERLOADED = DATA / "overloaded.yaml"
SHORT = Path(__file__).parents[1] / "batch" / "data" / "short.yaml"


def test_one_cubicle_overloads_the_ed_and_the_baseline_does_not() -> None:
    cut = replicate(str(OVERLOADED), 0, 3, daily=True).queues
    base = replicate(str(SHORT), 0, 3, daily=True).queues
    assert cut is not None and base is not None
    assert list(cut.columns) == ["scenario", "replication", *EVIDENCE_COLUMNS]
    found = {o.service: o for o in overloaded(cut)}
    assert "ed:bri" in found and found["ed:bri"].servers == pytest.approx(1.0)
    assert found["ed:bri"].queue_end > found["ed:bri"].queue_start  # the queue grows
    assert overloaded(base) == []
    assert "ed:bri" in set(base["service"])  # measured, just not overloaded


def test_overloaded_averages_over_replications() -> None:
    ev = pd.DataFrame(
        {
            "scenario": "s",
            "replication": [0, 1],
            "service": "beds:rvj",
            "servers": 900.0,
            "saturated_share": [1.0, 0.85],  # mean 0.925, below 0.95
            "queue_mean": 5.0,
            "queue_start": 1.0,
            "queue_end": 9.0,
        }
    )
    assert overloaded(ev) == []
    assert [o.replications for o in overloaded(ev, share=0.9)] == [2]


def test_plain_words() -> None:
    assert service_words("ed:bri") == "the ED cubicles at bri"
    assert service_words("d2a:P3:bristol") == "discharge to assess P3 in bristol"
    assert service_words("ambulance") == "ambulance crews"
    assert service_words("new_kind:x") == "new_kind:x"


def test_run_and_compare_warn_on_stderr(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["run", str(OVERLOADED), "--reps", "1", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "warning: bri_one_cubicle: the ED cubicles at bri look overloaded" in err
    assert "% of the reported hours" in err
    assert main(["run", str(SHORT), "--reps", "1", "--quiet"]) == 0
    assert "overloaded" not in capsys.readouterr().err
    args = ["compare", str(SHORT), str(OVERLOADED), "--reps", "2", "--quiet", "--out", str(tmp_path / "c")]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "bri_one_cubicle: the ED cubicles at bri look overloaded" in err
    assert "batch_test_short:" not in err
