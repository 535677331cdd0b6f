"""From replications to files: analyse a RunSet, write the tables and the HTML report, and say so.

Used by ``simcare run`` and ``simcare compare``; the analysis and the report take the tidy
table, so stored results can go through :func:`write_outputs` too (with ``warmup=None``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simcare.analysis.compare import paired_differences
from simcare.analysis.replications import precision_advice, replication_intervals
from simcare.analysis.warmup import coupling_table, daily_state_series, reference_warm_up_days
from simcare.engine import EngineName, run
from simcare.errors import DataError, SimcareError
from simcare.kpi.mid import Mid
from simcare.kpi.registry import REGISTRY
from simcare.pipeline import RunSet, ScenarioInfo, compiled, split_runs
from simcare.report.dose_response import dose_response_outputs
from simcare.report.files import write_csv, write_results, write_text
from simcare.report.headline import available_headlines, headline_spread, impact_table, impact_text
from simcare.report.html import build_report
from simcare.report.pdf import pdf_bytes, write_pdf
from simcare.report.published_context import published_for_system, system_of
from simcare.scenario.compile import CompiledScenario
from simcare.scenario.sets import set_for


@dataclass
class Outputs:
    """What was written and the text to print."""

    paths: list[Path]
    report: Path | None
    text: str
    missing: list[str]


def published_for(table: pd.DataFrame) -> pd.DataFrame | None:
    """Published monthly figures of the system the KPI table models (the ICB whose acute trusts
    are its trusts, :func:`simcare.report.published_context.system_of`), or None when it is not
    an English ICB simcare has data for. A missing or damaged data file warns and gives None."""
    trusts = set(table.loc[table["kpi"] == "ga_occupancy", "group"].astype(str)) - {"ICB"}
    icb = system_of(trusts)
    if icb is None:
        return None
    try:
        return published_for_system(icb)
    except (DataError, OSError) as exc:
        print(f"simcare: warning: published figures not shown: {exc}", file=sys.stderr)
        return None


def warmup_text(warmup: pd.DataFrame, base: str) -> str:
    """One line on the warm-up check of ``base`` (:func:`simcare.analysis.warmup.coupling_table`):
    per series the difference from the reference run over the first 4 reported weeks against
    its tolerance (patients)."""
    w = warmup[warmup["scenario"] == base]
    if w.empty:
        return ""
    configured = int(w["configured_days"].iloc[0])
    cells = ", ".join(
        f"{r['series']} {r['difference']:+,.1f} (+-{r['tolerance']:,.1f})" for _, r in w.iterrows()
    )
    ok = bool(w["enough"].all())
    start = f"{configured} day{'s' if configured != 1 else ''} configured" if configured else "no warm-up"
    return (
        f"  warm-up: {start}; first 4 reported weeks minus a run from empty "
        f"{int(w['reference_days'].iloc[0])} days before the start (mean patients, tolerance): "
        f"{cells} -> {'enough' if ok else 'check the early weeks'}"
    )


def warmup_check(rs: RunSet) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(warm-up table, daily series of the reference run) of the base scenario of ``rs``: the
    coupling check (:func:`simcare.analysis.warmup.coupling_table`) of its runs against the same
    scenario started empty :func:`~simcare.analysis.warmup.reference_warm_up_days` before its
    start (no census), run for the same replications, seed, engine and parameter sets; None if
    the runs kept no daily series (a scenario without G&A beds)."""
    if rs.daily.empty:
        return None
    info = rs.scenarios[0]
    days = reference_warm_up_days(info.warm_up_days)
    overrides = {"run.warm_up": f"{days}d", "run.census": None}
    engine: EngineName = "simpy" if rs.engine == "simpy" else "numba"
    frames: list[pd.DataFrame] = []
    for r in range(rs.replications):  # the same parameter set per replication as the runs
        parameter_set = set_for(r, info.parameter_sets) if info.parameter_sets else None
        cs, _ = compiled(info.file, overrides, info.file, parameter_set)
        result = run(cs.model, seed=rs.seed, replication=r, engine=engine)
        frames.append(daily_state_series(result, cs).assign(scenario=info.name, replication=r))
    reference = pd.concat(frames, ignore_index=True)
    runs = rs.daily[rs.daily["scenario"] == info.name]
    table = coupling_table(runs, reference, {info.name: info.warm_up_days}, {info.name: days})
    return table, reference


def parse_half_width(text: str) -> dict[str, float]:
    """'2%' -> {'relative': 0.02}; '1.5' -> {'absolute': 1.5} (in the KPI's unit)."""
    t = text.strip()
    try:
        value = float(t[:-1]) / 100.0 if t.endswith("%") else float(t)
    except ValueError:
        raise SimcareError(
            f"--half-width {text!r}: write a percentage of the mean ('2%') or a number "
            "in the measure's unit ('1.5')"
        ) from None
    if not value > 0:
        raise SimcareError(f"--half-width {text!r}: must be positive")
    return {"relative": value} if t.endswith("%") else {"absolute": value}


def check_advise(advise: str, half_width: str) -> None:
    """Raise SimcareError (with a did-you-mean) for an unknown KPI name or a bad half-width, so a
    mistake is caught before anything runs."""
    import difflib

    parse_half_width(half_width)
    for item in (a.strip() for a in advise.split(",") if a.strip()):
        kpi = item.partition("@")[0]
        if kpi not in REGISTRY:
            close = difflib.get_close_matches(kpi, list(REGISTRY), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else " (docs/kpis.md lists them)"
            raise SimcareError(f"--advise: no measure called {kpi!r}{hint}")


def advice_text(table: pd.DataFrame, advise: str, half_width: str, level: float = 0.95) -> str:
    """The precision advisor for ``advise`` ("kpi[@group],...", group ICB by default) as text."""
    target = parse_half_width(half_width)
    frames = []
    for item in (a.strip() for a in advise.split(",") if a.strip()):
        kpi, _, group = item.partition("@")
        frames.append(precision_advice(table, [kpi], groups=[group or "ICB"], level=level, **target))  # type: ignore[arg-type]
    adv = pd.concat(frames, ignore_index=True)
    asked = (
        f"{100 * target['relative']:g} % of the mean"
        if "relative" in target
        else f"{target['absolute']:g} in the measure's unit"
    )
    lines = [f"  replications for a {100 * level:g} % half-width of {asked}:"]
    for _, r in adv.iterrows():
        needed = "over 10,000" if pd.isna(r["needed"]) else f"{int(r['needed'])}"
        lines.append(
            f"    {r['scenario']:<32} {r['kpi'] + '@' + r['group']:<28} "
            f"mean {r['mean']:,.2f} {r['unit']}, half-width now {r['half_width']:,.3g} "
            f"with {int(r['n'])}: need {needed}"
        )
    return "\n".join(lines)


HEADLINE = (
    ("ae_attendances", "A&E attendances per day"),
    ("ae_within_4h", "% within 4 hours"),
    ("ga_occupancy", "G&A bed occupancy %"),
    ("nctr", "no criteria to reside (patients)"),
    ("emergency_admissions_all", "all emergency admissions per day"),
    ("dta_over_4h_pct", "% admissions 4 h+ from decision"),
    ("handover_over_60", "handovers over 60 min per day"),
)
PER_DAY = {"ae_attendances", "emergency_admissions_all", "handover_over_60"}


def summary_text(cs: CompiledScenario, table: pd.DataFrame) -> str:
    """The run-level headline measures by site/trust (mean over replications; not the finer
    groups such as ``acuity:`` or ``locality:``); counts per day."""
    days = (cs.timeline.end - cs.timeline.start).days + 1
    t = table[(table["period"] == "run") & ~table["group"].str.contains(":", regex=False)]
    t = t.groupby(["kpi", "group"])["value"].mean().reset_index()  # sites, trusts, hubs, ICB
    lines = []
    for kpi, label in HEADLINE:
        rows = t[t["kpi"] == kpi]
        if rows.empty:
            continue
        values = {
            g: v / days if kpi in PER_DAY else v for g, v in zip(rows["group"], rows["value"], strict=True)
        }
        order = sorted(values, key=lambda g: (g != "ICB", g))
        cells = "  ".join(f"{g} {values[g]:,.1f}" for g in order)
        lines.append(f"  {label:<36} {cells}")
    return "\n".join(lines)


def scenario_summary(info: ScenarioInfo, table: pd.DataFrame) -> str:
    """:func:`summary_text` of one scenario of a RunSet table."""
    cs, _ = compiled(info.file, expected_hash=info.scenario_hash)
    return summary_text(cs, table[table["scenario"] == info.name])


def interval_summary(table: pd.DataFrame, level: float = 0.95) -> str:
    """The headline measures of each scenario with their t-interval over replications (text)."""
    heads = available_headlines(table)
    ci = replication_intervals(table[table["period"] == "run"], level)
    lines = [f"  mean over replications ({100 * level:g} % interval)"]
    for scenario in pd.unique(ci["scenario"]):
        for h in heads:
            r = ci[(ci["scenario"] == scenario) & (ci["kpi"] == h.kpi) & (ci["group"] == h.group)]
            if r.empty or pd.isna(r["half_width"].iloc[0]):
                continue
            m, lo, hi = r["mean"].iloc[0], r["low"].iloc[0], r["high"].iloc[0]
            d = h.digits
            lines.append(f"    {h.label:<48} {m:>10,.{d}f} {h.unit:<9} ({lo:,.{d}f} to {hi:,.{d}f})")
    return "\n".join(lines) if len(lines) > 1 else ""


def sets_text(rs: RunSet) -> str:
    """One line per scenario that drew parameter sets ("" when none did)."""
    lines = [
        f"  {i.name}: parameter uncertainty included: replication r uses parameter set r mod "
        f"{i.parameter_sets} of the scenario's {i.parameter_sets} plausible sets"
        for i in rs.scenarios
        if i.parameter_sets
    ]
    return "\n".join(lines)


def spread_text(table: pd.DataFrame, scenarios: Sequence[ScenarioInfo]) -> str:
    """Where the spread between replications of the headline measures comes from, per scenario
    that drew parameter sets: parameter share and standard deviations ("" when none drew)."""
    split = headline_spread(table, scenarios)
    if split.empty:
        return ""
    lines = ["  spread between replications: parameter sets vs chance (one-way random-effects ANOVA)"]
    for scenario in dict.fromkeys(split["scenario"]):
        s = split[split["scenario"] == scenario]
        first = s.iloc[0]
        if first["needed"]:
            lines.append(
                f"    {scenario}: {int(first['replications'])} replications over "
                f"{int(first['sets'])} sets: too few to split (each set needs 2: run "
                f"--reps {int(first['needed'])} or more)"
            )
            continue
        lines.append(f"    {scenario} ({int(first['sets'])} sets, {int(first['replications'])} replications)")
        for _, r in s.iterrows():
            share = "no spread" if pd.isna(r["parameter_share"]) else f"{100 * r['parameter_share']:5.1f} %"
            lines.append(
                f"      {r['label']:<48} parameter {share:>9}  "
                f"(sd between sets {np.sqrt(r['between']):,.3g}, within a set "
                f"{np.sqrt(r['within']):,.3g} {r['unit']})"
            )
    return "\n".join(lines)


def write_outputs(
    table: pd.DataFrame,
    base: str,
    out_dir: str | Path,
    *,
    report_path: str | Path | None = None,
    scenarios: Sequence[ScenarioInfo] = (),
    warmup: pd.DataFrame | None = None,
    daily: pd.DataFrame | None = None,
    reference_daily: pd.DataFrame | None = None,
    level: float = 0.95,
    highlight: str | None = None,
    mids: dict[str, Mid] | None = None,
    pdf_path: str | Path | None = None,
    runs: pd.DataFrame | None = None,
) -> Outputs:
    """Write measures.csv.gz/.parquet (without the provenance columns), runs.csv (the run
    lookup: ``runs``, or :func:`simcare.pipeline.runs_table` of ``table``), comparison.csv (with
    2+ scenarios), dose_response.csv (a grid over one lever) and the HTML report
    (``report_path``, default ``out_dir/report.html``); return the paths and a summary text.
    ``mids``: minimum important differences in place of the KPIs' own (``--mid``); ``pdf_path``:
    also the report as a PDF there (:mod:`simcare.report.pdf`)."""
    names = [str(n) for n in pd.unique(table["scenario"])]
    if highlight is not None and highlight not in names:
        raise SimcareError(f"--highlight {highlight!r} is not one of the scenarios ({', '.join(names)})")
    # the comparison table holds the run and monthly periods (daily differences: from measures)
    periods = [p for p in pd.unique(table["period"]) if len(str(p)) <= 7]
    comparison = paired_differences(table, base, level, periods=periods) if len(names) > 1 else None
    lines = []
    if comparison is not None:
        lines.append(impact_text(impact_table(comparison, available_headlines(table), mids), level))
    dose = dose_response_outputs(table, base, level) if len(names) > 1 else None
    if dose is not None:
        lines.append(dose.text)
    if warmup is not None:
        lines.append(warmup_text(warmup, base))
    lines.append(spread_text(table, scenarios))
    report = build_report(
        table,
        base,
        scenarios=scenarios,
        warmup=warmup,
        daily=daily,
        reference_daily=reference_daily,
        published=published_for(table),
        level=level,
        highlight=highlight,
        mids=mids,
        extra_sections=[dose.section] if dose is not None else [],
    )
    measures, lookup = split_runs(table)
    paths = write_results(out_dir, measures, comparison, runs=lookup if runs is None else runs)
    if dose is not None:
        paths.append(write_csv(Path(out_dir) / "dose_response.csv", dose.table))
    target = Path(report_path) if report_path is not None else Path(out_dir) / "report.html"
    paths.append(write_text(target, report.html))
    if pdf_path is not None:
        data = pdf_bytes(report.title, report.summary, report.impacts, report.base, report.figures)
        paths.append(write_pdf(pdf_path, data))
    for m in report.missing:
        print(f"simcare: warning: figure not drawn: {m}", file=sys.stderr)
    return Outputs(paths=paths, report=target, text="\n".join(t for t in lines if t), missing=report.missing)


def write_run_set(
    rs: RunSet,
    out_dir: str | Path,
    *,
    report_path: str | Path | None = None,
    level: float = 0.95,
    highlight: str | None = None,
    mids: dict[str, Mid] | None = None,
    pdf_path: str | Path | None = None,
) -> Outputs:
    """:func:`write_outputs` for fresh replications, with the warm-up check (:func:`warmup_check`)."""
    check = warmup_check(rs)
    warmup, reference = check if check is not None else (None, None)
    return write_outputs(
        rs.table,
        rs.scenarios[0].name,
        out_dir,
        report_path=report_path,
        scenarios=rs.scenarios,
        warmup=warmup,
        daily=rs.daily,
        reference_daily=reference,
        level=level,
        highlight=highlight,
        mids=mids,
        pdf_path=pdf_path,
        runs=rs.runs,
    )
