"""Nothing BNSSG in generic code (issue 14): Hertfordshire and West Essex run through
`simcare run` and `simcare compare` writes no BNSSG name into any output, and its report sets
the model beside HWE's own published figures (found from its trusts, not from a scenario name)."""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

import pytest

from simcare.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from visible import parts  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
HWE = ROOT / "scenarios" / "hwe"
#: BNSSG's places, trusts and codes; any of them in an HWE output came from generic code
BNSSG_WORDS = re.compile(
    r"bnssg|bristol|southmead|weston|woodspring|\bbri\b|\brvj\b|\bra7\b"
    r"|north somerset|south gloucestershire|sirona",
    re.IGNORECASE,
)
SHORT = "extends: {base}\nname: {name}\nrun: {{start: 2026-01-05, end: 2026-02-01, warm_up: 3w}}\n"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("hwe")
    for base, name in (("baseline_winter.yaml", "hwe_short"), ("combined.yaml", "hwe_short_combined")):
        (tmp / f"{name}.yaml").write_text(SHORT.format(base=HWE / base, name=name), encoding="utf-8")
    args = ["compare", str(tmp / "hwe_short.yaml"), str(tmp / "hwe_short_combined.yaml"), "--reps", "2"]
    assert main([*args, "--workers", "1", "--out", str(tmp / "cmp"), "--allow-outside"]) == 0
    assert main(["run", str(tmp / "hwe_short.yaml"), "--out", str(tmp / "run"), "--allow-outside"]) == 0
    return tmp, ""


def _found(text: str) -> list[str]:
    return sorted({m.group(0).lower() for m in BNSSG_WORDS.finditer(text)})


def test_no_bnssg_name_in_any_output(outputs: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    tmp, _ = outputs
    for report in (tmp / "cmp" / "report.html", tmp / "run" / "report.html"):
        html = report.read_text(encoding="utf-8")
        seen = parts(html)
        assert not _found(" ".join(seen.outside_appendix + seen.appendix)), report
    for table in (tmp / "cmp" / "measures.csv.gz", tmp / "run" / "measures.csv.gz"):
        with gzip.open(table, "rt", encoding="utf-8") as rows:
            assert not _found(rows.read()), table
    assert not _found((tmp / "cmp" / "comparison.csv").read_text(encoding="utf-8"))


def test_the_report_sets_hwe_beside_its_own_published_figures(outputs: tuple[Path, str]) -> None:
    tmp, _ = outputs
    text = " ".join(parts((tmp / "cmp" / "report.html").read_text(encoding="utf-8")).outside_appendix)
    assert "No published figures are available" not in text
    assert 'id="fig-published"' in (tmp / "cmp" / "report.html").read_text(encoding="utf-8")
