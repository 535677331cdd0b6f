"""The PDF report: the summary, the headline table and every figure, byte-reproducible."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pypdf
from report_synthetic import synthetic_table
from test_html_report import info

from simcare.report.html import build_report
from simcare.report.pdf import SCENARIOS_PER_PAGE, pdf_bytes, write_pdf

NAMES = ("bnssg_base", "bnssg_combined", "bnssg_same")


def _pdf() -> tuple[bytes, int]:
    t = synthetic_table({"bnssg_base": 0.0, "bnssg_combined": 2.0, "bnssg_same": 0.0}, reps=2)
    r = build_report(t, "bnssg_base", scenarios=[info(n) for n in NAMES])
    return pdf_bytes(r.title, r.summary, r.impacts, r.base, r.figures), len(r.figures)


def _words(page: pypdf.PageObject) -> str:
    return " ".join(page.extract_text().split())


def test_pdf_holds_summary_table_and_figures(tmp_path: Path) -> None:
    data, figures = _pdf()
    assert data.startswith(b"%PDF-")
    path = write_pdf(tmp_path / "report.pdf", data)
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 1 + 1 + figures and figures >= 5  # text, table (2 scenarios), figures
    first = _words(reader.pages[0])
    assert first.startswith("BNSSG: 2 scenarios compared with base")
    assert "This report compares 2 scenarios with the base, base" in first
    assert "The other scenario, same, makes no material difference" in first
    table = _words(reader.pages[1])
    assert "Headline impacts" in table and "G&A bed occupancy" in table and "no difference" in table
    assert "-0.0" not in first + table


def test_pdf_is_byte_reproducible() -> None:
    one, _ = _pdf()
    two, _ = _pdf()
    assert one == two
    assert b"/CreationDate" not in one and b"/ModDate" not in one


def test_many_scenarios_split_the_table_over_pages() -> None:
    names = [f"bnssg_s{i}" for i in range(SCENARIOS_PER_PAGE + 2)]
    t = synthetic_table(dict.fromkeys(names, 0.0) | {names[-1]: 2.0}, reps=2)
    r = build_report(t, names[0])
    data = pdf_bytes(r.title, r.summary, r.impacts, r.base, [])
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1 + 2  # the text page, then two table pages
    assert "s4" in _words(reader.pages[2]) and "s4" not in _words(reader.pages[1])
    assert isinstance(r.impacts, pd.DataFrame)
