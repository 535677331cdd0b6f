"""A census of a scenario's stocks on a date, from a run that starts empty (``simcare census``).

The census is what ``run.census`` takes (:meth:`simcare.scenario.compile` ``build_census``):

- ``beds:TRUST``: patients in the trust's G&A beds who are not yet medically fit (in service);
- ``nctr:TRUST``: medically fit patients still in a bed (holding it after service: the discharge
  process and the wait for discharge-to-assess capacity), the no-criteria-to-reside stock;
- ``d2a:P:LOCAL_AUTHORITY``: patients in a discharge-to-assess service (those waiting for it are
  in the NCTR stock).

How: the scenario document is re-timed (:func:`census_document`) so that its reported window
starts on the census date with a warm-up of the chosen length before it, from empty; the
compiled model is cut at the census date (:func:`truncated_model`), run for each replication,
and the end-state counts (``RunResult.final_in_service`` / ``final_holding``) are averaged over
replications and rounded to whole patients (:func:`census_counts`).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from simcare.engine import EngineName, run
from simcare.errors import SimcareError
from simcare.files import atomic_write_text
from simcare.model import services
from simcare.model.compiled import CompiledModel
from simcare.scenario.compile import CompiledScenario

MINUTES_PER_DAY = 1440.0


def census_document(data: Mapping[str, Any], at: dt.date | None, warm_up_days: int) -> dict[str, Any]:
    """A copy of the scenario document ``data`` (``extends`` resolved) whose run starts empty
    ``warm_up_days`` days before ``at`` (default: the scenario's ``run.start``) and reports
    from ``at``: ``run.start`` = at, ``run.warm_up`` = the warm-up, no ``run.census``, and
    ``run.end`` moved to the day after ``at`` if it was not after it. Demand growth keeps its
    base: a scenario measuring growth from its own ``run.start`` (the default) gets that date as
    ``calendar.growth_base``, so the demand on every date is the scenario's."""
    if warm_up_days < 1:
        raise SimcareError(f"--warm-up must be at least 1 day, got {warm_up_days} days")
    doc = copy.deepcopy(dict(data))
    run_section = dict(doc.get("run") or {})
    start = run_section.get("start")
    if not isinstance(start, dt.date):
        raise SimcareError("run.start: the scenario needs a start date (YYYY-MM-DD) to take a census")
    day = start if at is None else at
    calendar = dict(doc.get("calendar") or {})
    if calendar.get("growth") and not calendar.get("growth_base"):
        calendar["growth_base"] = start
        doc["calendar"] = calendar
    run_section.pop("census", None)
    run_section["start"] = day
    run_section["warm_up"] = f"{int(warm_up_days)}d"
    end = run_section.get("end")
    if not isinstance(end, dt.date) or end <= day:
        run_section["end"] = day + dt.timedelta(days=1)
    doc["run"] = run_section
    return doc


def truncated_model(model: CompiledModel, horizon_minutes: float) -> CompiledModel:
    """``model`` ending at ``horizon_minutes`` (minutes from the origin, a whole number of hours,
    at most the model's horizon): the hourly arrival rates (K, H) and daily service scales
    (S, days) are cut to the shorter horizon and capacity changes from it on are dropped."""
    if not 0 < horizon_minutes <= model.horizon or horizon_minutes % 60:
        raise SimcareError(
            f"cannot cut the model at minute {horizon_minutes}: must be whole hours in (0, {model.horizon}]"
        )
    hours = int(horizon_minutes // 60)
    days = int(np.ceil(horizon_minutes / MINUTES_PER_DAY))
    keep = np.asarray(model.cap_time) < horizon_minutes
    if (np.asarray(model.stream_count) >= 0).any() and (np.asarray(model.stream_at) >= horizon_minutes).any():
        raise SimcareError("cannot cut the model before a census arrival")
    return dataclasses.replace(
        model,
        horizon=float(horizon_minutes),
        stream_rate=np.ascontiguousarray(model.stream_rate[:, :hours]),
        service_scale=np.ascontiguousarray(model.service_scale[:, :days]),
        cap_time=np.ascontiguousarray(model.cap_time[keep]),
        cap_service=np.ascontiguousarray(model.cap_service[keep]),
        cap_value=np.ascontiguousarray(model.cap_value[keep]),
    )


def census_keys(cs: CompiledScenario) -> dict[str, tuple[int, str]]:
    """Census key -> (service index, "in_service" | "holding") for the scenario's G&A beds
    (``beds:TRUST``, ``nctr:TRUST``) and discharge-to-assess services (``d2a:P:LA``)."""
    names = cs.model.service_names
    out: dict[str, tuple[int, str]] = {}
    for trust in cs.trusts:
        name = services.beds(trust)
        if name in names:
            out[name] = (names.index(name), "in_service")
            out[services.nctr(trust)] = (names.index(name), "holding")
    for i, name in enumerate(names):
        if services.is_kind(name, services.D2A):
            out[name] = (i, "in_service")
    return out


def census_counts(
    cs: CompiledScenario, replications: int, seed: int, engine: EngineName = "numba"
) -> dict[str, int]:
    """The census at the reported start of ``cs`` (a scenario from :func:`census_document`):
    the model is cut at the first reported day and run ``replications`` times (replication r
    with master seed ``seed``); returns key -> mean end-state count over replications, rounded
    to whole patients (keys of :func:`census_keys`, beds and NCTR first, in service order)."""
    if replications < 1:
        raise SimcareError(f"--reps must be at least 1, got {replications}")
    keys = census_keys(cs)
    if not keys:
        raise SimcareError(f"{cs.name}: the scenario has no G&A beds or D2A services to take a census of")
    model = truncated_model(cs.model, cs.timeline.warm_up_hours * 60.0)
    totals = dict.fromkeys(keys, 0.0)
    for r in range(replications):
        result = run(model, seed=seed, replication=r, engine=engine)
        if result.status != "ok":
            raise SimcareError(f"{cs.name}: replication {r} of the census run stopped ({result.status})")
        for key, (s, kind) in keys.items():
            counts = result.final_in_service if kind == "in_service" else result.final_holding
            totals[key] += float(counts[s])
    first = {services.BEDS: 0, services.NCTR: 1, services.D2A: 2}
    order = sorted(keys, key=lambda k: (first[services.kind_of(k)], keys[k][0]))
    return {k: int(np.floor(totals[k] / replications + 0.5)) for k in order}


def census_yaml(counts: Mapping[str, int], header: str) -> str:
    """The YAML fragment ``run: {census: {KEY: n, ...}}`` with ``header`` as comment lines."""
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    body = yaml.safe_dump({"run": {"census": dict(counts)}}, sort_keys=False, default_flow_style=False)
    return comment + body


def write_census(path: str | Path, text: str, force: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file, then rename); an existing file is
    kept unless ``force``."""
    target = Path(path)
    if target.exists() and not force:
        raise SimcareError(f"{target}: already exists (use --force to overwrite it)")
    if target.is_dir():
        raise SimcareError(f"{target}: is a directory, give a file name")
    if not target.parent.exists():
        raise SimcareError(f"{target}: the folder {target.parent} does not exist")
    return atomic_write_text(target, text)
