"""What the app does without the page (simcare.app.core, simcare.app.sysmap) and how it starts."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simcare.app import command, core, sysmap
from simcare.batch.backends import InProcessBackend
from simcare.cli import build_parser
from simcare.errors import SimcareError
from simcare.scenario.levers import LEVERS
from simcare.scenario.load import load_scenario_data

ROOT = Path(__file__).resolve().parents[2]
TINY = Path(__file__).with_name("data") / "tiny.yaml"
BASELINE = ROOT / "scenarios" / "bnssg" / "baseline_winter.yaml"


def test_app_command_binds_to_localhost_and_checks_the_port() -> None:
    args = build_parser().parse_args(["app", "--port", "8600", "--no-browser"])
    assert (args.host, args.port, args.no_browser) == ("127.0.0.1", 8600, True)
    cmd = command(args.host, args.port, browser=False)
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4].endswith("simcare/app/page.py")
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--server.port") + 1] == "8600"
    assert cmd[cmd.index("--server.headless") + 1] == "true"
    with pytest.raises(SimcareError, match="--port must be between 1 and 65535, got 0"):
        command(port=0)


def test_python_m_simcare_app_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "simcare", "app", "--help"], capture_output=True, text=True, check=True
    )
    assert "--port" in out.stdout and "127.0.0.1" in out.stdout


def test_shipped_systems_and_folders(tmp_path: Path) -> None:
    systems = core.shipped_systems()
    assert BASELINE in systems["bnssg"]
    assert core.folder_scenarios(TINY.parent) == [TINY]
    with pytest.raises(SimcareError, match="not a folder"):
        core.folder_scenarios(tmp_path / "nope")
    with pytest.raises(SimcareError, match="no scenario files"):
        core.folder_scenarios(tmp_path)


def test_every_lever_has_form_fields_with_units_and_ranges() -> None:
    infos = {i.name: i for i in core.lever_infos(load_scenario_data(BASELINE))}
    assert list(infos) == list(LEVERS)
    for info in infos.values():
        assert {f.name for f in info.fields} == set(LEVERS[info.name][0].model_fields)
    shift = infos["digital_first"].fields[0]
    assert (shift.kind, shift.unit, shift.minimum, shift.maximum, shift.required) == (
        "fraction",
        "%",
        0,
        100,
        True,
    )
    hubs = next(f for f in infos["community_capacity"].fields if f.name == "hubs")
    assert hubs.kind == "names" and "weston_utc" in hubs.choices
    beds = next(f for f in infos["acute_capacity"].fields if f.name == "beds")
    assert beds.kind == "per_name" and set(beds.choices) == {"rvj", "ra7"}
    after = infos["handover_release"].fields[0]
    assert (after.kind, after.unit) == ("duration", "min")
    extra = next(f for f in infos["community_capacity"].fields if f.name == "extra_clinicians")
    assert (extra.kind, extra.minimum) == ("count", 0)
    seven = {f.name: f for f in infos["seven_day_discharge"].fields}
    assert seven["weekend"].kind == "fraction" and seven["today_hourly"].kind == "other"
    assert seven["trusts"].kind == "names" and set(seven["trusts"].choices) == {"rvj", "ra7"}


def test_form_values_are_written_as_in_a_scenario_file() -> None:
    f = {i.name: i for i in core.lever_infos({})}
    shift, after = f["digital_first"].fields[0], f["handover_release"].fields[0]
    assert core.lever_setting(shift, 12.5) == "12.5%"
    assert core.lever_setting(after, 45.0) == "45min"
    beds = next(x for x in f["acute_capacity"].fields if x.name == "beds")
    assert core.lever_setting(beds, {"rvj": 0, "ra7": 20}) == {"ra7": 20}
    assert core.lever_setting(beds, {"rvj": 0}) is None
    hubs = next(x for x in f["community_capacity"].fields if x.name == "hubs")
    assert core.lever_setting(hubs, []) is None


def test_saved_variant_validates_and_changes_the_hash(tmp_path: Path) -> None:
    doc = core.variant_document(
        TINY, "tiny_more_d2a", {"discharge_capacity": {"increase": "30%", "pathways": None}}
    )
    assert doc["levers"] == {"discharge_capacity": {"increase": "30%"}}
    path = core.write_variant(doc, tmp_path)
    assert path.name == "tiny_more_d2a.yaml"
    checked = core.check_file(path)
    assert checked.ok, checked.error
    assert any("2026-01-01 is outside the simulated period" in n for n in checked.notes)
    assert core.scenario_hash_of(path) != core.scenario_hash_of(TINY)
    unique = core.write_variant(doc, tmp_path, unique=True)
    assert unique != path and unique.read_text() == path.read_text()
    bad = core.write_variant(
        core.variant_document(TINY, "tiny_bad", {"community_capacity": {"extra_clinicians": -1}}), tmp_path
    )
    checked = core.check_file(bad)
    assert not checked.ok and "levers.community_capacity.extra_clinicians" in str(checked.error)


def test_window_variant_moves_the_run_window(tmp_path: Path) -> None:
    import datetime as dt

    doc = core.variant_document(
        TINY, "w", {}, start=dt.date(2025, 12, 23), end=dt.date(2025, 12, 24), warm_up="2d"
    )
    path = core.write_variant(doc, tmp_path)
    assert core.simulated_days(path) == 4
    checked = core.check_file(path)
    assert checked.ok and any("2025-12-25 is outside" in n for n in checked.notes)


def test_estimate_seconds() -> None:
    # a BNSSG winter: 266 simulated days, 1.5 s a replication per process, 8 s to start a pool
    assert core.estimate_seconds(266, 2, 10, 2) == pytest.approx(23.0)
    assert core.estimate_seconds(266, 1, 1, 2) == pytest.approx(1.5)  # one run: no pool
    assert core.estimate_seconds(133, 1, 3, 1) == pytest.approx(2.25)


class _Slow:
    """A backend whose tasks wait for the test's go-ahead, to cancel in the middle."""

    workers = 1

    def __init__(self) -> None:
        self.go = threading.Semaphore(0)
        self.inner = InProcessBackend()

    def map(self, func: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for i, item in enumerate(items):
            self.go.acquire()
            yield i, func(item)

    def close(self) -> None:
        pass


def test_progress_backend_reports_and_cancels() -> None:
    seen: list[tuple[int, int]] = []
    cancel = threading.Event()
    slow = _Slow()
    backend = core.ProgressBackend(slow, lambda d, n: seen.append((d, n)), cancel)  # type: ignore[arg-type]
    out = backend.map(abs, [-1, -2, -3])
    slow.go.release()
    assert next(out) == (0, 1)
    cancel.set()
    with pytest.raises(core.CancelledError, match="after 1 of 3"):
        next(out)
    assert seen == [(1, 3)]


def test_job_runs_in_the_background_and_can_be_cancelled() -> None:
    job = core.Job((str(TINY),), 2, 1).start()
    job.wait(120)
    assert job.state == "done" and job.result is not None, job.error
    assert (job.done, job.total, job.fraction) == (2, 2, 1.0)
    table = core.headline_intervals(job.result)
    assert (table["low"] <= table["mean"]).all() and (table["mean"] <= table["high"]).all()
    assert core.impacts(job.result).empty  # one scenario: nothing to compare
    files = core.run_files_out(job.result)
    assert b"<html" in files.report and files.comparison_csv is None
    assert files.measures_csv.startswith(b"scenario,replication,kpi")
    stopped = core.Job((str(TINY),), 50, 1)
    stopped.cancel.set()
    stopped.start().wait(120)
    assert stopped.state == "cancelled" and stopped.result is None


def test_map_state_adds_up_the_engine_series() -> None:
    from simcare.engine import run
    from simcare.pipeline import compiled

    state = sysmap.map_state(str(TINY))
    cs, _ = compiled(str(TINY))
    result = run(cs.model, seed=cs.seed, replication=0)
    drawn = [i for i, n in enumerate(result.service_names) if sysmap._box_of(n) is not None]
    assert len(drawn) == len(result.service_names)  # every service is in a box
    np.testing.assert_allclose(state.in_service.sum(axis=0), result.in_service.sum(axis=0))
    np.testing.assert_allclose(state.waiting.sum(axis=0), result.waiting.sum(axis=0))
    assert state.days == 10 and state.warm_up_days == 3
    stages = {v[1] for v in state.boxes.values()}
    assert stages == set(sysmap.STAGES)
    day = state.at(5)
    hourly = [state.at(5, h) for h in range(24)]
    np.testing.assert_allclose(day["waiting"], np.mean([h["waiting"] for h in hourly], axis=0))
    beds = day[day["stage"] == "beds"]
    assert ((beds["occupancy"] > 0) & (beds["occupancy"] <= 1.0 + 1e-9)).all()
    assert (day["in_use"] <= day["in_service"] + day["blocked"] + 1e-9).all()
    ed = day[day["stage"] == "ed"]
    assert ((ed["occupancy"] > 0) & (ed["occupancy"] <= 1.0 + 1e-9)).all()  # cubicles, not triage
    with pytest.raises(ValueError, match="outside 0..9"):
        state.at(10)
    dot = sysmap.map_dot(day, "t")
    assert dot.startswith("digraph") and all(str(b).replace(":", "_") in dot for b in state.boxes)
    assert "nhs111 -> ambulance" in dot and "beds_rvj -> d2a_P1" in dot
    assert list(state.daily("blocked").columns) == [v[0] for v in state.boxes.values()]
