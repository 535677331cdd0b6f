"""The simcare web app (Streamlit script): ``simcare app`` runs it; docs/app.md walks through it.

Pick a system, see its baseline with 95 % intervals, choose interventions from the scenario's
levers, run replications in the background (progress bar, cancel), compare, look at the system
map day by day, save the variant as a scenario file and download the report and tables. The
work is done by :mod:`simcare.app.core` and :mod:`simcare.app.sysmap` on the existing pipeline.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from simcare.analysis.replications import replication_intervals
from simcare.app import core, sysmap
from simcare.errors import SimcareError
from simcare.pipeline import RunSet
from simcare.report import winter_figures as wf
from simcare.report.build import published_for
from simcare.report.published_context import panel_list, winter_context

POLL_SECONDS = 0.5


@st.cache_resource
def _jobs() -> dict[str, core.Job]:
    """Runs of this app process, by :func:`simcare.app.core.run_key` (scenario hashes)."""
    return {}


@st.cache_resource
def _session_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="simcare-app-"))


@st.cache_data(show_spinner=False)
def _checked(path: str, mtime: float) -> core.Checked:
    return core.check_file(path)


@st.cache_data(show_spinner=False)
def _hash(path: str, mtime: float) -> str:
    return core.scenario_hash_of(path)


@st.cache_data(show_spinner="Running one replication for the system map ...", max_entries=8)
def _map_state(digest: str, _path: str) -> sysmap.MapState:
    """Keyed on the scenario hash only."""
    return sysmap.map_state(_path)


@st.cache_data(show_spinner="Writing the report ...", max_entries=16)
def _files(key: str, _rs: RunSet) -> core.Files:
    """Report and tables of the run ``key`` (scenario hashes, replications, seed)."""
    return core.run_files_out(_rs, _session_folder() / key.replace("|", "_")[:80])


def _notes(notes: tuple[str, ...]) -> None:
    """Show validation notes (dated events skipped) once each, without the file name."""
    seen = st.session_state.setdefault("_notes_shown", set())
    fresh = [n.split(": ", 1)[-1] for n in notes]
    fresh = [n for n in dict.fromkeys(fresh) if n not in seen]
    if fresh:
        seen.update(fresh)
        st.info("Note: " + "\n\nNote: ".join(fresh))


def _mtime(path: Path) -> float:
    return path.stat().st_mtime


# --- 1. the system ------------------------------------------------------------------------------


def pick_system() -> Path | None:
    st.sidebar.header("1. System")
    source = st.sidebar.radio(
        "Scenario from", ["shipped system", "scenario folder", "upload a file"], key="source"
    )
    if source == "shipped system":
        systems = core.shipped_systems()
        system = st.sidebar.selectbox("System", list(systems), key="system")
        files = systems[system]
        names = [f.name for f in files]
        default = names.index("baseline_winter.yaml") if "baseline_winter.yaml" in names else 0
        chosen = st.sidebar.selectbox("Base scenario", names, index=default, key="scenario")
        return files[names.index(chosen)]
    if source == "scenario folder":
        folder = st.sidebar.text_input("Folder with scenario files (YAML)", key="folder")
        if not folder:
            st.info("Type the path of a folder that holds scenario files.")
            return None
        try:
            files = core.folder_scenarios(folder)
        except SimcareError as exc:
            st.error(str(exc))
            return None
        names = [f.name for f in files]
        chosen = st.sidebar.selectbox("Base scenario", names, key="folder_scenario")
        return files[names.index(chosen)]
    upload = st.sidebar.file_uploader("Scenario file (YAML)", type=["yaml", "yml"], key="upload")
    if upload is None:
        st.info("Upload a scenario file (its `extends` must be an absolute path or a shipped file).")
        return None
    target = _session_folder() / "uploads" / Path(upload.name).name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(upload.getvalue())
    return target


# --- 2. run window and 3. levers ----------------------------------------------------------------


def pick_window(base: Path) -> dict[str, Any]:
    with st.sidebar.expander("2. Run window", expanded=False):
        change = st.checkbox("Change the run window", key="window")
        if not change:
            return {}
        start = st.date_input("First day reported", value=dt.date(2025, 12, 1), key="start")
        end = st.date_input("Last day reported", value=dt.date(2026, 1, 31), key="end")
        warm_up = st.text_input("Warm-up (e.g. 2w, 10d)", value="2w", key="warm_up")
        st.caption("Bank holidays, surges and other dated events outside the window are skipped with a note.")
    return {"start": start, "end": end, "warm_up": warm_up}


def _field_widget(lever: str, f: core.LeverField) -> Any:
    key = f"{lever}.{f.name}"
    label = f"{f.name} ({f.unit})" if f.unit and f.kind != "per_name" else f.name
    if f.kind == "fraction":
        return st.slider(f"{f.name} (%, 0 to 100)", 0.0, 100.0, 10.0, 1.0, key=key, help=f.description)
    if f.kind == "duration":
        return st.number_input(
            f"{f.name} (minutes, more than 0)", value=45.0, step=5.0, key=key, help=f.description
        )
    if f.kind == "count":
        lowest = f"{f.minimum:g} or more" if f.minimum is not None else "any"
        return st.number_input(
            f"{f.name} (whole number, {lowest})",
            value=1 if f.required else 0,
            step=1,
            key=key,
            help=f.description,
        )
    if f.kind == "per_name":
        st.markdown(f"*{f.description}* (whole numbers; negative removes)")
        return {
            name: st.number_input(f"{f.name}: {name}", value=0, step=1, key=f"{key}.{name}")
            for name in f.choices
        }
    if f.kind == "names":
        return st.multiselect(
            f"{f.name} (none chosen: {f.description if 'default' in f.description else 'the default'})",
            list(f.choices),
            key=key,
            help=f.description,
        )
    st.caption(f"{label}: {f.description} (set it in the scenario file)")
    return None


def pick_levers(base: Path) -> dict[str, dict[str, Any]]:
    st.sidebar.header("3. Interventions")
    st.sidebar.caption("Each lever is one of the scenario's named interventions; units and ranges are shown.")
    scenario = core.load_scenario_data(base)
    chosen: dict[str, dict[str, Any]] = {}
    for info in core.lever_infos(scenario):
        with st.sidebar.expander(info.name.replace("_", " "), expanded=False):
            st.caption(info.doc)
            if not st.checkbox(f"use {info.name}", key=f"use.{info.name}"):
                continue
            settings = {f.name: core.lever_setting(f, _field_widget(info.name, f)) for f in info.fields}
            chosen[info.name] = {k: v for k, v in settings.items() if v is not None}
    return chosen


# --- 4. replications and the run ----------------------------------------------------------------


def _prepare(base: Path, window: dict[str, Any], levers: dict[str, Any]) -> list[Path] | None:
    """The files to run: the base (with the changed window, if any) and the variant with the
    levers; None (and the messages of ``simcare validate`` in the page) when one is invalid."""
    name = core.base_name(base)
    folder = _session_folder() / "variants"
    files = [base]
    if window:
        doc = core.variant_document(base, f"{name}_window", {}, **window)
        files = [core.write_variant(doc, folder, unique=True)]
    if levers:
        doc = core.variant_document(base, f"{name}_variant", levers, **window)
        files.append(core.write_variant(doc, folder, unique=True))
        st.session_state["variant_doc"] = doc
    else:
        st.session_state.pop("variant_doc", None)
    ok = True
    for f in files:
        if f == base:  # checked, and its notes shown, by main()
            continue
        checked = core.check_file(f)
        _notes(checked.notes)
        if not checked.ok:
            st.error(f"simcare validate says:\n\n```\n{checked.error}\n```")
            ok = False
    return files if ok else None


def run_controls(files: list[Path]) -> core.Job | None:
    st.sidebar.header("4. Replications")
    reps = int(
        st.sidebar.number_input("Replications", min_value=1, max_value=100, value=5, step=1, key="reps")
    )
    workers = int(st.sidebar.selectbox("Processes", [1, 2], index=1, key="workers"))
    days = core.simulated_days(files[0])
    estimate = core.estimate_seconds(days, len(files), reps, workers)
    st.sidebar.caption(
        f"{len(files)} scenario{'s' if len(files) > 1 else ''} x {reps} replications of {days} days: "
        f"about {estimate:,.{0 if estimate >= 10 else 1}f} s "
        f"(~{core.SECONDS_PER_REPLICATION:g} s per BNSSG winter replication per process)"
    )
    hashes = [_hash(str(f), _mtime(f)) for f in files]
    key = core.run_key(hashes, reps, None)
    st.session_state["run_key"] = key
    jobs = _jobs()
    job = jobs.get(key)
    label = "Run the baseline" if len(files) == 1 else "Run baseline and intervention"
    if st.sidebar.button(label, type="primary", key="run") and (
        job is None or job.state in ("failed", "cancelled")
    ):
        job = core.Job(tuple(str(f) for f in files), reps, workers).start()
        jobs[key] = job
    return job


@st.fragment(run_every=POLL_SECONDS)
def show_progress(key: str) -> None:
    """The progress bar and cancel button of the run ``key``, redrawn every POLL_SECONDS on its
    own (the rest of the page stays usable); the whole page reruns when the run ends."""
    job = _jobs()[key]
    if job.state != "running":
        st.rerun(scope="app")
    st.progress(job.fraction, text=f"Simulating: {job.done} of {job.total} replications finished")
    if st.button("Cancel the run", key="cancel"):
        job.cancel.set()
    if job.cancel.is_set():
        st.warning("Cancelling: the replications already running finish first.")


# --- results ------------------------------------------------------------------------------------


def _interval(row: pd.Series) -> str:
    if pd.isna(row["low"]):
        return "(one replication: no interval)"
    return f"{row['low']:,} to {row['high']:,}"


def show_baseline(rs: RunSet) -> None:
    table = core.headline_intervals(rs)
    table["95 % interval"] = table.apply(_interval, axis=1)
    st.subheader("Headline figures (mean over replications, 95 % interval)")
    st.dataframe(table, hide_index=True, width="stretch")


def show_impacts(rs: RunSet) -> None:
    impacts = core.impacts(rs)
    if impacts.empty:
        st.info("Choose an intervention (3. Interventions) and run again to see its impact.")
        return
    shown = impacts[["label", "unit", "base", "value", "difference", "low", "high", "verdict"]].copy()
    # each measure to its own number of decimals (the report's), not the table's float precision
    digits = impacts["digits"].astype(int) if "digits" in impacts else pd.Series(1, index=impacts.index)
    for column in ("base", "value", "difference", "low", "high"):
        shown[column] = [round(float(v), d) for v, d in zip(shown[column], digits, strict=True)]
    shown = shown.rename(
        columns={"label": "measure", "value": "intervention", "low": "95 % low", "high": "95 % high"}
    )
    st.subheader(f"Impact of {rs.scenarios[1].name} against {rs.scenarios[0].name}")
    st.dataframe(shown, hide_index=True, width="stretch")
    st.pyplot(wf.impact_chart(impacts))


def show_daily(rs: RunSet) -> None:
    kpis = sorted({k for k in pd.unique(rs.table["kpi"]) if wf.has_daily(rs.table, k)})
    if not kpis:
        st.info("No daily measures in these results.")
        return
    default = kpis.index("ga_occupancy") if "ga_occupancy" in kpis else 0
    kpi = st.selectbox("Daily measure", kpis, index=default, key="daily_kpi")
    t = rs.table[rs.table["kpi"] == kpi]
    groups = sorted(g for g in pd.unique(t["group"]) if ":" not in str(g))
    unit = str(t["unit"].iloc[0]) if not t.empty else ""
    names = [i.name for i in rs.scenarios]
    fig = wf.fan_chart(rs.table, kpi, groups[:6], names, unit, f"{kpi} day by day", sharey=False)
    st.pyplot(fig)


def show_published(rs: RunSet) -> None:
    base = rs.scenarios[0].name
    published = published_for(rs.table)
    if published is None or published.empty:
        st.info("No published figures are available for this system.")
        return
    t = rs.table
    monthly = t[(t["scenario"] == base) & t["period"].astype(str).str.match(r"^\d{4}-\d{2}$")]
    ci = replication_intervals(monthly, 0.95)
    panels = [p for p in panel_list(published) if ((ci["kpi"] == p[0]) & (ci["group"] == p[1])).any()]
    if not panels:
        st.info("The results hold no monthly values to compare.")
        return
    months = sorted(str(m) for m in pd.unique(ci["period"]))
    st.pyplot(wf.published_chart(ci, winter_context(published, months), panels, base))
    st.caption("Filled dots: the model month by month (95 % interval); open markers: published figures.")


def show_map(files: list[Path]) -> None:
    names = [f.name for f in files]
    which = st.selectbox("Scenario", names, key="map_scenario")
    path = files[names.index(which)]
    state = _map_state(_hash(str(path), _mtime(path)), str(path))
    first = state.warm_up_days
    day = st.slider("Day", first, state.days - 1, first, key="map_day")
    hour = st.select_slider("Hour of day", ["whole day", *range(24)], value="whole day", key="map_hour")
    date = state.origin + dt.timedelta(days=day)
    place = st.empty()

    def draw(d: int, h: Any) -> None:
        frame = state.at(d, None if h == "whole day" else int(h))
        when = state.origin + dt.timedelta(days=d)
        place.graphviz_chart(sysmap.map_dot(frame, f"{which}: {when} {h}"), width="stretch")

    draw(day, hour)
    left, right = st.columns(2)
    if left.button("Play the reported days", key="play"):
        for d in range(first, state.days):
            draw(d, hour)
            time.sleep(0.15)
    if right.button("Play the hours of this day", key="play_hours"):
        for h in range(24):
            draw(day, h)
            time.sleep(0.15)
    st.caption(
        f"One replication, {date}. Boxes: servers in use (a patient in service or blocked) / servers, "
        "patients waiting, and blocked (treated, waiting to move on: exit block, no criteria to "
        "reside); green below 85 % of servers in use, amber to 95 %, red above."
    )
    st.line_chart(state.daily("waiting"), y_label="patients waiting (daily mean)")


def show_downloads(rs: RunSet, key: str) -> None:
    files = _files(key, rs)
    st.download_button("Download the HTML report", files.report, "report.html", "text/html", key="dl_report")
    st.download_button(
        "Download the measures (CSV)", files.measures_csv, "measures.csv", "text/csv", key="dl_csv"
    )
    if files.comparison_csv is not None:
        st.download_button(
            "Download the comparison (CSV)", files.comparison_csv, "comparison.csv", "text/csv", key="dl_cmp"
        )
    doc = st.session_state.get("variant_doc")
    if doc is None:
        st.caption("Choose an intervention to save it as a scenario file.")
        return
    text = core.variant_yaml(doc)
    st.download_button("Download the variant (scenario YAML)", text, f"{doc['name']}.yaml", key="dl_yaml")
    st.code(text, language="yaml")
    folder = st.text_input("Or save it in this folder", key="save_folder")
    if st.button("Save the variant", key="save") and folder:
        path = core.write_variant(doc, folder)
        checked = core.check_file(path)
        if checked.ok:
            st.success(f"{path}: ok (simcare validate accepts it)")
        else:
            st.error(checked.error)


def main() -> None:
    st.set_page_config(page_title="simcare: winter scenarios", layout="wide")
    st.session_state["_notes_shown"] = set()  # notes are shown once per rerun
    st.title("simcare: urgent and emergency care scenarios")
    base = pick_system()
    if base is None:
        return
    checked = _checked(str(base), _mtime(base))
    _notes(checked.notes)
    if not checked.ok:
        st.error(f"simcare validate says:\n\n```\n{checked.error}\n```")
        return
    window = pick_window(base)
    levers = pick_levers(base)
    files = _prepare(base, window, levers)
    if files is None:
        return
    st.caption(f"Base scenario: {base}")
    job = run_controls(files)
    if job is None:
        st.info("Set the replications and press the run button (4. Replications).")
        return
    if job.state == "running":
        show_progress(str(st.session_state["run_key"]))
        return
    if job.state != "done" or job.result is None:
        st.error(f"The run did not finish: {job.error}")
        return
    rs = job.result
    st.success(f"{rs.replications} replications of {len(rs.scenarios)} scenario(s) in {job.seconds:,.1f} s")
    tabs = st.tabs(
        ["Baseline", "Impacts", "Day by day", "Published months", "System map", "Save and download"]
    )
    with tabs[0]:
        show_baseline(rs)
    with tabs[1]:
        show_impacts(rs)
    with tabs[2]:
        show_daily(rs)
    with tabs[3]:
        show_published(rs)
    with tabs[4]:
        show_map(files)
    with tabs[5]:
        show_downloads(rs, str(st.session_state["run_key"]))


main()
