"""The bed-request step (``ed.SITE.bed_request``, docs/model.md R38): an admitted patient keeps
its cubicle from decision to admit until a bed is allocated, then (if no bed is free) waits on
in the cubicle for one. Checked on the small scenario of tests/scenario/data with the beds and
cubicles made ample, so that the bed-request time alone sets the decision-to-admit wait."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from scipy import stats

from simcare.model import enums as E
from simcare.pipeline import compiled, replicate
from simcare.scenario.errors import ScenarioError
from simcare.scenario.levers import apply_levers
from simcare.scenario.validate import validate_scenario

FOUR_HOURS = 240.0


def ample(valid_data: dict[str, Any], bed_request: Any | None) -> dict[str, Any]:
    """valid.yaml for two months with more beds, cubicles and D2A capacity than it can use, no
    escalation, levers or parameter sets, and ``bed_request`` at every ED site (None: none)."""
    doc = copy.deepcopy(valid_data)
    for key in ("escalation", "levers", "parameter_sets"):
        doc.pop(key, None)
    doc["run"].update({"end": doc["run"]["start"].replace(month=11, day=30), "warm_up": "7d"})
    doc["calendar"]["bank_holidays"] = []
    doc["calendar"].pop("christmas", None)
    doc["calendar"]["surges"] = []
    doc["calendar"]["shocks"] = []
    doc["sdec"]["southmead"]["spaces"] = 8
    doc["nhs111"]["phone"]["handlers"].pop("overrides", None)
    for site in doc["ed"].values():
        site["cubicles"] = 2000
        site.pop("opening_hours", None)
        site.pop("closed_divert", None)
        for acuity in site["acuity"].values():
            acuity.pop("lwbs_patience", None)
        if bed_request is not None:
            site["bed_request"] = bed_request
    for trust in doc["beds"].values():
        trust["beds"] = 20000
    for la in doc["discharge"]["d2a"].values():
        for pathway in la.values():
            pathway["capacity"] = 20000
    return doc


def run_kpis(doc: dict[str, Any]) -> dict[str, float]:
    t = replicate(doc, 0, seed=11).kpis
    t = t[(t.period == "run") & (t.group == "ICB")]
    return dict(zip(t.kpi, t.value, strict=True))


def delayed_routes(doc: dict[str, Any]) -> set[tuple[str, str]]:
    """(from service, to service) of every compiled route entry that has a delay law."""
    m = compiled(doc)[0].model
    names = list(m.service_names)
    out = set()
    kinds, services, groups = m.route_start.shape
    for k in range(kinds):
        for s in range(services):
            for g in range(groups):
                for e in range(m.route_start[k, s, g], m.route_stop[k, s, g]):
                    if m.route_delay_dist[e] != E.DIST_NONE:
                        out.add((names[s], names[m.route_dest[e]]))
    return out


def test_no_bed_request_means_no_delay_on_the_way_to_a_bed(valid_data: dict[str, Any]) -> None:
    """Absent means no route delay on ed -> beds, so every scenario without it is unchanged."""
    assert not {r for r in delayed_routes(ample(valid_data, None)) if r[0].startswith("ed:")}


def test_bed_request_delays_exactly_the_ed_to_beds_routes(valid_data: dict[str, Any]) -> None:
    routes = delayed_routes(ample(valid_data, {"dist": "lognormal", "mean": "3h", "sd": "2h"}))
    from_ed = {r for r in routes if r[0].startswith("ed:")}
    assert from_ed == {("ed:bri", "beds:uhbw"), ("ed:southmead", "beds:nbt")}
    assert not {r for r in routes if r[0].startswith("sdec:")}  # SDEC admits without an ED DTA


def test_with_ample_beds_and_no_request_nobody_waits_four_hours(valid_data: dict[str, Any]) -> None:
    k = run_kpis(ample(valid_data, None))
    assert k["emergency_admissions"] > 500
    assert k["dta_over_4h"] == 0
    assert k["ed_boarding"] < 0.05


def test_a_fixed_five_hour_request_puts_every_ed_admission_over_four_hours(
    valid_data: dict[str, Any],
) -> None:
    k = run_kpis(ample(valid_data, "5h"))
    ed_admissions = run_kpis(ample(valid_data, None))["dta_over_4h"]  # 0: reference
    assert ed_admissions == 0
    t = replicate(ample(valid_data, "5h"), 0, seed=11).kpis
    t = t[(t.period == "run") & (t.kpi == "dta_over_12h") & (t.group == "ICB")]
    assert float(t.value.iloc[0]) == 0  # 5 h is under 12 h
    assert k["dta_over_4h"] > 500


def test_over_four_hours_is_the_chance_the_request_takes_longer(valid_data: dict[str, Any]) -> None:
    """With beds always free, a decision-to-admit wait is the bed-request time alone, so the
    share over 4 hours is P(T > 4 h) for T lognormal (mean 3 h, sd 2.5 h): 0.2247. Tolerance:
    the 99.9 % binomial interval around that share for the number of ED admissions."""
    mean, sd = 180.0, 150.0
    sigma2 = math.log(1 + (sd / mean) ** 2)
    mu = math.log(mean) - sigma2 / 2
    p = float(stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(mu)).sf(FOUR_HOURS))
    doc = ample(valid_data, {"dist": "lognormal", "mean": "3h", "sd": "2.5h"})
    k = run_kpis(doc)
    # ED admissions alone (SDEC and GP-referred admissions have no decision to admit in ED):
    # with no request, nobody is over; with 5 h, every ED admission is.
    n = run_kpis(ample(valid_data, "5h"))["dta_over_4h"]
    share = k["dta_over_4h"] / n
    half = stats.norm.ppf(0.9995) * math.sqrt(p * (1 - p) / n)
    assert abs(share - p) < half, (share, p, half, n)


def test_boarding_is_littles_law(valid_data: dict[str, Any]) -> None:
    """Mean number boarding = ED admissions a day x mean request time (days), Little's law
    L = lambda W, with beds free at once. Tolerance 10 %: the boarding stock's daily means over
    ~53 days have a relative standard error of a few per cent at ~25 boarders."""
    doc = ample(valid_data, {"dist": "lognormal", "mean": "3h", "sd": "2.5h"})
    k = run_kpis(doc)
    days = (doc["run"]["end"] - doc["run"]["start"]).days + 1
    n = run_kpis(ample(valid_data, "5h"))["dta_over_4h"]  # ED admissions in the run
    expected = n / days * (3.0 / 24.0)
    assert k["ed_boarding"] == pytest.approx(expected, rel=0.10)


def test_bed_management_lever_shortens_the_request(valid_data: dict[str, Any]) -> None:
    doc = ample(valid_data, {"dist": "lognormal", "mean": "4h", "sd": "3h"})
    doc["levers"] = {"bed_management": {"faster": "25%", "sites": ["bri"]}}
    sc = apply_levers(validate_scenario(doc, "t.yaml"), "t.yaml")
    bri = sc.ed["bri"].bed_request
    assert bri.to_distribution().mean == pytest.approx(180.0)
    assert sc.ed["southmead"].bed_request.to_distribution().mean == pytest.approx(240.0)


def test_bed_management_refuses_a_site_without_a_request(valid_data: dict[str, Any]) -> None:
    doc = ample(valid_data, None)
    doc["levers"] = {"bed_management": {"faster": "25%"}}
    with pytest.raises(ScenarioError, match=r"levers\.bed_management.*no ED site has a bed_request"):
        apply_levers(validate_scenario(doc, "t.yaml"), "t.yaml")


def test_a_bad_bed_request_names_its_field(valid_data: dict[str, Any]) -> None:
    doc = ample(valid_data, {"dist": "lognormal", "mean": "-3h", "sd": "2h"})
    with pytest.raises(ScenarioError, match=r"ed\.bri\.bed_request"):
        validate_scenario(doc, "t.yaml")
