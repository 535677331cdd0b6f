"""`simcare new-icb`: an ICB's baseline winter scenario from the national tables.

The BNSSG figures the BNSSG model was built from by hand (scenarios/bnssg/uncalibrated_winter.yaml,
docs/bnssg_parameters.md) are the check of the national arithmetic; every written file must
validate and run; all 42 ICBs' simulated April-November 2024 A&E attendances are within 10 % of
their published totals (the issue's criterion), uncalibrated.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simcare.cli import main
from simcare.icb.lookup import find_icb, icbs
from simcare.icb.national import icb_facts
from simcare.icb.new import new_icb, scenario_path
from simcare.pipeline import check, replicate

ROOT = Path(__file__).resolve().parents[2]
BNSSG = ROOT / "scenarios" / "bnssg" / "uncalibrated_winter.yaml"
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WINDOW_2024 = """extends: {name}
name: {stem}_2024
run: {{start: 2024-04-01, end: 2024-11-30, warm_up: 12w}}
calendar: {{bank_holidays: [2024-05-06, 2024-05-27, 2024-08-26]}}
"""


def test_the_national_arithmetic_gives_the_hand_built_bnssg_figures() -> None:
    """Seasonality, growth, NCTR and discharges from the national tables equal the values the
    BNSSG prior took from the BNSSG extracts (docs/bnssg_parameters.md (a), (d), (j))."""
    facts = icb_facts(find_icb("E54000039"))
    prior = yaml.safe_load(BNSSG.read_text(encoding="utf-8"))
    for i, month in enumerate(MONTHS):
        assert facts.monthly[i + 1] == pytest.approx(prior["calendar"]["monthly"][month], abs=0.0015)
    assert facts.growth == pytest.approx(0.05, abs=0.005)
    assert facts.nctr == pytest.approx(605, abs=5) and facts.discharges == pytest.approx(226, abs=3)
    beds = {t.code: t.beds for t in facts.trusts}
    assert beds["RVJ"] == pytest.approx(prior["beds"]["rvj"]["beds"], abs=1)
    assert beds["RA7"] == pytest.approx(prior["beds"]["ra7"]["beds"], abs=1)


def test_written_file_names_its_trusts_says_where_values_come_from_and_validates(tmp_path: Path) -> None:
    written = new_icb("Hertfordshire and West Essex", tmp_path)
    path = written[0]
    assert [p.name for p in written] == [
        "baseline_winter.yaml",
        "digital_first.yaml",
        "integrated_urgent_care.yaml",
        "community_capacity.yaml",
        "discharge_capacity.yaml",
        "seven_day_discharge.yaml",
        "combined.yaml",
    ]
    text = path.read_text(encoding="utf-8")
    assert path == scenario_path(find_icb("E54000025"), tmp_path)
    for code in ("RWH", "RWG", "RQW"):
        assert code in text
    doc = yaml.safe_load(text)
    assert set(doc["ed"]) == {"rwh_ed", "rwg_ed", "rqw_ed"} and set(doc["beds"]) == {"rwh", "rwg", "rqw"}
    # every line that sets a number says where it came from (here or in its section's comment)
    for section in ("calendar", "demand", "ed", "beds", "discharge", "localities"):
        block = text.split(f"\n{section}:", 1)[1].split("\n\n", 1)[0]
        assert any(tag in block for tag in ("data:", "scaled:", "ASSUMPTION")), section
    assert "bnssg" not in doc["name"] and "southmead" not in text and "bri" not in doc["ed"]
    for p in written:  # validate, as `simcare validate` does: the interventions' levers apply
        check(p)


def test_new_icb_refuses_to_overwrite_and_writes_nothing_then(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new-icb", "somerset", "--out", str(tmp_path)]) == 0
    path = scenario_path(find_icb("somerset"), tmp_path)
    path.write_text("# my edits\n", encoding="utf-8")
    assert main(["new-icb", "somerset", "--out", str(tmp_path)]) == 2
    assert "already exists (use --force" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "# my edits\n"
    # --all into a folder holding one ICB's edited file refuses before writing anything
    (tmp_path / "all" / "somerset").mkdir(parents=True)
    (tmp_path / "all" / "somerset" / "combined.yaml").write_text("# mine\n", encoding="utf-8")
    assert main(["new-icb", "--all", "--out", str(tmp_path / "all")]) == 2
    assert [p.name for p in (tmp_path / "all").iterdir()] == ["somerset"]
    assert [p.name for p in (tmp_path / "all" / "somerset").iterdir()] == ["combined.yaml"]
    assert main(["new-icb", "somerset", "--out", str(tmp_path), "--force"]) == 0
    assert "name: somerset_uncalibrated_winter" in path.read_text(encoding="utf-8")


def test_cli_needs_an_icb_and_out_and_lists_the_icbs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new-icb", "somerset"]) == 2
    assert "give one ICB (or --all) and --out DIR" in capsys.readouterr().err
    assert main(["new-icb", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 42 and lines[0].startswith("E54000008  Cheshire and Merseyside  (RBL")


def _simulated_2024(tmp_path: Path, query: str) -> tuple[float, float]:
    """(simulated, published) ICB attendances a day, April-November 2024, one replication."""
    icb = find_icb(query)
    path = new_icb(query, tmp_path, force=True)[0]
    window = tmp_path / f"{icb.key}_2024.yaml"
    window.write_text(WINDOW_2024.format(name=path.name, stem=icb.key), encoding="utf-8")
    kpis = replicate(str(window), replication=0, seed=2025).kpis
    row = kpis[(kpis["kpi"] == "ae_attendances") & (kpis["group"] == "ICB") & (kpis["period"] == "run")]
    return float(row["value"].iloc[0]) / 244.0, icb_facts(icb).attendances


def test_one_icb_runs_and_lands_near_its_published_attendances(tmp_path: Path) -> None:
    simulated, published = _simulated_2024(tmp_path, "Somerset")
    assert abs(simulated / published - 1) < 0.10


@pytest.mark.slow
def test_every_icb_writes_validates_runs_and_is_within_10_percent_uncalibrated(tmp_path: Path) -> None:
    errors = {}
    for icb in icbs():
        simulated, published = _simulated_2024(tmp_path, icb.code)
        errors[icb.name] = simulated / published - 1
    outside = {k: round(v, 3) for k, v in errors.items() if abs(v) >= 0.10}
    assert not outside, outside


@pytest.mark.parametrize(
    ("code", "published"), [("E54000025", 0.611), ("E54000039", 0.556)], ids=["hwe", "bnssg"]
)
def test_seven_day_discharge_starts_from_the_icbs_published_weekend_share(
    code: str, published: float
) -> None:
    """The seven-day file's today_weekend gives, in the model (exact, readiness spread over the
    week), the ICB's own published weekend share of discharges (April-November 2024; HWE and
    BNSSG as in docs/parameters.md and docs/bnssg_parameters.md (e)), to 0.001."""
    from simcare.icb.interventions import intervention_texts
    from simcare.icb.national import weekend_discharge_share
    from simcare.model.leave_window import weekend_share, weekly_window
    from simcare.scenario.levers import TODAY_DISCHARGE_HOURLY

    icb = find_icb(code)
    found = weekend_discharge_share(icb)
    assert found is not None and found[0] == pytest.approx(published, abs=0.001)
    text = intervention_texts(icb, "baseline_winter.yaml")["seven_day_discharge"]
    today = yaml.safe_load(text)["levers"]["seven_day_discharge"]["today_weekend"]
    assert weekend_share(weekly_window(TODAY_DISCHARGE_HOURLY, [1] * 5 + [today] * 2)) == pytest.approx(
        found[0], abs=0.001
    )
    assert "data: weekend discharges" in text
    combined = yaml.safe_load(intervention_texts(icb, "baseline_winter.yaml")["combined"])["levers"]
    assert combined["seven_day_discharge"] == {"today_weekend": today}


def test_seven_day_discharge_without_published_discharges_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from simcare.icb import interventions
    from simcare.scenario.levers import TODAY_WEEKEND

    monkeypatch.setattr(interventions, "weekend_discharge_share", lambda icb: None)
    text = interventions.intervention_texts(find_icb("E54000025"), "baseline_winter.yaml")[
        "seven_day_discharge"
    ]
    assert yaml.safe_load(text)["levers"]["seven_day_discharge"]["today_weekend"] == pytest.approx(
        TODAY_WEEKEND
    )
    assert "ASSUMPTION" in text
