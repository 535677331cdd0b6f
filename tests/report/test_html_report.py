"""The HTML report: every section and figure, self-contained, missing figures said out loud."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
from report_synthetic import synthetic_table

from simcare.icb.lookup import find_icb
from simcare.pipeline import ScenarioInfo
from simcare.report.html import build_report
from simcare.report.published_context import published_for_system, published_monthly, winter_context

SECTIONS = ("what-was-run", "warm-up", "headline", "impacts", "daily", "published", "precision", "notes")
FIGURES = (
    "fig-warmup",
    "fig-impacts",
    "fig-ed4h",
    "fig-occupancy",
    "fig-nctr",
    "fig-handover",
    "fig-111",
    "fig-published",
)


ALL = ("111", "ambulance", "hubs", "ed", "beds", "d2a")


def info(name: str, modelled: tuple[str, ...] = ALL) -> ScenarioInfo:
    return ScenarioInfo(
        file=f"{name}.yaml",
        name=name,
        description=f"the {name} scenario",
        levers={"digital_first": {"online_shift": "20%"}},
        start=dt.date(2025, 12, 15),
        end=dt.date(2026, 1, 11),
        warm_up_days=21,
        census=False,
        seed=2025,
        scenario_hash="0123456789abcdef",
        modelled=modelled,
    )


def test_report_has_every_section_and_figure(table: pd.DataFrame) -> None:
    warmup = pd.DataFrame(
        {
            "scenario": ["bnssg_base"],
            "series": ["nctr"],
            "label": ["NCTR (ICB)"],
            "configured_days": [21],
            "mser5_days": [15],
            "mser5_date": ["2025-12-09"],
            "at_limit": [False],
            "enough": [True],
        }
    )
    days = pd.date_range("2025-11-24", periods=49).strftime("%Y-%m-%d")
    daily = pd.DataFrame(
        {
            "scenario": "bnssg_base",
            "replication": 0,
            "series": "nctr",
            "day": range(49),
            "date": days,
            "value": [min(d, 20) * 30.0 for d in range(49)],
        }
    )
    report = build_report(
        table,
        "bnssg_base",
        scenarios=[info(n) for n in table["scenario"].unique()],
        warmup=warmup,
        daily=daily,
        published=published_for_system(find_icb("E54000039")),
    )
    text = report.html
    assert report.missing == []
    for s in SECTIONS:
        assert f'id="{s}"' in text, s
    for f in FIGURES:
        pattern = f'<figure id="{f}"><img alt="[^"]+" src="data:image/png;base64,[A-Za-z0-9+/=]{{1000,}}"'
        assert re.search(pattern, text), f
    assert text.count("<figcaption>") == len(FIGURES)
    assert 'src="http' not in text and "<script" not in text  # self-contained, no scripts
    # what was run: levers, seed, replications, version, warm-up result
    for words in (
        "digital first: online shift 20%",
        "Master seed:</b> 2025",
        "3 per scenario",
        "simcare version:</b> test",
        "configured warm-up is long enough",
    ):
        assert words in text, words
    # headline: the shifted scenario is clearly better on 4-hour performance, the copy identical
    assert "<th>combined</th>" in text and "no difference" in text and 'class="better"' in text
    assert "published winter 2023/24" in text


def test_missing_daily_kpi_is_a_visible_note_unless_not_modelled() -> None:
    t = synthetic_table({"bnssg_base": 0.0, "bnssg_other": 1.0}, reps=2, drop=("nhs111_answered_60s",))
    modelled = build_report(t, "bnssg_base", scenarios=[info("bnssg_base"), info("bnssg_other")])
    assert [m.split(":")[0] for m in modelled.missing] == ["fig-111"]
    assert "no daily values of nhs111_answered_60s" in modelled.html
    no_111 = ("ambulance", "hubs", "ed", "beds", "d2a")
    unmodelled = build_report(
        t, "bnssg_base", scenarios=[info("bnssg_base", no_111), info("bnssg_other", no_111)]
    )
    assert unmodelled.missing == []
    assert "does not model 111" in unmodelled.html
    assert "No published figures are available" in unmodelled.html


def test_single_scenario_report_shows_means_with_intervals() -> None:
    t = synthetic_table({"bnssg_base": 0.0}, reps=2)
    report = build_report(t, "bnssg_base")
    assert "mean over replications" in report.html and "no impacts to chart" in report.html
    assert 'id="fig-ed4h"' in report.html and "No warm-up check" in report.html


def test_published_context_is_the_previous_winters_same_months() -> None:
    """Published data end in November 2024: December and January come from the winters 2022/23
    and 2023/24; a whole winter also takes October and November 2024."""
    published = published_monthly()
    ctx = winter_context(published, ["2025-12", "2026-01"])
    assert set(ctx["label"]) == {"published winter 2022/23", "published winter 2023/24"}
    whole = winter_context(published, ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"])
    assert set(whole["label"]) == {"published winter 2023/24", "published winter 2024/25"}
    assert set(ctx["month"].str[5:7]) <= {"12", "01"}
    icb = ctx[(ctx["kpi"] == "ae_within_4h") & (ctx["group"] == "ICB")]
    assert icb["value"].between(40, 100).all()  # % (published as a fraction)
