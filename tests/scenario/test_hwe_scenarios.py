"""Hertfordshire and West Essex, the second shipped system (scenarios/hwe, issue 14): every file
validates, and the uncalibrated model is `simcare new-icb E54000025` with only its keys renamed
(the file's header says so; this holds it true when the generator or the data change)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from simcare.analysis.queueing import leave_window_wait
from simcare.icb.lookup import find_icb
from simcare.icb.national import icb_facts, tables
from simcare.icb.writer import scenario_text
from simcare.pipeline import check, replicate
from simcare.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[2]
HWE = ROOT / "scenarios" / "hwe"
RENAMES = {
    "rwh_ed": "lister",
    "rwg_ed": "watford",
    "rqw_ed": "harlow",
    "rwh_area": "east_and_north_herts",
    "rwg_area": "west_herts",
    "rqw_area": "west_essex",
    "rwh_utc": "east_and_north_herts_utc",
    "rwg_utc": "west_herts_utc",
    "rqw_utc": "west_essex_utc",
    "hertfordshire_and_west_essex_uncalibrated_winter": "hwe_uncalibrated_winter",
}
#: labels the generator gives by trust, named after the hospitals and areas instead
LABELS = {
    '"East and North Hertfordshire ED"': '"Lister Hospital, Stevenage"',
    '"West Hertfordshire Teaching Hospitals ED"': '"Watford General Hospital"',
    '"Princess Alexandra Hospital ED"': '"Princess Alexandra Hospital, Harlow"',
    '"East and North Hertfordshire area"': '"East and North Hertfordshire"',
    '"West Hertfordshire Teaching Hospitals area"': '"West Hertfordshire"',
    '"Princess Alexandra Hospital area"': '"West Essex"',
    '"East and North Hertfordshire area urgent treatment"': '"East and North Hertfordshire urgent treatment"',
    '"West Hertfordshire Teaching Hospitals area urgent treatment"': '"West Hertfordshire urgent treatment"',
    '"Princess Alexandra Hospital area urgent treatment"': '"West Essex urgent treatment"',
}


def shipped_text() -> str:
    """What scenarios/hwe/uncalibrated_winter.yaml holds from ``name:`` on: new-icb's output with
    the keys and labels above."""
    generated = scenario_text(find_icb("E54000025"), icb_facts(find_icb("E54000025")))
    for old, new in RENAMES.items():
        generated = re.sub(rf"\b{old}\b", new, generated)
    for old, new in LABELS.items():
        generated = generated.replace(old, new)
    return "\n".join(_body(generated)) + "\n"


@pytest.mark.parametrize("path", sorted(HWE.glob("*.yaml")), ids=lambda p: p.name)
def test_every_hwe_file_validates(path: Path) -> None:
    check(path)


def _body(text: str) -> list[str]:
    """The lines from ``name:`` on (the header comment is the shipped file's own)."""
    lines = text.splitlines()
    return lines[next(i for i, line in enumerate(lines) if line.startswith("name:")) :]


def test_the_uncalibrated_model_is_new_icb_output_with_keys_renamed() -> None:
    shipped = "\n".join(_body((HWE / "uncalibrated_winter.yaml").read_text(encoding="utf-8"))) + "\n"
    assert shipped == shipped_text()


# --- 7-day working in discharge (discharge_pattern_today.yaml, seven_day_discharge.yaml) ------


def _leave_window(path: Path, trust: str) -> np.ndarray:
    hours = load_scenario(path).beds[trust].discharge_hours
    assert hours is not None
    return np.array(hours.hour_of_week())


def test_todays_discharge_pattern_has_the_published_weekend_share() -> None:
    """Weekend discharges relative to weekdays, in the model (exact, for readiness spread over
    the week) and as published for the ICB (NHS England acute discharge sitrep, April-November
    2024, docs/parameters.md): within 0.01."""
    daily = tables().discharges
    d = daily[(daily.icb == "E54000025") & (daily.date >= "2024-04-01") & (daily.date <= "2024-11-30")]
    by_day = d.groupby(d.date.dt.day_of_week).discharges.mean()
    published = by_day[5:].mean() / by_day[:5].mean()
    departures = leave_window_wait(_leave_window(HWE / "discharge_pattern_today.yaml", "rwh")).departures
    per_day = departures.reshape(7, 24).sum(axis=1)
    assert published == pytest.approx(0.611, abs=0.001)
    assert per_day[5:].mean() / per_day[:5].mean() == pytest.approx(published, abs=0.01)


def test_todays_pattern_keeps_the_fitted_average_stay() -> None:
    """Each discharge process of discharge_pattern_today.yaml is the fitted mean less the mean
    wait its pattern adds, so the average stay stays the calibrated one; if the fit moves, so
    must the file (to 0.01 minute, the precision written)."""
    fitted = load_scenario(HWE / "baseline_winter.yaml")
    today = load_scenario(HWE / "discharge_pattern_today.yaml")
    for trust in fitted.beds:
        wait = leave_window_wait(_leave_window(HWE / "discharge_pattern_today.yaml", trust)).mean_wait
        for pathway, law in fitted.beds[trust].discharge_process.items():
            net = today.beds[trust].discharge_process[pathway]
            assert net.mean == pytest.approx(law.mean - wait, abs=0.01), (trust, pathway)
            assert net.dist == law.dist


def test_seven_day_discharge_changes_only_the_weekend() -> None:
    today = _leave_window(HWE / "discharge_pattern_today.yaml", "rwh")
    seven = _leave_window(HWE / "seven_day_discharge.yaml", "rwh")
    weekdays = slice(0, 5 * 24)
    assert np.array_equal(seven[weekdays], today[weekdays])
    assert np.array_equal(seven.reshape(7, 24)[5:], np.tile(today.reshape(7, 24)[0], (2, 1)))
    for trust in ("rwg", "rqw"):
        assert np.array_equal(_leave_window(HWE / "seven_day_discharge.yaml", trust), seven)


@pytest.mark.slow
def test_seven_day_discharge_frees_beds_under_common_random_numbers() -> None:
    """Paired replications (same seed): today's pattern made explicit keeps the baseline's
    patients with no criteria to reside within 2 %; seven-day working has fewer of them and a
    lower bed occupancy than both, in every replication."""
    kpis = ("nctr", "ga_occupancy")
    out: dict[str, np.ndarray] = {}
    for name in ("baseline_winter", "discharge_pattern_today", "seven_day_discharge"):
        rows = []
        for r in range(2):
            t = replicate(HWE / f"{name}.yaml", r, seed=17).kpis
            t = t[(t.period == "run") & (t.group == "ICB")].set_index("kpi")["value"]
            rows.append([t[k] for k in kpis])
        out[name] = np.array(rows)
    base, today, seven = out["baseline_winter"], out["discharge_pattern_today"], out["seven_day_discharge"]
    assert (np.abs(today[:, 0] / base[:, 0] - 1) < 0.02).all(), (today, base)
    assert (seven[:, 0] < today[:, 0] - 15).all() and (seven[:, 0] < base[:, 0] - 15).all(), (seven, today)
    assert (seven[:, 1] < today[:, 1]).all() and (seven[:, 1] < base[:, 1]).all(), (seven, today, base)


@pytest.mark.parametrize(
    ("settings", "file"),
    [("{}", "seven_day_discharge.yaml"), ("{weekend: 30%}", "discharge_pattern_today.yaml")],
    ids=["seven_day", "today"],
)
def test_the_lever_writes_what_the_hwe_files_state(tmp_path: Path, settings: str, file: str) -> None:
    """The seven_day_discharge lever (what new-icb writes for any ICB) on the HWE baseline gives
    the shipped files' discharge hours and discharge processes exactly; with weekends left at
    today's level it is today's pattern made explicit."""
    f = tmp_path / "lever.yaml"
    f.write_text(
        f"extends: {HWE / 'baseline_winter.yaml'}\nname: lever\nlevers:\n  seven_day_discharge: {settings}\n"
    )
    by_lever, shipped = load_scenario(f), load_scenario(HWE / file)
    for trust in shipped.beds:
        assert by_lever.beds[trust].discharge_hours == shipped.beds[trust].discharge_hours
        assert by_lever.beds[trust].discharge_process == shipped.beds[trust].discharge_process
