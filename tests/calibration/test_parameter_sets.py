"""Per-replication parameter sets: the ``parameter_sets`` section, applying a set, the fitted
overlay's section, and runs (CLI, batch plan) that draw set ``r mod n``."""

from __future__ import annotations

import dataclasses
import io
from contextlib import redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
import yaml

from simcare.batch.backends import InProcessBackend
from simcare.batch.plan import PlanError, load_plan
from simcare.batch.task import run_task
from simcare.calibration.parameters import Parameter
from simcare.calibration.sets import add_to_overlay, parameter_sets_section
from simcare.calibration.spec import load_spec
from simcare.cli import main
from simcare.pipeline import prepare, run_files
from simcare.scenario import ScenarioError, load_scenario, load_scenario_data, scenario_hash
from simcare.scenario.schema import ParameterSetsSpec
from simcare.scenario.sets import set_for

ROOT = Path(__file__).resolve().parents[2]
SHORT = ROOT / "tests" / "batch" / "data" / "short.yaml"  # 3 weeks after 1 week of warm-up
SPEC = ROOT / "calibration" / "bnssg.yaml"
OVERLAYS = [  # (overlay, load_spec arguments); the single out-of-sample check is now the rolling one
    ("bnssg_fitted.yaml", {}),
]
# a set that doubles BRI's cubicles (and a set of ones): set 1 changes only replications 1, 3, ...
DOUBLE_BRI = {
    "draw": True,
    "parameters": [{"name": "bri_cubicles", "paths": ["ed.bri.cubicles"]}],
    "sets": [[1.0], [2.0]],
}


def _scenario(tmp_path: Path, name: str, **sections: object) -> Path:
    path = tmp_path / f"{name}.yaml"
    doc = {"extends": str(SHORT), "name": name, **sections}
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


# --- the section ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "field", "words"),
    [
        ({**DOUBLE_BRI, "sets": [[1.0], [1.0, 2.0]]}, "parameter_sets.sets[1]", "needs one per parameter (1"),
        ({**DOUBLE_BRI, "sets": [[1.0], [-2.0]]}, "parameter_sets.sets[1][0]", "must be > 0"),
        ({**DOUBLE_BRI, "sets": [[1.0], [".nan"]]}, "parameter_sets.sets[1][0]", "number"),
        ({**DOUBLE_BRI, "sets": []}, "parameter_sets.sets", "at least 1"),
        ({**DOUBLE_BRI, "parameters": []}, "parameter_sets.parameters", "at least 1"),
        ({**DOUBLE_BRI, "draw": "yes"}, "parameter_sets.draw", "true or false"),
        ({**DOUBLE_BRI, "drew": True}, "parameter_sets.drew", "unknown key"),
        (
            {**DOUBLE_BRI, "parameters": [{"name": "x", "paths": ["ed.nowhere.cubicles"]}]},
            "parameter_sets.parameters[0].paths[0]",
            "matches nothing",
        ),
        (
            {**DOUBLE_BRI, "parameters": [{"name": "x", "paths": ["ed..cubicles"]}]},
            "parameter_sets.parameters[0].paths[0]",
            "'ed..cubicles' (parameter x): malformed",
        ),
        (
            {**DOUBLE_BRI, "parameters": [{"name": "x", "paths": []}]},
            "parameter_sets.parameters[0].paths",
            "at least 1",
        ),
    ],
)
def test_errors_name_the_file_and_field(
    tmp_path: Path, section: dict[str, object], field: str, words: str
) -> None:
    path = _scenario(tmp_path, "bad", parameter_sets=section)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.file == str(path)
    assert any(p == field and words in m for p, m in err.value.problems), err.value.problems


def test_no_section_keeps_the_scenario_hash(tmp_path: Path) -> None:
    """Scenarios without parameter sets hash as before the section existed (stores keep
    matching); the section, even with draw false, is part of the hash."""
    plain = _scenario(tmp_path, "plain", parameter_sets=None)
    sc = load_scenario(plain)
    assert sc.parameter_sets is None
    assert "parameter_sets" not in sc.model_dump(mode="json", exclude={"parameter_sets"})
    with_sets = load_scenario(_scenario(tmp_path, "plain", parameter_sets={**DOUBLE_BRI, "draw": False}))
    assert scenario_hash(with_sets) != scenario_hash(sc)


# --- applying a set -------------------------------------------------------------------------


def test_set_zero_is_the_file_and_others_scale_the_document() -> None:
    scenario = load_scenario(SHORT)
    spec = scenario.parameter_sets
    assert spec is not None and spec.sets[0] == [1.0] * len(spec.parameters)
    s0, h0 = prepare(SHORT, None, None, 0)
    assert s0 == scenario and h0 == scenario_hash(scenario)
    s1, h1 = prepare(SHORT, None, None, 1)
    assert h1 != h0
    column = [p.name for p in spec.parameters].index("ed_cubicles")
    for site in ("bri", "southmead", "weston"):  # integer counts: rounded, as calibration does
        want = round(scenario.ed[site].cubicles.default * spec.sets[1][column])
        assert s1.ed[site].cubicles.default == want
    # levers are applied after the set: 6 more BRI cubicles on top of the set's
    s1_lever, _ = prepare(SHORT, {"levers.acute_capacity.cubicles.bri": 6}, None, 1)
    assert s1_lever.ed["bri"].cubicles.default == s1.ed["bri"].cubicles.default + 6


def test_override_value_wins_over_the_set(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "double", parameter_sets=DOUBLE_BRI)
    base = load_scenario(path).ed["bri"].cubicles.default
    assert prepare(path, None, None, 1)[0].ed["bri"].cubicles.default == 2 * base
    assert prepare(path, {"ed.bri.cubicles": 30}, None, 1)[0].ed["bri"].cubicles.default == 30
    with pytest.raises(ScenarioError, match=r"parameter_sets\.sets: has 2 sets: no set 2"):
        prepare(path, None, None, 2)


def test_set_for_is_replication_mod_n() -> None:
    assert [set_for(r, 3) for r in range(7)] == [0, 1, 2, 0, 1, 2, 0]
    with pytest.raises(ValueError):
        set_for(0, 0)


# --- the fitted overlays --------------------------------------------------------------------


def test_section_from_a_sample_is_relative_to_the_best_row() -> None:
    params = [Parameter("a", ("x.*",), 0.5, 2.0), Parameter("b", ("y",), 0.5, 2.0)]
    sample = pd.DataFrame(
        {"wave": [3, 3, 2], "implausibility": [0.5, 0.7, 0.9], "a": [1.2, 0.6, 2.4], "b": [0.9, 0.9, 1.0]}
    )
    section = parameter_sets_section(sample, params, n_sets=2)
    assert section == {
        "draw": False,
        "parameters": [{"name": "a", "paths": ["x.*"]}, {"name": "b", "paths": ["y"]}],
        "sets": [[1.0, 1.0], [0.5, 1.0]],
    }
    assert len(parameter_sets_section(sample, params, n_sets=10)["sets"]) == 3
    assert parameter_sets_section(sample, params, 3)["sets"][2] == [2.0, 1.11111]  # 6 significant figures
    ParameterSetsSpec.model_validate(section)
    with pytest.raises(ValueError, match="no column b"):
        parameter_sets_section(sample.drop(columns="b"), params, 2)


@pytest.mark.parametrize(("overlay", "window"), OVERLAYS)
def test_shipped_overlays_hold_their_samples_sets(overlay: str, window: dict[str, str]) -> None:
    """Each shipped overlay's section is what the builder makes of its sample CSV (rebuild with
    ``python -m simcare.calibration.sets``), and set 0 of every one is the file itself."""
    spec = load_spec(SPEC, **window)
    assert spec.overlay.name == overlay
    held = load_scenario_data(spec.overlay)["parameter_sets"]
    assert held == parameter_sets_section(pd.read_csv(spec.sample), spec.parameters, spec.posterior_sets)
    assert prepare(spec.overlay, None, None, 0)[1] == scenario_hash(load_scenario(spec.overlay))


def test_add_to_overlay_replaces_the_section(tmp_path: Path) -> None:
    spec = load_spec(SPEC)
    text = spec.overlay.read_text(encoding="utf-8").replace("../../scenarios", str(ROOT / "scenarios"))
    overlay = tmp_path / "fitted.yaml"
    overlay.write_text(text, encoding="utf-8")
    copy = dataclasses.replace(spec, overlay=overlay)
    add_to_overlay(copy, draw=True)
    once = overlay.read_text(encoding="utf-8")
    assert once.count("parameter_sets:") == 1 and "  draw: true" in once
    add_to_overlay(copy)
    twice = overlay.read_text(encoding="utf-8")
    assert twice.count("parameter_sets:") == 1 and "  draw: false" in twice
    assert twice.split("parameter_sets:")[0] == text.split("parameter_sets:")[0]  # the rest kept


# --- runs that draw -------------------------------------------------------------------------


def _values(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=["scenario", "scenario_hash"]).reset_index(drop=True)


def test_drawing_run_uses_set_r_mod_n(tmp_path: Path) -> None:
    """draw: true with sets [1] and [2] (BRI cubicles doubled): replications 0 and 2 are
    byte-identical to the run without drawing (same random streams), 1 and 3 differ, and only
    there does BRI wait less."""
    plain = run_files(
        [_scenario(tmp_path, "plain", parameter_sets={**DOUBLE_BRI, "draw": False})],
        replications=4,
        backend=InProcessBackend(),
        progress=False,
    )
    drew = run_files(
        [_scenario(tmp_path, "drew", parameter_sets=DOUBLE_BRI)],
        replications=4,
        backend=InProcessBackend(),
        progress=False,
    )
    assert plain.scenarios[0].parameter_sets == 0 and drew.scenarios[0].parameter_sets == 2
    for r in range(4):
        a = _values(plain.table[plain.table["replication"] == r])
        b = _values(drew.table[drew.table["replication"] == r])
        if r % 2 == 0:
            pd.testing.assert_frame_equal(a, b)
        else:
            assert not a.equals(b)
            sel = (a["kpi"] == "ae_within_4h") & (a["group"] == "bri") & (a["period"] == "run")
            assert b.loc[sel, "value"].iloc[0] > a.loc[sel, "value"].iloc[0]
    hashes = drew.table.groupby("replication")["scenario_hash"].first()
    assert hashes[0] == hashes[2] == drew.scenarios[0].scenario_hash != hashes[1] == hashes[3]


def test_cli_flag_draws_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "run"
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = main(["run", str(SHORT), "--reps", "2", "--parameter-sets", "--quiet", "--out", str(out)])
    assert code == 0
    text = buf.getvalue()
    assert "replication r uses parameter set r mod 8" in text
    assert "too few to split (each set needs 2: run --reps 16 or more)" in text
    runs = pd.read_csv(out / "runs.csv").set_index("replication")  # the run lookup (issue 18)
    hashes = runs["scenario_hash"]
    assert hashes[0] == scenario_hash(load_scenario(SHORT)) != hashes[1]
    assert runs["parameter_set"].tolist() == [0, 1]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="parameter-uncertainty"' in report and "run at least 16" in report
    assert "--parameter-sets" in report  # the reproduce command

    bare = _scenario(tmp_path, "bare", parameter_sets=None)
    with redirect_stdout(io.StringIO()):
        assert main(["run", str(bare), "--parameter-sets", "--quiet"]) == 2


def test_report_splits_the_spread_with_two_replications_per_set(tmp_path: Path) -> None:
    from simcare.report.build import spread_text
    from simcare.report.headline import headline_spread
    from simcare.report.html import _sets_section

    rs = run_files(
        [_scenario(tmp_path, "drew", parameter_sets=DOUBLE_BRI)],
        replications=4,
        backend=InProcessBackend(),
        progress=False,
    )
    split = headline_spread(rs.table, rs.scenarios)
    row = split[(split["kpi"] == "ae_within_4h") & (split["group"] == "type1")].iloc[0]
    assert row["sets"] == 2 and row["needed"] == 0 and 0 <= row["parameter_share"] <= 1
    assert "drew (2 sets, 4 replications)" in spread_text(rs.table, rs.scenarios)
    html = _sets_section(rs.table, rs.scenarios, {})
    assert "parameter share" in html and "sd within a set" in html
    plain = dataclasses.replace(rs.scenarios[0], parameter_sets=0)
    assert spread_text(rs.table, [plain]) == "" and _sets_section(rs.table, [plain], {}) == ""


def test_batch_plan_key(tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(
        yaml.safe_dump({"seed": 5, "replications": 3, "parameter_sets": True, "scenarios": [str(SHORT)]}),
        encoding="utf-8",
    )
    plan = load_plan(plan_path)
    tasks = plan.tasks()
    assert [t.parameter_set for t in tasks] == [0, 1, 2]
    assert tasks[0].scenario_hash == plan.variants[0].scenario_hash
    assert len({t.scenario_hash for t in tasks}) == 3
    assert [d["parameter_set"] for d in plan.describe()] == [0, 1, 2]
    result = run_task(tasks[1])  # the worker re-derives set 1's hash and checks it
    assert set(result.kpis["scenario_hash"]) == {tasks[1].scenario_hash}

    plan_path.write_text(
        yaml.safe_dump({"seed": 5, "replications": 3, "scenarios": [str(SHORT)]}), encoding="utf-8"
    )
    plain = load_plan(plan_path)
    assert {t.parameter_set for t in plain.tasks()} == {None}
    assert "parameter_set" not in plain.describe()[0]  # digests of plans without sets unchanged

    bare = _scenario(tmp_path, "bare", parameter_sets=None)
    plan_path.write_text(yaml.safe_dump({"parameter_sets": True, "scenarios": [str(bare)]}), encoding="utf-8")
    with pytest.raises(PlanError) as err:
        load_plan(plan_path)
    assert err.value.problems[0][0] == "scenarios[0]"
    assert "parameter_sets: plan key parameter_sets is true" in err.value.problems[0][1]


def test_drawing_plan_gives_the_same_bytes_in_process_and_on_a_pool(tmp_path: Path) -> None:
    """Each set is prepared and compiled where its task runs: a pool worker's results are the
    bytes the parent process gets (and the worker re-checks each set's hash)."""
    from simcare.batch.backends import ProcessPoolBackend
    from simcare.batch.runner import run_batch
    from simcare.batch.store import load_store

    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(
        yaml.safe_dump({"seed": 5, "replications": 3, "parameter_sets": True, "scenarios": [str(SHORT)]}),
        encoding="utf-8",
    )
    plan = load_plan(plan_path)
    run_batch(plan, tmp_path / "one", progress=False)
    pool = ProcessPoolBackend(2)
    try:
        run_batch(plan, tmp_path / "pool", pool, progress=False)
    finally:
        pool.close()
    one, pooled = load_store(tmp_path / "one"), load_store(tmp_path / "pool")
    assert one.to_csv(index=False) == pooled.to_csv(index=False)
    assert one.groupby("replication")["scenario_hash"].nunique().eq(1).all()
    assert one["scenario_hash"].nunique() == 3
