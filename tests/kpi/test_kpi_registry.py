"""The KPI registry: the names the report and batch helpers rely on, and docs/kpis.md kept in step."""

from __future__ import annotations

from pathlib import Path

import pytest

from simcare.kpi import docs
from simcare.kpi.definitions import GROUP_KINDS
from simcare.kpi.periods import PERIOD_KINDS
from simcare.kpi.published import NOT_PUBLISHED, PUBLISHED
from simcare.kpi.registry import KPIS, REGISTRY, definitions

ROOT = Path(__file__).resolve().parents[2]

# the shared KPI table contract (issue 4): name -> unit
CONTRACT = {
    "ae_attendances": "attendances",
    "ae_within_4h": "%",
    "ga_occupancy": "%",
    "nctr": "patients",
    "emergency_admissions": "admissions",
    "handover_over_60": "handovers",
    "nhs111_calls": "calls",
    "nhs111_answered_60s": "%",
    "nhs111_abandoned": "%",
    "conveyances": "patients",
    "handover_mean": "min",
    "handover_over_15": "handovers",
    "handover_over_30": "handovers",
    "crew_hours_lost": "h",
    "hub_attendances": "attendances",
    "hub_within_4h": "%",
    "hub_utilisation": "%",
    "ae_over_12h": "attendances",
    "dta_over_4h": "patients",
    "dta_over_12h": "patients",
    "lwbs": "attendances",
    "time_in_dept_mean": "min",
    "time_in_dept_p95": "min",
    "ga_beds": "beds",
    "ga_occupancy_peak": "%",
    "ga_days_over_92": "days",
    "ga_days_over_95": "days",
    "lost_bed_days": "bed days",
    "discharges": "patients",
    "d2a_queue": "patients",
    "d2a_wait": "days",
    "d2a_occupancy": "%",
    "sdec_attendances": "attendances",
    "emergency_admissions_all": "admissions",
    "dta_over_4h_pct": "%",
}


def test_every_contract_kpi_is_registered_with_its_unit() -> None:
    assert {name: REGISTRY[name].unit for name in CONTRACT if name in REGISTRY} == CONTRACT


def test_definitions_are_complete() -> None:
    assert len(REGISTRY) == len(KPIS), "KPI names must be unique"
    for k in KPIS:
        assert k.kind in ("tally", "time-weighted"), k.name
        assert set(k.groups) <= set(GROUP_KINDS), k.name
        assert set(k.periods) <= set(PERIOD_KINDS) and "run" in k.periods, k.name
        assert len(k.description) > 30 and k.source and k.counted_at, k.name
    table = definitions()
    assert list(table["name"]) == [k.name for k in KPIS]
    assert table.notna().all().all()


def test_docs_list_every_registered_kpi_as_generated() -> None:
    text = (ROOT / "docs" / "kpis.md").read_text(encoding="utf-8")
    assert docs.render(text) == text, "docs/kpis.md is out of date: run python -m simcare.kpi.docs"
    for k in KPIS:
        assert f"#### `{k.name}` ({k.unit}, {k.kind})" in text


def test_docs_writer_replaces_only_the_generated_part(tmp_path: Path) -> None:
    f = tmp_path / "kpis.md"
    f.write_text(f"intro\n{docs.START}\nstale\n{docs.END}\noutro\n", encoding="utf-8")
    docs.write(f)
    text = f.read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith("outro\n") and "stale" not in text
    assert "`ae_within_4h`" in text
    f.write_text("no markers", encoding="utf-8")
    with pytest.raises(Exception, match="markers are missing"):
        docs.write(f)
    assert f.read_text(encoding="utf-8") == "no markers"


def test_every_kpi_says_which_published_series_it_matches() -> None:
    assert set(PUBLISHED) == set(REGISTRY)
    assert set(NOT_PUBLISHED) <= {k for k, v in PUBLISHED.items() if v is None}
    assert PUBLISHED["emergency_admissions_all"] is not None
    assert PUBLISHED["emergency_admissions_all"][1] == "total_emergency_admissions"
