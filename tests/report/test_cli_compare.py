"""``simcare compare`` and ``simcare run`` end to end on a four-week BNSSG winter."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from simcare.batch.backends import InProcessBackend
from simcare.cli import main
from simcare.pipeline import MEASURE_COLUMNS, RUN_COLUMNS, run_files

DATA = Path(__file__).parent / "data"
SHORT, SAME, DISCHARGE = DATA / "short_winter.yaml", DATA / "short_same.yaml", DATA / "short_discharge.yaml"
SECTIONS = ("what-was-run", "warm-up", "headline", "impacts", "daily", "published", "precision", "notes")


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("compare")
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(
            [
                "compare",
                str(SHORT),
                str(SAME),
                str(DISCHARGE),
                "--reps",
                "2",
                "--workers",
                "2",
                "--out",
                str(out),
                "--report-pdf",
                str(out / "report.pdf"),
                "--quiet",
            ]
        )
    assert code == 0
    return out, buf.getvalue()


def test_compare_writes_tables_and_report(compared: tuple[Path, str]) -> None:
    out, text = compared
    csv = pd.read_csv(out / "measures.csv.gz")
    parquet = pd.read_parquet(out / "measures.parquet")
    assert list(csv.columns) == MEASURE_COLUMNS == list(parquet.columns)  # no hash in the rows
    assert len(csv) == len(parquet) > 0
    assert set(csv["scenario"]) == {"bnssg_short_winter", "bnssg_short_same", "bnssg_short_discharge"}
    # the run lookup: one row per (scenario, replication), joined on those two columns
    runs = pd.read_csv(out / "runs.csv")
    assert list(runs.columns) == RUN_COLUMNS and len(runs) == 6
    assert not runs.duplicated(["scenario", "replication"]).any()
    joined = csv.merge(runs, on=["scenario", "replication"], how="left", validate="many_to_one")
    assert set(joined["seed"]) == {2025} and joined["scenario_hash"].str.len().eq(64).all()
    assert set(csv["replication"]) == {0, 1}
    report = (out / "report.html").read_text(encoding="utf-8")
    for s in SECTIONS:
        assert f'id="{s}"' in report, s
    # every figure is drawn for BNSSG, which models every service: none is replaced by a note
    for fig in (
        "fig-warmup",
        "fig-impacts",
        "fig-ed4h",
        "fig-occupancy",
        "fig-nctr",
        "fig-handover",
        "fig-111",
        "fig-published",
    ):
        assert f'<figure id="{fig}">' in report, fig
    assert "not shown" not in report
    for words in ("bnssg_short_same", "% within 4 hours", "warm-up: 21 days configured", "report: "):
        assert words in text, words


def test_identical_scenario_differs_by_exactly_zero(compared: tuple[Path, str]) -> None:
    """bnssg_short_same is bnssg_short_winter under another name: with common random numbers
    every measure, group and period is the same, so every paired difference is exactly 0."""
    out, text = compared
    cmp = pd.read_csv(out / "comparison.csv")
    same = cmp[cmp["scenario"] == "bnssg_short_same"]
    assert len(same) > 100
    assert (same["difference"] == 0).all() and (same["half_width"] == 0).all()
    assert "no difference" in text


def test_process_pool_gives_the_same_numbers_as_one_process(compared: tuple[Path, str]) -> None:
    out, _ = compared
    pooled = pd.read_parquet(out / "measures.parquet")
    single = run_files([SHORT], replications=2, backend=InProcessBackend(), progress=False).table
    pooled = pooled[pooled["scenario"] == "bnssg_short_winter"].reset_index(drop=True)
    pd.testing.assert_frame_equal(single[MEASURE_COLUMNS].reset_index(drop=True), pooled, check_dtype=False)


def test_run_writes_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "run",
                str(SHORT),
                "--reps",
                "2",
                "--out",
                str(tmp_path / "one"),
                "--quiet",
                "--advise",
                "ae_within_4h,nctr@rvj",
                "--half-width",
                "1.5",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "bnssg_short_winter: 2025-12-15 to 2026-01-11" in text and "% within 4 hours" in text
    assert "half-width of 1.5 in the measure's unit" in text
    assert re.search(r"A&E: % within 4 hours \(all types\) +\d+\.\d % +\(\d+\.\d to \d+\.\d\)", text)
    assert "acuity:" not in text and "locality:" not in text
    assert re.search(r"ae_within_4h@ICB .* with 2: need \d+", text) and "nctr@rvj" in text
    report = (tmp_path / "one" / "report.html").read_text(encoding="utf-8")
    assert "mean over replications" in report
    assert (tmp_path / "one" / "measures.parquet").exists()
    assert not (tmp_path / "one" / "comparison.csv").exists()


def test_mistakes_are_named_and_nothing_is_lost(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "measures.csv").write_text("keep me\n")
    assert main(["compare", str(SHORT), str(tmp_path / "missing.yaml"), "--out", str(out), "--quiet"]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    assert (out / "measures.csv").read_text() == "keep me\n"
    assert main(["compare", str(SHORT), str(SAME), "--reps", "0", "--out", str(out), "--quiet"]) == 2
    assert "--reps must be at least 1" in capsys.readouterr().err
    assert main(["compare", str(SHORT), str(SHORT), "--reps", "1", "--out", str(out), "--quiet"]) == 2
    assert "same scenario name" in capsys.readouterr().err
    assert main(["run", str(SHORT), "--reps", "2", "--advise", "ae_within4h", "--quiet"]) == 2
    assert "did you mean 'ae_within_4h'" in capsys.readouterr().err
    assert main(["run", str(SHORT), "--advise", "nctr", "--quiet"]) == 2
    assert "at least 2 replications" in capsys.readouterr().err
    clash = tmp_path / "file"
    clash.write_text("")
    assert main(["compare", str(SHORT), str(SAME), "--reps", "1", "--out", str(clash), "--quiet"]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_compare_stored_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Results stored by ``simcare batch`` compare like fresh ones: the same paired differences."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"name: short\nseed: 2025\nreplications: 2\nscenarios:\n  - {SHORT}\n  - {SAME}\n")
    assert main(["batch", str(plan), "--out", str(tmp_path / "store")]) == 0
    out = tmp_path / "cmp"
    assert main(["compare", "--store", str(tmp_path / "store"), "bnssg_short_winter", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2 scenarios from" in text and "report: " in text
    cmp = pd.read_csv(out / "comparison.csv")
    assert set(cmp["scenario"]) == {"bnssg_short_same"} and (cmp["difference"] == 0).all()
    assert 'id="fig-impacts"' in (out / "report.html").read_text(encoding="utf-8")
    assert main(["compare", "--store", str(tmp_path / "store"), "nope", "--out", str(out)]) == 2
    assert "no scenario 'nope' in the store" in capsys.readouterr().err
    assert main(["compare", str(SHORT), "--out", str(out)]) == 2
    assert "at least one other" in capsys.readouterr().err


INTERNAL = (
    r"\bra7\b",
    r"\brvj\b",
    r"\btype[13]\b",
    r"\b[0-9a-f]{64}\b",
    r"\b[0-9a-f]{12}\b",  # a shortened scenario hash
    r"\bnhs111\b",
    r"\b(hub|locality|acuity|sdec|disposition):",
    r"\b[a-z0-9]+_[a-z0-9_]+\b",  # a key: bnssg_short_winter, ga_occupancy, weston_utc
)


def test_report_text_outside_the_appendix_has_no_internal_codes(compared: tuple[Path, str]) -> None:
    from visible import parts, text

    out, _ = compared
    p = parts((out / "report.html").read_text(encoding="utf-8"))
    shown = text(p.outside_appendix)
    allowed = {"comparison.csv", "docs/kpis.md"}  # file names a reader may open
    for name in allowed:
        shown = shown.replace(name, "")
    for pattern in INTERNAL:
        found = re.search(pattern, shown, flags=re.IGNORECASE)
        assert found is None, (pattern, shown[max(0, found.start() - 80) : found.end() + 40])
    assert "warm-up" in shown and "left out while the model fills up" in shown
    # the appendix keeps the details
    assert "bnssg_short_winter" in text(p.appendix) and ".yaml" in text(p.appendix)


def test_compare_writes_the_pdf_beside_the_html(compared: tuple[Path, str]) -> None:
    import io

    import pypdf

    out, printed = compared
    data = (out / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF") and f"PDF: {out / 'report.pdf'}" in printed
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 1
    first = " ".join(reader.pages[0].extract_text().split())
    assert "This report compares 2 scenarios with the base, winter" in first
