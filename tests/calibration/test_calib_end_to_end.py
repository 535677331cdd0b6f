"""A tiny BNSSG calibration end to end: overlay, sample, errors and report are written and agree."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from simcare.calibration.fit import calibrate
from simcare.calibration.spec import SpecError, load_spec
from simcare.scenario.load import load_scenario, load_scenario_data
from simcare.units import parse_duration

ROOT = Path(__file__).resolve().parents[2]


class TinyBackend:
    """In this process, one task after another (the Backend protocol of simcare.batch.backends)."""

    workers = 1

    def __init__(self) -> None:
        self.tasks = 0

    def map(self, func: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for i, item in enumerate(items):
            self.tasks += 1
            try:
                yield i, func(item)
            except Exception as exc:  # noqa: BLE001 - the protocol hands exceptions back
                yield i, exc

    def close(self) -> None:
        pass


@pytest.mark.slow
def test_tiny_calibration_writes_consistent_outputs(tmp_path: Path) -> None:
    raw = yaml.safe_load((ROOT / "calibration" / "bnssg.yaml").read_text())
    raw["scenario"] = str(ROOT / "scenarios" / "bnssg" / "uncalibrated_winter.yaml")
    raw["data"] = str(ROOT / "calibration" / "data")
    raw["fit"] = {"from": "2024-04", "until": "2024-05"}
    raw["outputs"] = {k: f"out/{Path(v).name}" for k, v in raw["outputs"].items()}
    raw["layer"]["run"] = {"warm_up": "1w"}
    raw["parameters"] = {k: raw["parameters"][k] for k in ("ed_treatment", "discharge_process_p0")}
    raw["method"].update(
        design_points=3,
        max_waves=2,
        candidates=500,
        stochastic_replicates=2,
        posterior_sets=2,
        posterior_replicates=1,
    )
    f = tmp_path / "spec.yaml"
    f.write_text(yaml.safe_dump(raw))
    spec = load_spec(f, check_until="2024-06")
    backend = TinyBackend()
    lines: list[str] = []
    outcome = calibrate(spec, backend, lines.append)

    n_waves = len(outcome.result.waves)
    assert backend.tasks == 2 + sum(len(w.thetas) for w in outcome.result.waves) + 2 * 1
    assert any(line.startswith("wave 1:") for line in lines) and n_waves >= 1
    assert outcome.fit_months == ["2024-04", "2024-05"] and outcome.check_months == ["2024-06"]

    sample = pd.read_csv(spec.sample)
    assert list(sample.columns) == ["wave", "implausibility", *[p.name for p in spec.parameters]]
    for p in spec.parameters:
        assert sample[p.name].between(p.low, p.high).all()

    # the overlay extends the prior and holds the best set's values
    overlay = load_scenario_data(spec.overlay)
    prior = load_scenario_data(spec.scenario)
    best = sample.iloc[0]
    got = parse_duration(overlay["ed"]["bri"]["acuity"]["major"]["treatment_time"]["mean"])
    want = (
        parse_duration(prior["ed"]["bri"]["acuity"]["major"]["treatment_time"]["mean"]) * best["ed_treatment"]
    )
    assert got == pytest.approx(want, rel=1e-5)
    load_scenario(spec.overlay)  # valid as a scenario (the winter window of the prior)

    errors = json.loads(spec.errors.read_text())
    t = errors["targets"]["ae_attendances E54000039"]
    assert t["fit"]["months"] == outcome.fit_months and t["check"]["months"] == ["2024-06"]
    assert t["fit"]["overlay"]["tolerance"] >= t["fit"]["overlay"]["max_abs_error"]
    assert 0.0 <= t["parameter_share"] <= 1.0
    html = spec.report.read_text()
    assert "data:image/png;base64," in html and "Where the spread comes from" in html
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'' in html
    assert "out-of-sample check 2024-06 .. 2024-06" in html


def test_a_box_that_pushes_a_share_past_100_percent_is_refused_before_any_run(tmp_path: Path) -> None:
    """Shares (ED admission shares, '37%') scale like any value; the top of the box must keep each
    one a share, and calibrate says which parameter and value break it before simulating."""
    raw = yaml.safe_load((ROOT / "calibration" / "bnssg.yaml").read_text())
    raw["scenario"] = str(ROOT / "scenarios" / "bnssg" / "uncalibrated_winter.yaml")
    raw["data"] = str(ROOT / "calibration" / "data")
    raw["outputs"] = {k: f"out/{Path(v).name}" for k, v in raw["outputs"].items()}
    raw["parameters"] = {
        "ed_treatment": raw["parameters"]["ed_treatment"],
        "admission_bri": {"paths": ["ed.bri.acuity.*.admitted"], "range": [0.5, 3.0]},
    }
    f = tmp_path / "spec.yaml"
    f.write_text(yaml.safe_dump(raw))
    backend = TinyBackend()
    with pytest.raises(SpecError) as err:
        calibrate(load_spec(f), backend, lambda _line: None)
    assert err.value.field == "parameters" and backend.tasks == 0
    assert "parameter admission_bri: ed.bri.acuity." in str(err.value) and "over 100%" in str(err.value)
