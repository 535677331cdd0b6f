"""Plain names: places by the scenario's own labels in every chart, and chart text readable when
the report is 760 px wide."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from report_synthetic import synthetic_table
from test_html_report import info

import simcare.report.html as report_html
from simcare.pipeline import prepare
from simcare.report.winter_figures import MIN_FONT_PT, WIDTH
from simcare.scenario.labels import group_labels, humanise

ROOT = Path(__file__).resolve().parents[2]
CODES = re.compile(r"\b(ra7|rvj|bri|type1|southmead|weston)\b")  # keys as written in the scenario


@pytest.fixture(scope="module")
def bnssg_labels() -> dict[str, str]:
    scenario, _ = prepare(ROOT / "scenarios/bnssg/baseline_winter.yaml")
    return group_labels(scenario)


def test_bnssg_places_have_labels(bnssg_labels: dict[str, str]) -> None:
    assert bnssg_labels["bri"] == "Bristol Royal Infirmary"
    assert bnssg_labels["ra7"] == "University Hospitals Bristol and Weston"
    assert bnssg_labels["hub:weston_utc"] == "Weston UTC"
    assert bnssg_labels["locality:weston_worle"] == "Weston and Worle"
    assert humanise("weston_utc") == "Weston utc"


def _chart_texts(monkeypatch: pytest.MonkeyPatch, labels: dict[str, str]) -> list[tuple[str, float, float]]:
    """(text, font size in pt, figure width in inches) of every text of every chart drawn."""
    seen: list[tuple[str, float, float]] = []
    real = report_html._png

    def spy(fig: Figure, dpi: int = 100) -> str:
        width = fig.get_size_inches()[0]
        fig.set_dpi(dpi)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()  # tick labels exist once drawn
        renderer = canvas.get_renderer()
        ticks = {  # tick labels outside the view limits exist but are not drawn
            id(label)
            for ax in fig.axes
            for axis in (ax.xaxis, ax.yaxis)
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]
            for label in (tick.label1, tick.label2)
        }
        for t in fig.findobj(Text):
            if t.get_visible() and t.get_text().strip() and (t.axes is None or t.axes.get_visible()):
                box = t.get_window_extent(renderer)
                inside = id(t) in ticks or (box.x0 >= -1 and box.x1 <= fig.bbox.width + 1)
                seen.append((t.get_text() if inside else f"CUT OFF: {t.get_text()}", t.get_fontsize(), width))
        return real(fig, dpi)

    monkeypatch.setattr(report_html, "_png", spy)
    names = ("bnssg_base", "bnssg_combined")
    t = synthetic_table(dict.fromkeys(names, 0.0) | {"bnssg_combined": 2.0}, reps=2)
    infos = [dataclasses.replace(info(n), labels=labels) for n in names]
    report_html.build_report(t, "bnssg_base", scenarios=infos)
    return seen


def test_charts_name_places_by_their_labels(
    monkeypatch: pytest.MonkeyPatch, bnssg_labels: dict[str, str]
) -> None:
    seen = _chart_texts(monkeypatch, bnssg_labels)
    texts = [t for t, _, _ in seen]
    assert "Bristol Royal Infirmary" in texts and "North Bristol NHS Trust" in texts
    leaked = [t for t in texts if CODES.search(t)]
    assert leaked == []


def test_chart_text_is_readable_at_760_px(
    monkeypatch: pytest.MonkeyPatch, bnssg_labels: dict[str, str]
) -> None:
    seen = _chart_texts(monkeypatch, bnssg_labels)
    assert seen
    content = 760 - 2 * 16  # the page's padding
    for text, size, width in seen:
        assert not text.startswith("CUT OFF"), text
        assert width <= WIDTH
        assert size >= MIN_FONT_PT, text
        shown_px = size * 100 / 72 * min(1.0, content / (width * 100))
        assert shown_px >= 10.5, (text, shown_px)


def test_style_wraps_long_text_and_scrolls_tables() -> None:
    css = report_html.CSS
    assert "code{" in css and "overflow-wrap:anywhere" in css.split("code{")[1].split("}")[0]
    assert ".scroll{overflow-x:auto" in css and "img{max-width:100%" in css
    assert "@media (max-width:800px)" in css
