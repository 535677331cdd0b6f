"""ED attendances and conveyances rebuilt from a real BNSSG visit table (with the 45-minute
handover release, so some attendances span two cubicle visits), checked against a plain
patient-by-patient reading of the same rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simcare.engine import run
from simcare.engine.result import RunResult
from simcare.kpi.context import Context
from simcare.kpi.journeys import conveyances, ed_journeys
from simcare.kpi.uec import uec_measures
from simcare.model import enums as E
from simcare.scenario.compile import CompiledScenario, compile_scenario
from simcare.scenario.load import load_scenario

BNSSG = Path(__file__).resolve().parents[2] / "scenarios" / "bnssg"
Released = tuple[CompiledScenario, RunResult]


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Released:
    f = tmp_path_factory.mktemp("kpi") / "release.yaml"
    f.write_text(
        f"extends: {BNSSG / 'baseline_winter.yaml'}\nname: release\n"
        "levers:\n  handover_release: {after: 45min}\n"
    )
    cs = compile_scenario(load_scenario(f))
    return cs, run(cs.model, seed=5)


def _oracle(cs: CompiledScenario, result: RunResult, patients: np.ndarray) -> tuple[set[tuple], set[tuple]]:
    """(ED attendances, conveyances) of ``patients``, reading each patient's rows in order."""
    v = result.visits
    order = np.argsort(v["patient"], kind="stable")  # each patient's rows in the order created
    bounds = np.searchsorted(v["patient"][order], [patients, patients + 1])
    names = [n.partition(":") for n in result.service_names]
    attendances, conveyed = set(), set()
    for p, lo, hi in zip(patients, *bounds, strict=True):
        rows = v[order[lo:hi]]
        kinds = [names[s][0] for s in rows["service"]] + [""]
        for i, r in enumerate(rows):
            kind, site = names[r["service"]][0], names[r["service"]][2]
            before, after = kinds[i - 1] if i else "", kinds[i + 1]
            if kind == "ambulance" and after == "ed":
                conveyed.add((p, names[rows[i + 1]["service"]][2], r["end"], r["departure"] - r["end"]))
            if kind == "ed_triage" and after != "ed":
                attendances.add((p, site, r["arrival"], r["departure"]))
            if kind != "ed" or before == "ed_corridor":
                continue
            start = rows[i - 1]["arrival"] if before == "ed_triage" else r["arrival"]
            last = rows[i + 2] if r["outcome"] == E.OUT_RELEASED else r  # -> corridor -> cubicles
            attendances.add((p, site, start, last["departure"]))
    return attendances, conveyed


def _nan_free(items: set[tuple]) -> set[tuple]:
    return {tuple("open" if isinstance(x, float) and np.isnan(x) else x for x in t) for t in items}


def test_journeys_match_a_patient_by_patient_reading(released: Released) -> None:
    cs, result = released
    v = result.visits
    released_patients = np.unique(v["patient"][v["outcome"] == E.OUT_RELEASED])
    assert released_patients.size > 50, "the release rule was hardly used"
    rng = np.random.default_rng(0)
    others = rng.choice(v["patient"].max() + 1, 3000, replace=False)
    sample = np.unique(np.concatenate([released_patients[:300], others]))
    want_att, want_conv = _oracle(cs, result, sample)
    ctx = Context(result, cs)
    j, c = ed_journeys(ctx), conveyances(ctx)
    sites, chosen = cs.ed_sites, set(sample.tolist())
    got_att = {
        (p, sites[s], a, e)
        for p, s, a, e in zip(j.patient, j.site, j.start, j.end, strict=True)
        if p in chosen
    }
    got_conv = {
        (p, sites[s], a, h)
        for p, s, a, h in zip(c.patient, c.site, c.arrival, c.handover, strict=True)
        if p in chosen
    }
    assert len(want_att) > 1000 and len(want_conv) > 300
    assert _nan_free(got_att) == _nan_free(want_att)
    assert _nan_free(got_conv) == _nan_free(want_conv)


def test_release_after_45_minutes_caps_every_handover(released: Released) -> None:
    cs, result = released
    t = uec_measures(
        result,
        cs,
        periods=("run",),
        kpis=["handover_over_30", "handover_over_60", "handover_mean", "conveyances"],
    )
    icb = t[t["group"] == "ICB"].set_index("kpi")["value"]
    assert icb["handover_over_60"] == 0 and icb["handover_over_30"] > 0
    assert 0 < icb["handover_mean"] <= 45.0
