"""The shipped BNSSG scenarios validate, compile and behave as their levers say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simcare import run
from simcare.cli import main
from simcare.pipeline import compiled, replicate
from simcare.scenario.compile import compile_scenario
from simcare.scenario.errors import ScenarioError
from simcare.scenario.load import load_scenario

BNSSG = Path(__file__).resolve().parents[2] / "scenarios" / "bnssg"
FILES = sorted(BNSSG.glob("*.yaml"))


def test_the_expected_scenarios_are_shipped() -> None:
    names = {f.stem for f in FILES}
    assert {
        "baseline_winter",
        "digital_first",
        "integrated_urgent_care",
        "community_capacity",
        "discharge_capacity",
        "combined",
        "flu_surge",
        "validation_2024",
        "validation_2024_uncalibrated",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_validates_and_compiles(path: Path) -> None:
    cs, digest = compiled(path)
    assert len(digest) == 64
    cs.model.validate()
    assert {"111_phone", "ambulance", "beds:rvj", "beds:ra7", "ed:southmead", "ed:bri", "ed:weston"} <= set(
        cs.model.service_names
    )


def test_baseline_structure_matches_the_issue() -> None:
    sc = load_scenario(BNSSG / "baseline_winter.yaml")
    assert {k: v.population for k, v in sc.localities.items()} == {
        "woodspring": 102000,
        "weston_worle": 81200,
        "south_gloucestershire": 270000,
        "bristol_north_west": 195460,
        "bristol_inner_city_east": 158637,
        "bristol_south": 137773,
    }
    assert {v.local_authority for v in sc.localities.values()} == {
        "bristol",
        "north_somerset",
        "south_gloucestershire",
    }
    assert {site: ed.trust for site, ed in sc.ed.items()} == {
        "southmead": "rvj",
        "bri": "ra7",
        "weston": "ra7",
    }


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_the_average_winter_is_counted_once(path: Path) -> None:
    """The month factors carry the average winter (fitted to 2022-24 attendances, with no wave
    while calibrating), so no shipped scenario adds a respiratory wave on top, except the one
    that models a worse-than-average winter."""
    sc = load_scenario(path)
    assert sc.calendar.monthly, "the season comes from the month factors"
    surges = [s.name for s in sc.calendar.surges or []]
    assert surges == (["flu"] if path.stem == "flu_surge" else []), surges


def test_every_ed_site_has_a_bed_request_step() -> None:
    sc = load_scenario(BNSSG / "baseline_winter.yaml")
    means = {site: ed.bed_request.to_distribution().mean for site, ed in sc.ed.items() if ed.bed_request}
    assert set(means) == {"southmead", "bri", "weston"}
    assert all(60 <= m <= 8 * 60 for m in means.values()), means


def model_of(name: str):  # type: ignore[no-untyped-def]
    return compile_scenario(load_scenario(BNSSG / f"{name}.yaml")).model


def stream_total(model, prefix: str) -> float:  # type: ignore[no-untyped-def]
    rows = [k for k, n in enumerate(model.stream_names) if n.startswith(prefix)]
    return float(model.stream_rate[rows].sum())


def test_digital_first_moves_a_fifth_of_phone_demand_online() -> None:
    base, lever = model_of("baseline_winter"), model_of("digital_first")
    phone, online = stream_total(base, "phone_111@"), stream_total(base, "online_111@")
    assert stream_total(lever, "phone_111@") == pytest.approx(0.8 * phone, rel=1e-6)
    assert stream_total(lever, "online_111@") == pytest.approx(online + 0.2 * phone, rel=1e-6)


def test_discharge_capacity_adds_fifteen_percent_of_d2a_slots() -> None:
    base, lever = model_of("baseline_winter"), model_of("discharge_capacity")
    for s, name in enumerate(base.service_names):
        if name.startswith("d2a:"):
            assert lever.capacity0[s] == round(base.capacity0[s] * 1.15)


def test_levers_compose_through_extends() -> None:
    sc = load_scenario(BNSSG / "combined.yaml")
    assert set(sc.levers) == {
        "discharge_capacity",
        "digital_first",
        "integrated_urgent_care",
        "community_capacity",
        "booked_slots",
    }
    assert sc.nhs111 is not None and sc.nhs111.cas is not None
    assert sc.nhs111.cas.validated == pytest.approx(0.8)


def test_lever_mistakes_are_reported_with_paths(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        f"extends: {BNSSG / 'baseline_winter.yaml'}\nname: bad\nlevers:\n"
        "  digital_frist: {online_shift: 20%}\n"
        "  handover_release: {after: 45}\n"
        "  acute_capacity: {beds: {xyz: 3}}\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    text = str(info.value)
    assert "levers.digital_frist: unknown lever; did you mean 'digital_first'?" in text
    assert "levers.handover_release.after" in text
    assert "no trust 'xyz'" in text


def test_handover_release_lever_sets_the_ambulance_limit(tmp_path: Path) -> None:
    f = tmp_path / "release.yaml"
    f.write_text(
        f"extends: {BNSSG / 'baseline_winter.yaml'}\nname: release\n"
        "levers:\n  handover_release: {after: 45min}\n"
    )
    model = compile_scenario(load_scenario(f)).model
    assert model.block_max[model.service_index("ambulance")] == 45.0


def test_combined_package_improves_flow_under_common_random_numbers() -> None:
    """Paired comparison, same seed and replication: the package lowers NCTR and raises
    4-hour performance (a large effect: 65 % -> 79 % within 4 h in the default run)."""
    out = {}
    for name in ("baseline_winter", "combined"):
        t = replicate(BNSSG / f"{name}.yaml", 0, seed=7).kpis
        t = t[(t.period == "run") & (t.group == "ICB")].set_index("kpi")["value"]
        out[name] = t
    assert out["combined"]["ae_within_4h"] > out["baseline_winter"]["ae_within_4h"] + 5
    assert out["combined"]["nctr"] < out["baseline_winter"]["nctr"]


def test_flu_surge_escalation_opens_beds() -> None:
    cs, _ = compiled(BNSSG / "flu_surge.yaml")
    result = run(cs.model, seed=3)
    s = cs.model.service_index("beds:rvj")
    assert np.nanmax(result.capacity[s]) == 936 + 30


def test_cli_run_prints_the_headline(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_csv = tmp_path / "m.csv"
    assert main(["run", str(BNSSG / "baseline_winter.yaml"), "--out", str(out_csv)]) == 0
    text = capsys.readouterr().out
    for words in ("% within 4 hours", "G&A bed occupancy", "no criteria to reside", "ICB"):
        assert words in text
    assert out_csv.stat().st_size > 1000


def test_cli_run_reports_a_broken_file_without_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BNSSG / 'baseline_winter.yaml'}\nname: bad\ned: {{bri: {{cubicles: -2}}}}\n")
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "ed.bri.cubicles" in err and "Traceback" not in err


def test_census_start_puts_the_counted_patients_in_place() -> None:
    """The census variant starts with the beds, NCTR stock and D2A occupancy it declares."""
    cs, _ = compiled(Path(__file__).parent / "data" / "bnssg_census.yaml")
    assert cs.timeline.warm_up_hours == 0
    result = run(cs.model, seed=5)
    m = cs.model
    rvj, ra7 = m.service_index("beds:rvj"), m.service_index("beds:ra7")
    first_hour = result.in_service[:, 0] + result.blocked[:, 0]
    assert first_hour[rvj] == pytest.approx(594 + 295, rel=0.02)
    assert first_hour[ra7] == pytest.approx(651 + 296, rel=0.02)
    d2a_p1_b = m.service_index("d2a:P1:bristol")
    assert result.in_service[d2a_p1_b, 0] == pytest.approx(92, abs=3)
    # medically fit patients are blocked (no criteria to reside) from the first hour
    assert result.blocked[rvj, 0] > 250


def test_census_mistakes_are_named(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text(
        f"extends: {BNSSG / 'baseline_winter.yaml'}\nname: c\n"
        "run: {warm_up: 0d, census: {beds:xyz: 3, d2a:P9:bristol: 2, ward:rvj: 1}}\n"
    )
    with pytest.raises(ScenarioError) as info:
        compiled(f)
    text = str(info.value)
    assert "run.census.beds:xyz" in text and "run.census.ward:rvj" in text
    assert "run.census.d2a:P9:bristol" in text


@pytest.mark.slow
def test_discharge_capacity_lowers_nctr_through_the_pathway_queues() -> None:
    """discharge_capacity.yaml (+15 % D2A capacity) against the baseline under common random
    numbers, 4 paired replications: NCTR falls, and the fall is in the patients waiting for
    pathway 1-3 capacity (nctr_by_reason capacity_P1-P3), not in the discharge process. The
    paired fall must exceed its 95 % t-interval half-width (3 degrees of freedom)."""
    reps = 4
    groups = ["capacity_P1:ICB", "capacity_P2:ICB", "capacity_P3:ICB"]

    def parts(name: str) -> np.ndarray:
        out = []
        for r in range(reps):
            t = replicate(BNSSG / f"{name}.yaml", r, seed=11).kpis
            t = t[(t.period == "run") & (t.kpi == "nctr_by_reason")].set_index("group")["value"]
            out.append((t[groups].sum(), t["process:ICB"]))
        return np.array(out)

    base, more = parts("baseline_winter"), parts("discharge_capacity")
    fall = base - more  # (reps, [capacity, process])
    mean, half = fall.mean(0), 3.182 * fall.std(0, ddof=1) / np.sqrt(reps)
    assert mean[0] > half[0] and mean[0] > 5, (mean, half)
    assert abs(mean[1]) < 0.5 * mean[0], (mean, half)  # the process part barely moves
