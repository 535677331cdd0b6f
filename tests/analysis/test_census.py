"""``simcare census``: a run from empty up to a date, its end state as a run.census fragment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simcare.analysis.census import (
    census_counts,
    census_document,
    census_keys,
    census_yaml,
    truncated_model,
    write_census,
)
from simcare.analysis.warmup import coupling_table, daily_state_series
from simcare.cli import main
from simcare.engine import run
from simcare.errors import SimcareError
from simcare.pipeline import compiled
from simcare.scenario import load_scenario_data
from simcare.scenario.compile import CompiledScenario

TOY = Path(__file__).parent / "data" / "long_stay.yaml"


def test_census_document_retimes_the_run_and_keeps_demand_growth_on_its_dates() -> None:
    data = load_scenario_data(TOY)
    data["calendar"]["growth"] = "3%"
    data["run"]["census"] = {"beds:t": 10}
    doc = census_document(data, dt.date(2024, 12, 1), 120)
    assert doc["run"]["start"] == dt.date(2024, 12, 1) and doc["run"]["warm_up"] == "120d"
    assert "census" not in doc["run"] and doc["run"]["end"] == dt.date(2025, 4, 30)
    assert doc["calendar"]["growth_base"] == dt.date(2025, 1, 1)  # the scenario's own start
    assert data["run"]["census"] == {"beds:t": 10}  # the input is not changed
    late = census_document(data, dt.date(2025, 6, 1), 10)
    assert late["run"]["end"] == dt.date(2025, 6, 2)
    assert census_document(data, None, 10)["run"]["start"] == dt.date(2025, 1, 1)
    with pytest.raises(SimcareError, match="at least 1 day"):
        census_document(data, None, 0)


def test_truncated_model_cuts_every_time_array() -> None:
    cs, _ = compiled(str(TOY), {"run.warm_up": "30d"}, str(TOY))
    m = truncated_model(cs.model, 30 * 1440.0)
    assert m.horizon == 30 * 1440.0 and m.n_hours == 720
    assert m.stream_rate.shape == (cs.model.n_streams, 720)
    assert np.array_equal(m.stream_rate, cs.model.stream_rate[:, :720])
    assert m.service_scale.shape[1] == 30
    assert (m.cap_time < m.horizon).all()
    m.validate()
    with pytest.raises(SimcareError, match="whole hours"):
        truncated_model(cs.model, 90.5)
    with pytest.raises(SimcareError, match="whole hours"):
        truncated_model(cs.model, cs.model.horizon + 60)


def test_census_counts_are_the_mean_end_state_of_the_runs() -> None:
    """Two replications cut at the census date: beds in service, beds held (NCTR) and D2A in
    service at the end of each, averaged and rounded, equal the function's census."""
    doc = census_document(load_scenario_data(TOY), dt.date(2025, 3, 1), 150)
    cs, _ = compiled(doc, None, "toy census")
    counts = census_counts(cs, 2, cs.seed)
    assert list(counts) == ["beds:t", "nctr:t", "d2a:P1:county"]
    model = truncated_model(cs.model, cs.timeline.warm_up_hours * 60.0)
    names = model.service_names
    results = [run(model, seed=cs.seed, replication=r) for r in range(2)]
    beds, d2a = names.index("beds:t"), names.index("d2a:P1:county")
    expect = {
        "beds:t": np.mean([r.final_in_service[beds] for r in results]),
        "nctr:t": np.mean([r.final_holding[beds] for r in results]),
        "d2a:P1:county": np.mean([r.final_in_service[d2a] for r in results]),
    }
    for key, value in expect.items():
        assert counts[key] == int(np.floor(value + 0.5)), key
    # long stays: about 20 admissions a day for 20 days fill some 400 beds; D2A ~170 of 200
    assert 300 < counts["beds:t"] < 500 and 100 < counts["d2a:P1:county"] <= 200 and counts["nctr:t"] > 5
    assert census_keys(cs) == {
        "beds:t": (beds, "in_service"),
        "nctr:t": (beds, "holding"),
        "d2a:P1:county": (d2a, "in_service"),
    }
    with pytest.raises(SimcareError, match="at least 1"):
        census_counts(cs, 0, 1)


def test_cli_writes_a_fragment_a_scenario_can_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The fragment is ``run: {census: ...}``; pasted into the toy with a 4-week warm-up, the
    scenario validates, runs, and passes the coupling check against a run from empty a year
    before, where the toy started empty with a 1-day warm-up does not."""
    out = tmp_path / "census.yaml"
    rc = main(
        ["census", str(TOY), "--at", "2024-12-04", "--warm-up", "52w", "--reps", "4", "--out", str(out)]
    )
    assert rc == 0 and "written to" in capsys.readouterr().out
    fragment = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert set(fragment) == {"run"} and set(fragment["run"]) == {"census"}
    assert set(fragment["run"]["census"]) == {"beds:t", "nctr:t", "d2a:P1:county"}
    assert out.read_text(encoding="utf-8").startswith("# Census of long_stay")
    assert [p.name for p in tmp_path.iterdir()] == ["census.yaml"]  # no temporary file left
    data = load_scenario_data(TOY)
    data["run"]["warm_up"] = "4w"
    data["run"]["census"] = fragment["run"]["census"]
    cs, _ = compiled(data, None, "toy with census")
    ref, _ = compiled(str(TOY), {"run.warm_up": "364d"}, str(TOY))
    empty, _ = compiled(str(TOY), None, str(TOY))

    def daily(c: CompiledScenario) -> pd.DataFrame:
        return pd.concat(
            daily_state_series(run(c.model, seed=cs.seed, replication=r), c).assign(
                scenario="toy", replication=r
            )
            for r in range(4)
        )

    reference = daily(ref)
    with_census = coupling_table(daily(cs), reference, {"toy": 28})
    assert with_census["enough"].all(), with_census
    from_empty = coupling_table(daily(empty), reference, {"toy": 1})
    assert not from_empty["enough"].any(), from_empty


def test_cli_refuses_to_overwrite_and_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "census.yaml"
    out.write_text("keep me\n", encoding="utf-8")
    assert main(["census", str(TOY), "--warm-up", "30d", "--reps", "1", "--out", str(out)]) == 2
    assert "already exists (use --force" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "keep me\n"
    assert main(["census", str(TOY), "--warm-up", "30d", "--reps", "1", "--out", str(out), "--force"]) == 0
    assert "census:" in out.read_text(encoding="utf-8")
    for args, message in (
        (["--at", "2025-02-30"], "--at '2025-02-30'"),
        (["--warm-up", "36h"], "give whole days"),
        (["--warm-up", "10"], "--warm-up '10'"),
        (["--reps", "0"], "--reps must be at least 1"),
        (["--out", str(tmp_path / "no" / "x.yaml")], "does not exist"),
    ):
        defaults = [] if "--warm-up" in args else ["--warm-up", "30d"]
        assert main(["census", str(TOY), *defaults, *args]) == 2
        assert message in capsys.readouterr().err, args
    assert main(["census", str(tmp_path / "missing.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_write_census_keeps_an_existing_file_and_formats_the_fragment(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(SimcareError, match="already exists"):
        write_census(path, "y")
    write_census(path, "y", force=True)
    assert path.read_text(encoding="utf-8") == "y"
    with pytest.raises(SimcareError, match="is a directory"):
        write_census(tmp_path, "y", force=True)
    assert census_yaml({"beds:t": 3}, "a\nb") == "# a\n# b\nrun:\n  census:\n    beds:t: 3\n"
