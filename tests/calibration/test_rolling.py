"""The rolling-origin forecast check: naive baseline and scores by hand, no leak past the origin,
and a tiny BNSSG check end to end (2 origins, 2 months ahead)."""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from simcare.calibration import fit as fit_module
from simcare.calibration import history as H
from simcare.calibration.fit import calibrate, write_outputs
from simcare.calibration.observed import monthly_observations
from simcare.calibration.parameters import Parameter
from simcare.calibration.report import parameter_edges
from simcare.calibration.rolling import naive_forecast, origin_spec, rolling_check, score, shift
from simcare.calibration.spec import SpecError, Target, load_spec
from tests.calibration.test_calib_end_to_end import TinyBackend

ROOT = Path(__file__).resolve().parents[2]


def _series(start: str, values: list[float]) -> pd.Series:
    return pd.Series(values, index=[shift(start, i) for i in range(len(values))], dtype=float)


def test_naive_forecast_is_last_year_times_the_recent_ratio() -> None:
    # 2023-01 .. 2024-06: last year 100..117, this year 10 % up for the six months to the origin
    last_year = [100.0 + i for i in range(12)]
    this_year = [1.1 * v for v in last_year[:6]]
    s = _series("2023-01", last_year + this_year)
    got = naive_forecast(s, "2024-06", 3)
    # trend = mean(1.1 x 6) = 1.1; 2024-07 <- 2023-07 (106) ...
    assert got == pytest.approx([1.1 * 106, 1.1 * 107, 1.1 * 108])
    # a gap leaves its ratio out; ratios 1.0 and 1.2 -> trend 1.1
    s2 = _series("2023-01", [10.0] * 12 + [np.nan] * 4 + [10.0, 12.0])
    assert naive_forecast(s2, "2024-06", 1) == pytest.approx([11.0])
    # no month up to the origin has a value a year before (2023-07 .. 2024-06): no trend -> NaN
    assert np.isnan(naive_forecast(_series("2023-07", [100.0] * 12), "2024-06", 1)[0])
    # a trend but no value a year before the forecast month (2023-07 is a gap) -> NaN
    s4 = _series("2023-01", [10.0] * 6 + [np.nan] + [10.0] * 11)
    assert np.isnan(naive_forecast(s4, "2024-06", 1)[0]) and naive_forecast(s4, "2024-06", 2)[1] == 10.0


def test_naive_forecast_never_reads_a_month_after_the_origin() -> None:
    rng = np.random.default_rng(1)
    s = _series("2022-01", list(100 + rng.normal(size=36)))
    origin = "2023-09"
    clean = naive_forecast(s, origin, 6)
    corrupted = s.copy()
    corrupted[corrupted.index > origin] = 1e9
    assert np.array_equal(naive_forecast(corrupted, origin, 6), clean)
    assert np.isfinite(clean).all()


def test_score_matches_a_hand_computation() -> None:
    obs = np.array([[50.0, 40.0], [np.nan, 60.0]])
    cal = np.array([[52.0, 41.0], [55.0, 57.0]])
    naive = np.array([[46.0, 44.0], [50.0, 66.0]])
    uncal = np.array([[60.0, 30.0], [50.0, 50.0]])
    # a percentage: errors in points over the 3 months with an observation
    s = score(True, obs, cal, naive, uncal, limit=2.0)
    assert s["months"] == 3
    assert s["mae"]["calibrated"] == pytest.approx((2 + 1 + 3) / 3)
    assert s["mae"]["naive"] == pytest.approx((4 + 4 + 6) / 3)
    assert s["mae"]["uncalibrated"] == pytest.approx((10 + 10 + 10) / 3)
    assert s["skill_naive"] == pytest.approx(6 / 14) and s["skill_uncalibrated"] == pytest.approx(6 / 30)
    assert s["forecast_limit"] == pytest.approx(3.0) and s["pass"] is True  # 2.0 <= 1.5 x 2
    assert score(True, obs, cal, naive, uncal, limit=1.0)["pass"] is False  # 2.0 > 1.5
    # a count: errors in % of the published value
    c = score(False, obs, cal, naive, uncal, limit=None)
    assert c["mae"]["calibrated"] == pytest.approx((4 + 2.5 + 5) / 3)
    assert c["unit"] == "% of published" and c["pass"] is None
    # the calibrated model worse than naive fails whatever the limit
    assert score(True, obs, naive, cal, uncal, limit=100.0)["pass"] is False


def test_a_parameter_on_its_edge_names_the_target_pulling_it() -> None:
    theta = np.linspace(0.0, 1.0, 11)[:, None] * 0.4 + 0.8  # one parameter over its box 0.8 .. 1.2
    j_a = 2.0 - theta[:, 0]  # falls as the parameter rises: pulls it up
    j_b = np.abs(theta[:, 0] - 1.0)  # indifferent about the edge
    wave = H.Wave(theta, np.zeros((11, 1)), np.column_stack([j_b, j_a]), 1.0)
    p = Parameter("x", ("ed.*.cubicles",), 0.8, 1.2, "")
    o = types.SimpleNamespace(
        result=H.Result(waves=[wave]),
        targets=[Target("b", "B", ("k",), ("g",), 1, False), Target("a", "A", ("k",), ("g",), 1, False)],
        spec=types.SimpleNamespace(parameters=(p,)),
        sample=pd.DataFrame({"x": [1.19, 1.0]}),
    )
    e = parameter_edges(o)["x"]  # type: ignore[arg-type]
    assert e["edge"] == "high" and e["nroy"] == [1.0, 1.19]
    assert e["pulled_by"]["target"] == "a A" and e["pulled_by"]["correlation"] == pytest.approx(-1.0)
    o.sample = pd.DataFrame({"x": [1.05]})
    assert parameter_edges(o)["x"]["edge"] is None  # type: ignore[arg-type]


def test_an_origin_before_the_fit_window_is_refused_when_the_check_runs() -> None:
    spec = load_spec(ROOT / "calibration" / "bnssg.yaml", fit_from="2024-01")  # a plain fit still loads
    with pytest.raises(SpecError) as err:
        rolling_check(spec, TinyBackend(), lambda _: None)
    assert err.value.field == "rolling.origins" and "2023-08 is before fit.from 2024-01" in str(err.value)
    assert origin_spec(spec, "2024-05").check_until == "2024-11"


def _tiny_spec(tmp_path: Path) -> Path:
    raw = yaml.safe_load((ROOT / "calibration" / "bnssg.yaml").read_text())
    raw["scenario"] = str(ROOT / "scenarios" / "bnssg" / "uncalibrated_winter.yaml")
    raw["data"] = str(ROOT / "calibration" / "data")
    raw["fit"] = {"from": "2024-04", "until": "2024-07"}
    raw["outputs"] = {k: f"out/{Path(v).name}" for k, v in raw["outputs"].items()}
    raw["layer"]["run"] = {"warm_up": "1w"}
    raw["parameters"] = {k: raw["parameters"][k] for k in ("ed_treatment", "discharge_process_p0")}
    raw["method"].update(design_points=3, max_waves=1, candidates=200, stochastic_replicates=2)
    raw["rolling"] = {
        "origins": ["2024-05", "2024-06"],
        "horizon": 2,
        "method": {"design_points": 3, "max_waves": 1, "posterior_sets": 2, "posterior_replicates": 1},
    }
    f = tmp_path / "spec.yaml"
    f.write_text(yaml.safe_dump(raw))
    return f


@pytest.mark.slow
def test_the_fit_at_an_origin_never_reads_a_later_month(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = origin_spec(load_spec(_tiny_spec(tmp_path)), "2024-05")
    assert (spec.fit_until, spec.check_until, spec.posterior_sets) == ("2024-05", "2024-07", 2)
    clean = calibrate(spec, TinyBackend(), lambda _: None, write=False)

    def corrupted(*args: Any, **kwargs: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
        observed, gaps = monthly_observations(*args, **kwargs)
        later = pd.DatetimeIndex(observed["month"]).strftime("%Y-%m") > "2024-05"
        observed.loc[later, "value"] = observed.loc[later, "value"] * 3.0
        return observed, gaps

    monkeypatch.setattr(fit_module, "monthly_observations", corrupted)
    dirty = calibrate(spec, TinyBackend(), lambda _: None, write=False)
    # same design, same implausibility, same plausible sets, same projections ...
    pd.testing.assert_frame_equal(clean.sample, dirty.sample)
    assert np.array_equal(clean.posterior, dirty.posterior, equal_nan=True)
    assert clean.direct_summary == dirty.direct_summary and clean.overlay == dirty.overlay
    # ... while the later months did change (the corruption reached the check errors)
    name = clean.targets[0].name
    assert clean.errors[name]["check"]["overlay"] != dirty.errors[name]["check"]["overlay"]


@pytest.mark.slow
def test_tiny_rolling_check_scores_match_a_hand_computation(tmp_path: Path) -> None:
    spec = load_spec(_tiny_spec(tmp_path))
    lines: list[str] = []
    outcome = calibrate(spec, TinyBackend(), lines.append, write=False)
    outcome.rolling = rolling_check(spec, TinyBackend(), lines.append, targets=outcome.targets)
    write_outputs(outcome)
    done = [line for line in lines if line.startswith("rolling origin 2/2 (2024-06) done")]
    assert len(done) == 1 and "estimate left 0.0 min" in done[0]

    r = json.loads(spec.errors.read_text())["rolling"]
    assert r["origins"] == ["2024-05", "2024-06"] and r["horizon"] == 2
    observed, _ = monthly_observations("2022-12", "2024-08", spec.data, icb=spec.icb, trusts=spec.trusts)
    observed["period"] = pd.DatetimeIndex(observed["month"]).strftime("%Y-%m")
    for t in outcome.targets:
        e = r["targets"][t.name]
        s = observed[(observed.measure == t.measure) & (observed.org == t.org)].set_index("period")["value"]
        s = s * t.observed_scale
        # a series published for part of the window only (the delay reasons, June 2024 on): NaN elsewhere
        s = s.reindex(pd.period_range("2022-12", "2024-08", freq="M").strftime("%Y-%m"))
        obs, cal, nai, unc = [], [], [], []
        for origin in r["origins"]:
            p = e["per_origin"][origin]
            assert p["months"] == [shift(origin, 1), shift(origin, 2)]
            # the naive forecast by hand: a year before x the mean of the last six yearly ratios
            ratios = [s[shift(origin, -b)] / s[shift(origin, -b - 12)] for b in range(6)]
            ratios = [x for x in ratios if np.isfinite(x)]
            for h, m in enumerate(p["months"]):
                want = s[shift(m, -12)] * np.mean(ratios)
                if np.isfinite(want):
                    assert p["naive"][h] == pytest.approx(want, rel=1e-3)
                if np.isfinite(s[m]):
                    assert p["observed"][h] == pytest.approx(s[m], abs=1e-4)
            for lst, key in ((obs, "observed"), (cal, "calibrated"), (nai, "naive"), (unc, "uncalibrated")):
                lst.extend(np.nan if v is None else v for v in p[key])
        o, c, n, u = (np.array(x, dtype=float) for x in (obs, cal, nai, unc))
        ok = np.isfinite(o) & np.isfinite(c) & np.isfinite(n) & np.isfinite(u)
        if not ok.any():
            continue

        def mae(f: np.ndarray, share: bool = t.is_share, ok: np.ndarray = ok, o: np.ndarray = o) -> float:
            err = np.abs(f[ok] - o[ok])
            return float(np.mean(err if share else 100 * err / np.abs(o[ok])))

        assert e["months"] == int(ok.sum())
        assert e["mae"]["calibrated"] == pytest.approx(mae(c), rel=1e-3)
        assert e["mae"]["naive"] == pytest.approx(mae(n), rel=1e-3)
        assert e["skill_naive"] == pytest.approx(mae(c) / mae(n), rel=1e-3)
        assert e["skill_uncalibrated"] == pytest.approx(mae(c) / mae(u), rel=1e-3)
        limit = spec.limit_of(t)
        if limit is not None:
            want = mae(c) / mae(n) < 1 and mae(c) / mae(u) < 1 and mae(c) <= 1.5 * limit
            assert e["pass"] is want
    html = spec.report.read_text()
    assert "Rolling-origin forecast check" in html and "Parameters on a prior edge" in html
    assert "In-sample limits" in html
