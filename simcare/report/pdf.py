"""The report as a PDF, beside the HTML: the same title, summary, headline table and figures, drawn
with matplotlib's PdfPages (no browser). Byte-reproducible: no creation or modification date, a
fixed producer, and fonts embedded as TrueType subsets (so the text can be searched and copied).

Pages (A4): the title, the summary paragraph and the caveats; the headline table (landscape, at
most :data:`SCENARIOS_PER_PAGE` scenarios a page); then each figure of the report on its own page.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from simcare._version import __version__
from simcare.report.files import atomic_write
from simcare.report.headline import number, signed

A4 = (8.27, 11.69)  # inches, portrait
SCENARIOS_PER_PAGE = 3
WRAP = 92  # characters per line of body text at 10 pt on A4
METADATA = {"Creator": f"simcare {__version__}", "Producer": "simcare", "CreationDate": None, "ModDate": None}


def _text_page(title: str, paragraphs: Sequence[str]) -> Figure:
    fig = Figure(figsize=A4)
    fig.text(0.08, 0.95, textwrap.fill(title, 60), fontsize=16, weight="bold", va="top")
    y = 0.95 - 0.035 * (1 + len(textwrap.wrap(title, 60)))
    for paragraph in paragraphs:
        lines = textwrap.wrap(paragraph, WRAP) or [""]
        fig.text(0.08, y, "\n".join(lines), fontsize=10, va="top", linespacing=1.4)
        y -= 0.0195 * len(lines) + 0.02
    return fig


def _cell(r: pd.Series) -> str:
    d = int(r["digits"])
    interval = "no interval" if pd.isna(r["low"]) else f"{signed(r['low'], d)} to {signed(r['high'], d)}"
    return f"{signed(r['difference'], d)} ({interval})\n{r['verdict']}"


def _table_pages(impacts: pd.DataFrame, base: str) -> list[Figure]:
    """The headline impacts, one landscape page per :data:`SCENARIOS_PER_PAGE` scenarios."""
    scenarios = list(dict.fromkeys(impacts["scenario"]))
    labels = list(dict.fromkeys(impacts["label"]))
    pages = []
    for start in range(0, len(scenarios), SCENARIOS_PER_PAGE):
        chunk = scenarios[start : start + SCENARIOS_PER_PAGE]
        rows = []
        for label in labels:
            g = impacts[impacts["label"] == label].set_index("scenario")
            first = g.iloc[0]
            row = [
                textwrap.fill(str(label), 34),
                str(first["unit"]),
                number(first["base"], int(first["digits"])),
            ]
            row += [_cell(g.loc[sc]) if sc in g.index else "" for sc in chunk]
            rows.append(row)
        fig = Figure(figsize=(A4[1], A4[0]))
        fig.text(
            0.04,
            0.96,
            f"Headline impacts: each scenario minus the base ({base}), with its interval",
            fontsize=13,
            weight="bold",
            va="top",
        )
        ax = fig.add_axes((0.03, 0.03, 0.94, 0.86))
        ax.axis("off")
        columns = [
            "measure",
            "unit",
            textwrap.fill(f"base ({base})", 14),
            *(textwrap.fill(c, 30) for c in chunk),
        ]
        table = ax.table(cellText=rows, colLabels=columns, loc="upper left", cellLoc="left")
        table.auto_set_font_size(False)
        table.set_fontsize(8.5)
        widths = [0.27, 0.08, 0.1] + [0.55 / max(1, len(chunk))] * len(chunk)
        for (r, c), cell in table.get_celld().items():
            cell.set_width(widths[c])
            cell.set_height(0.052 if r else 0.06)
            if r == 0:
                cell.set_facecolor("#eef3fa")
        pages.append(fig)
    return pages


def pdf_bytes(
    title: str,
    summary: Sequence[str],
    impacts: pd.DataFrame,
    base: str,
    figures: Sequence[Figure],
) -> bytes:
    """The PDF of a report: the text page, the headline table pages (none when ``impacts`` is
    empty) and ``figures``, each on its own page."""
    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(buf, metadata=METADATA) as pdf:
        pdf.savefig(_text_page(title, summary))
        if not impacts.empty:
            for page in _table_pages(impacts, base):
                pdf.savefig(page)
        for fig in figures:
            pdf.savefig(fig)
    return buf.getvalue()


def write_pdf(path: str | Path, data: bytes) -> Path:
    """Write the PDF bytes atomically (a failed write keeps the previous file)."""
    return atomic_write(path, lambda p: p.write_bytes(data))
