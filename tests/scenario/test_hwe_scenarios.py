"""Hertfordshire and West Essex, the second shipped system (scenarios/hwe, issue 14): every file
validates, and the uncalibrated model is `simcare new-icb E54000025` with only its keys renamed
(the file's header says so; this holds it true when the generator or the data change)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simcare.icb.lookup import find_icb
from simcare.icb.national import icb_facts
from simcare.icb.writer import scenario_text
from simcare.pipeline import check

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
