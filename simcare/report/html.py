"""The winter report: one self-contained HTML file (figures embedded as base64 PNG).

:func:`build_report` takes the tidy KPI table (fresh or stored results), the name of the base
scenario and, when known, what was run (:class:`simcare.pipeline.ScenarioInfo`) and the
MSER-5 warm-up table; it returns the HTML text. The answer comes first (docs/report.md):

``summary`` (a paragraph, :mod:`simcare.report.summary`), ``headline`` (impacts with intervals),
``impacts`` (chart), ``daily`` (fan charts), ``published`` (model beside published figures),
``parameter-uncertainty`` (only when a scenario drew parameter sets), then the appendix
``appendix`` ("How this was run"): ``what-was-run`` (scenarios, files, levers, hashes, window,
warm-up, replications, seeds, engine, version: the STRESS-DES items), ``warm-up``, ``precision``
(replications advisor) and ``notes``. A figure whose KPI is missing from the results is
replaced by a visible note saying so (:attr:`Report.missing` lists them); nothing is dropped
silently.

The markup is in Jinja2 templates (``simcare/report/templates``) with autoescape on: every name,
description, lever, label and value from a scenario, plan or store is escaped, so it shows as
text and never runs as markup (issue 16). The only unescaped values are
:class:`markupsafe.Markup` the report makes itself: sections and cells rendered by those
templates, the base64 PNG of its figures and its constant style sheet. A Content-Security-Policy
meta tag forbids scripts, requests and any style but that sheet (:mod:`simcare.html_policy`).
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure

from simcare.analysis.compare import paired_differences
from simcare.analysis.replications import precision_advice, replication_intervals
from simcare.analysis.warmup import WARMUP_SERIES
from simcare.errors import SimcareError
from simcare.html_policy import csp_meta
from simcare.kpi.mid import Mid
from simcare.pipeline import ScenarioInfo
from simcare.report import winter_figures as wf
from simcare.report.headline import (
    Headline,
    available_headlines,
    headline_spread,
    impact_table,
    number,
    signed,
)
from simcare.report.published_context import panel_list, winter_context
from simcare.report.summary import answer, calibration_words, opening, uncertainty_words
from simcare.scenario.labels import humanise

AGGREGATES = {"ICB": "whole ICB", "type1": "all type 1 EDs", "type3": "all urgent community hubs"}


def place_labels(table: pd.DataFrame, infos: Sequence[ScenarioInfo]) -> dict[str, str]:
    """KPI group -> the name shown in charts: the scenarios' own labels (the base's first,
    :func:`simcare.scenario.labels.group_labels`), the aggregates in words, else the group
    humanised (``weston_utc`` -> "Weston utc"), for every group of ``table``."""
    known: dict[str, str] = {}
    for info in reversed(list(infos)):
        known.update(info.labels)
    known.update(AGGREGATES)
    return {str(g): known.get(str(g)) or humanise(str(g)) for g in pd.unique(table["group"])}


CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;max-width:960px;margin:24px auto;
padding:0 16px;color:#1d1d1d;line-height:1.45;font-size:16px;overflow-wrap:break-word}
h1{font-size:1.8em;margin-bottom:.2em}h2{border-bottom:2px solid #1f5fa8;padding-bottom:4px;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.92em}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#eef3fa}td.num{text-align:right;white-space:nowrap;overflow-wrap:normal}
td small{color:#555}.scroll{overflow-x:auto;max-width:100%}.unclear{color:#333;font-weight:600}
figure{margin:1em 0 2em}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.95em;color:#333;margin-top:.4em}
.note{background:#fff6e0;border-left:4px solid #edae49;padding:8px 12px;margin:1em 0}
.better{color:#1b7a2e;font-weight:600}.worse{color:#b71c1c;font-weight:600}
.lede{font-size:1.08em}code{background:#f3f3f3;padding:1px 4px;overflow-wrap:anywhere}
@media (max-width:800px){body{padding:0 8px;margin:12px auto}h1{font-size:1.5em}}
"""


@dataclass
class Report:
    """The report's HTML and the figures that could not be drawn (with the reason); for the PDF
    (:func:`simcare.report.pdf.pdf_bytes`) its title, summary sentences, headline impacts (scenarios
    by their labels; empty for a single scenario), the base's label and every figure drawn, in the
    order of the page."""

    html: str
    missing: list[str] = field(default_factory=list)
    title: str = ""
    summary: list[str] = field(default_factory=list)
    impacts: pd.DataFrame = field(default_factory=pd.DataFrame)
    base: str = ""
    figures: list[Figure] = field(default_factory=list)


_DRAWN: ContextVar[list[Figure] | None] = ContextVar("_DRAWN", default=None)  # figures of a build


@cache
def _environment() -> jinja2.Environment:
    """The templates of ``simcare/report/templates`` (package data, so they load from a wheel),
    escaping every value unless it is :class:`markupsafe.Markup`."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("simcare.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _render(template: str, **context: Any) -> Markup:
    """A template rendered: markup the report made, with every input escaped."""
    return Markup(_environment().get_template(template).render(**context))


def _macro(name: str) -> Any:
    """A macro of ``macros.html.j2``: called from Python it returns Markup, its arguments escaped."""
    return getattr(_environment().get_template("macros.html.j2").module, name)


def _png(fig: Figure, dpi: int = 100) -> str:
    """``fig`` as base64 PNG text (for a data: URI)."""
    drawn = _DRAWN.get()
    if drawn is not None:
        drawn.append(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _table(frame: pd.DataFrame, numeric: Sequence[str] = ()) -> Markup:
    """An HTML table in a box that scrolls sideways rather than overflowing the page. Every cell
    is escaped, except cells that are :class:`markupsafe.Markup` (made by the macros of
    ``macros.html.j2`` from escaped parts)."""
    columns = [str(c) for c in frame.columns]
    rows = [list(r) for r in frame.astype(object).itertuples(index=False, name=None)]
    return Markup(_macro("table")(columns, rows, [str(c) for c in numeric]))


def _plain(value: object) -> str:
    """A lever setting in words: nested settings as "key value" lists."""
    if isinstance(value, dict):
        return ", ".join(f"{str(k).replace('_', ' ')} {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "/".join(_plain(v) for v in value)
    return str(value)


def _levers(levers: dict[str, object]) -> str:
    if not levers:
        return "none"
    return "; ".join(f"{name.replace('_', ' ')}: {_plain(value)}" for name, value in levers.items())


_VARIANT = re.compile(r"^(?P<base>[^\[]*)\[(?P<settings>.*)\](?P<copy>#\d+)?$")
_SETTING = re.compile(r",\s*(?=[\w.*-]+=)")  # a comma that starts the next key=value


def _setting_words(settings: str) -> str:
    """A batch variant's settings in words: "levers.discharge_capacity.increase=15%" ->
    "increase 15%" (the last part of each dotted key, underscores as spaces)."""
    words = []
    for item in _SETTING.split(settings):
        key, sep, value = item.partition("=")
        if not sep:
            words.append(item.strip())
            continue
        last = key.strip().rsplit(".", 1)[-1].replace("_", " ")
        words.append(f"{last} {value.strip()}")
    return ", ".join(words)


def _shared_prefix(names: Sequence[str]) -> str:
    """The ``_``-ended prefix every name shares (``bnssg_``), or ""."""
    if len(names) < 2:
        return ""
    common = names[0]
    for n in names[1:]:
        while not n.startswith(common):
            common = common[:-1]
    return common[: common.rfind("_") + 1] if "_" in common else ""


def short_names(names: Sequence[str]) -> dict[str, str]:
    """Names for tables and charts: a prefix every scenario shares (``bnssg_``) dropped and
    underscores as spaces; a batch variant ``base[key=value, ...]`` (``#n`` for a repeat) as its
    base and its settings in words, "discharge capacity (increase 15%)", or the settings alone
    when every name has the same base. Full names whenever two would otherwise be equal or one
    empty."""
    parts = []
    for n in names:
        m = _VARIANT.match(n)
        parts.append((m["base"], _setting_words(m["settings"]), m["copy"] or "") if m else (n, "", ""))
    bases = [b for b, _, _ in parts]
    prefix = _shared_prefix(list(dict.fromkeys(bases)))
    same_base = len(set(bases)) == 1 and all(w for _, w, _ in parts) and len(names) > 1
    short = {}
    for n, (b, words, copy) in zip(names, parts, strict=True):
        base = b[len(prefix) :].replace("_", " ").strip() or b
        short[n] = (words if same_base else (f"{base} ({words})" if words else base)) + copy
    if all(v.strip() for v in short.values()) and len(set(short.values())) == len(short):
        return short
    return {n: n for n in names}


def system_name(names: Sequence[str]) -> str:
    """The system the scenarios model: the first word of the names when they all share it
    ("bnssg_..." -> "BNSSG"), or ""."""
    firsts = {n.split("_", 1)[0] for n in names if "_" in n}
    if len(firsts) != 1 or any("_" not in n for n in names):
        return ""
    system = firsts.pop()
    return system.upper() if len(system) <= 6 else system


def report_title(names: Sequence[str], label: dict[str, str], base: str, others: Sequence[str]) -> str:
    """'BNSSG: 2 scenarios compared with baseline winter' or 'BNSSG: baseline winter'."""
    system = system_name(names)
    head = f"{system}: " if system else ""
    if others:
        n = len(others)
        return f"{head}{n} scenario{'s' if n != 1 else ''} compared with {label[base]}"
    return f"{head}{label[base]}"


WARMUP_ENOUGH = "configured warm-up is long enough"
WARMUP_AT_LIMIT = (
    "no steady level within the run: MSER-5 stopped at half the series, which may never "
    "settle (a queue that keeps growing), or the run is too short to tell"
)
WARMUP_LONGER = "longer than the configured warm-up: the first weeks reported may still be filling up"


def _what_was_run(
    table: pd.DataFrame,
    base: str,
    infos: Sequence[ScenarioInfo],
    warmup: pd.DataFrame | None,
    daily: pd.DataFrame | None,
    reference_daily: pd.DataFrame | None,
    label: dict[str, str],
) -> Markup:
    reps = int(table["replication"].nunique())
    seeds = sorted({int(s) for s in pd.unique(table["seed"])})
    engines = sorted(str(e) for e in pd.unique(table["engine"]))
    versions = sorted(str(v) for v in pd.unique(table["version"]))
    window = None
    if infos:
        cell = _macro("scenario_cell")
        rows = pd.DataFrame(
            {
                "scenario": [cell(label.get(i.name, i.name), i.name == base, i.name) for i in infos],
                "file": [i.file for i in infos],
                "what it is": [i.description or "(no description)" for i in infos],
                "levers changed": [_levers(i.levers) for i in infos],
                "scenario hash": [i.scenario_hash[:12] for i in infos],
            },
            dtype=object,  # keeps the Markup cells Markup (a string dtype would make them plain text)
        )
        scenarios = _table(rows)
        first = infos[0]
        window = {
            "start": f"{first.start:%d %B %Y}",
            "end": f"{first.end:%d %B %Y}",
            "census": first.census,
            "warm_up_days": first.warm_up_days,
        }
    else:
        hashes = table.groupby("scenario")["scenario_hash"].first()
        scenarios = _table(
            pd.DataFrame({"scenario": hashes.index, "scenario hash": hashes.str[:12].to_numpy()})
        )
    drew = [{"label": label.get(i.name, i.name), "sets": i.parameter_sets} for i in infos if i.parameter_sets]
    check = None
    if warmup is not None and not warmup.empty:
        w = warmup[warmup["scenario"] == base] if (warmup["scenario"] == base).any() else warmup
        names = {  # table column -> warm-up table column, shown when present
            "warm-up in the scenario (days)": "configured_days",
            "reference run from empty (days before the start)": "reference_days",
            "reference level (patients)": "reference_level",
            "difference, first 4 weeks (patients)": "difference",
            "tolerance (±)": "tolerance",
            "agrees from (day)": "coupled_days",
            "agrees from (date)": "coupled_date",
            "MSER-5 suggests (days)": "mser5_days",
            "settled by": "mser5_date",
        }
        shown = {k: c for k, c in names.items() if c in w.columns}
        at_limit = w["at_limit"] if "at_limit" in w.columns else [False] * len(w)
        rows = pd.DataFrame(
            {
                "daily series": w["label"],
                **{k: (w[c].round(1) if w[c].dtype.kind == "f" else w[c]) for k, c in shown.items()},
                "verdict": [
                    WARMUP_ENOUGH if e else (WARMUP_AT_LIMIT if a else WARMUP_LONGER)
                    for e, a in zip(w["enough"], at_limit, strict=True)
                ],
            }
        )
        numeric = [k for k, c in shown.items() if w[c].dtype.kind in "fi"]
        png = None
        if daily is not None and not daily.empty:
            base_name = w["scenario"].iloc[0]
            png = _png(wf.warmup_chart(daily, base_name, w, WARMUP_SERIES, reference=reference_daily))
        check = {"table": _table(rows, numeric=numeric), "png": png}
    return _render(
        "what_was_run.html.j2",
        scenarios=scenarios,
        window=window,
        reps=reps,
        drew=drew,
        seeds=seeds,
        engines=engines,
        versions=versions,
        base=base,
        warmup=check,
    )


def _verdict_class(v: str) -> str:
    """The class that colours a verdict."""
    return {"better": "better", "worse": "worse"}.get(v, "unclear")


def _headline_section(
    table: pd.DataFrame, base: str, impacts: pd.DataFrame, heads: list[Headline], level: float
) -> Markup:
    pct = f"{100 * level:g} %"
    if impacts.empty:
        ci = replication_intervals(table[table["period"] == "run"], level)
        rows = []
        for h in heads:
            for _, r in ci[(ci["kpi"] == h.kpi) & (ci["group"] == h.group)].iterrows():
                interval = (
                    "no interval (1 replication)"
                    if pd.isna(r["half_width"])
                    else f"{number(r['low'], h.digits)} to {number(r['high'], h.digits)}"
                )
                rows.append(
                    {
                        "scenario": r["scenario"],
                        "measure": h.label,
                        "unit": h.unit,
                        "mean over replications": number(r["mean"], h.digits),
                        f"{pct} interval": interval,
                    }
                )
        shown = _table(pd.DataFrame(rows), numeric=["mean over replications", f"{pct} interval"])
    else:
        cell = _macro("impact_cell")
        scenarios = list(dict.fromkeys(impacts["scenario"]))
        rows = []
        for label in dict.fromkeys(impacts["label"]):
            g = impacts[impacts["label"] == label].set_index("scenario")
            first = g.iloc[0]
            row = {
                "measure": label,
                "unit": first["unit"],
                f"base ({base})": number(first["base"], int(first["digits"])),
            }
            for sc in scenarios:
                if sc not in g.index:
                    row[sc] = ""
                    continue
                r = g.loc[sc]
                d = int(r["digits"])
                interval = (
                    "no interval" if pd.isna(r["low"]) else f"{signed(r['low'], d)} to {signed(r['high'], d)}"
                )
                verdict = str(r["verdict"])
                row[sc] = cell(_verdict_class(verdict), signed(r["difference"], d), interval, verdict)
            rows.append(row)
        shown = _table(pd.DataFrame(rows, dtype=object), numeric=[f"base ({base})", *scenarios])
    return _render("headline.html.j2", compared=not impacts.empty, base=base, pct=pct, table=shown)


def _ordered_groups(table: pd.DataFrame, kpi: str, exclude: Sequence[str] = ()) -> list[str]:
    """The ICB, sites and trusts of a KPI, ICB first: not the finer groupings (``acuity:``,
    ``locality:``, ``hub:``, pathway ``P1:...``) or type totals, which would crowd a chart."""
    groups = {str(g) for g in pd.unique(table.loc[table["kpi"] == kpi, "group"])}
    groups -= {*exclude, "type1", "type3"}
    return sorted((g for g in groups if ":" not in g), key=lambda g: (g != "ICB", g))


DAILY_KPIS = (
    "ae_within_4h",
    "ga_occupancy",
    "ga_beds",
    "ga_beds_occupied",
    "nctr",
    "handover_mean",
    "handover_over_60",
    "crews_at_handover",
    "nhs111_answered_60s",
    "nhs111_answer_mean",
)


def _daily_section(
    table: pd.DataFrame,
    shown: list[str],
    modelled: set[str] | None,
    missing: list[str],
    places: dict[str, str],
) -> Markup:
    # the day rows the charts need, cut once from the (millions of rows of the) whole table
    table = table[
        table["scenario"].isin(shown)
        & table["kpi"].isin(DAILY_KPIS)
        & (table["period"].str.len() == 10)
        & ~table["group"].str.contains(":", regex=False)
    ]

    def drawn(fig: Figure, **extra: object) -> dict[str, object]:
        return {"png": _png(fig), **extra}

    def absent(fig_id: str, what: str, kpis: Sequence[str], service: str) -> dict[str, object]:
        """The slot of a figure not drawn: a note why (and in ``missing`` unless not modelled)."""
        if modelled is not None and service not in modelled:
            return {"png": None, "note": f"{what}: not shown, because the scenario does not model {service}."}
        reason = f"{what}: not shown, because the results hold no daily values of {', '.join(kpis)}."
        missing.append(f"{fig_id}: {reason}")
        return {"png": None, "note": reason}

    def sites(kpi: str) -> list[str]:
        return _ordered_groups(table, kpi, ("ICB",))

    if wf.has_daily(table, "ae_within_4h") and sites("ae_within_4h"):
        ed4h = drawn(
            wf.fan_chart(
                table,
                "ae_within_4h",
                sites("ae_within_4h"),
                shown,
                "% within 4 hours",
                "A&E: % of attendances leaving within 4 hours of arrival, by site",
                group_labels=places,
                reference=((78.0, "78 % national standard 2025/26"),),
            )
        )
    else:
        ed4h = absent("fig-ed4h", "A&E % within 4 hours by site", ["ae_within_4h"], "ed")
    if (wf.has_daily(table, "ga_occupancy") or wf.has_daily(table, "ga_beds_occupied")) and wf.has_daily(
        table, "ga_beds"
    ):
        trusts = _ordered_groups(table, "ga_beds", ("ICB",))
        occupancy = drawn(wf.occupancy_chart(table, trusts, shown, places))
    else:
        occupancy = absent(
            "fig-occupancy", "G&A beds occupied against beds open", ["ga_occupancy", "ga_beds"], "beds"
        )
    if wf.has_daily(table, "nctr"):
        nctr = drawn(
            wf.fan_chart(
                table,
                "nctr",
                _ordered_groups(table, "nctr"),
                shown,
                "patients",
                "Patients in hospital with no criteria to reside",
                group_labels=places,
                sharey=False,
            )
        )
    else:
        nctr = absent("fig-nctr", "No criteria to reside stock", ["nctr"], "beds")
    if wf.has_daily(table, "handover_mean"):
        standard = ((15.0, "15 min standard"),)
        panels = [
            wf.Panel("handover_mean", g, places.get(g, g), "minutes", standard)
            for g in _ordered_groups(table, "handover_mean")
        ]
        crews = wf.has_daily(table, "crews_at_handover")
        if crews:
            panels.append(wf.Panel("crews_at_handover", "ICB", "crews waiting to hand over (ICB)", "crews"))
        fig = wf.fan_panels(
            table,
            panels,
            shown,
            "Ambulance handover: mean time from arrival to handover"
            + (", and crews waiting" if crews else ""),
        )
        handover = drawn(fig, kind="mean", crews=crews)
    elif wf.has_daily(table, "handover_over_60"):
        fig = wf.fan_chart(
            table,
            "handover_over_60",
            _ordered_groups(table, "handover_over_60"),
            shown,
            "handovers",
            "Ambulance handovers over 60 minutes per day",
            group_labels=places,
        )
        handover = drawn(fig, kind="over_60")
    else:
        handover = absent(
            "fig-handover", "Ambulance handover delays", ["handover_mean", "handover_over_60"], "ambulance"
        )
        handover["kind"] = "mean"
    if wf.has_daily(table, "nhs111_answered_60s"):
        panels = [
            wf.Panel(
                "nhs111_answered_60s",
                "ICB",
                "% of calls answered within 60 seconds",
                "% answered within 60 s",
            )
        ]
        mean = wf.has_daily(table, "nhs111_answer_mean")
        if mean:
            panels.append(wf.Panel("nhs111_answer_mean", "ICB", "mean time to answer", "seconds"))
        fig = wf.fan_panels(table, panels, shown, "NHS 111 answer times, whole ICB", ncols=2)
        nhs111 = drawn(fig, mean=mean)
    else:
        nhs111 = absent("fig-111", "NHS 111 answer times", ["nhs111_answered_60s"], "111")
    return _render(
        "daily.html.j2",
        names=", ".join(shown),
        ed4h=ed4h,
        occupancy=occupancy,
        nctr=nctr,
        handover=handover,
        nhs111=nhs111,
    )


def _published_section(
    table: pd.DataFrame,
    base: str,
    published: pd.DataFrame | None,
    level: float,
    missing: list[str],
    calibration: str,
) -> Markup:
    pct = f"{100 * level:g} %"
    if published is None or published.empty:
        note = "No published figures are available for this system, so the model is not shown beside them."
        return _render("published.html.j2", note=note)
    monthly = table[(table["scenario"] == base) & table["period"].astype(str).str.match(r"^\d{4}-\d{2}$")]
    ci = replication_intervals(monthly, level)
    panels = [p for p in panel_list(published) if ((ci["kpi"] == p[0]) & (ci["group"] == p[1])).any()]
    if not panels:
        reason = "Model beside published figures: the results hold no monthly values to compare."
        missing.append(f"fig-published: {reason}")
        return _render("published.html.j2", note=reason)
    months = sorted(str(m) for m in pd.unique(ci["period"]))
    context = winter_context(published, months)
    winters = ", ".join(dict.fromkeys(context["label"])) or "none"
    png = _png(wf.published_chart(ci, context, panels, base))
    future = bool(months) and min(months) > str(published["month"].max())
    return _render(
        "published.html.j2",
        note=None,
        png=png,
        pct=pct,
        winters=winters,
        calibration=calibration,
        future=future,
    )


def _precision_section(table: pd.DataFrame, heads: list[Headline], level: float) -> Markup:
    reps = int(table["replication"].nunique())
    if reps < 2:
        return _render("precision.html.j2", reps=reps)
    rows = []
    for h in heads:
        if h.group != "ICB":
            continue
        kwargs = {"absolute": 1.0} if h.unit == "%" else {"relative": 0.05}
        adv = precision_advice(table, [h.kpi], level=level, **kwargs)  # type: ignore[arg-type]
        for _, r in adv.iterrows():
            needed = "over 10,000" if pd.isna(r["needed"]) else f"{int(r['needed'])}"
            rows.append(
                {
                    "scenario": r["scenario"],
                    "measure": h.label,
                    "mean": f"{r['mean']:,.{h.digits}f} {h.unit}",
                    "half-width now": f"{r['half_width']:,.{h.digits + 1}f}",
                    "asked for": ("1 percentage point" if h.unit == "%" else "5 % of the mean"),
                    "replications needed": needed,
                }
            )
    shown = _table(pd.DataFrame(rows), numeric=["half-width now", "replications needed"])
    return _render("precision.html.j2", reps=reps, pct=f"{100 * level:g} %", table=shown)


def _share(x: float) -> str:
    return "no spread" if pd.isna(x) else f"{100 * x:.0f} %"


def _sets_section(table: pd.DataFrame, infos: Sequence[ScenarioInfo], label: dict[str, str]) -> Markup:
    """``parameter-uncertainty``: the split of the headline measures' spread ("" if no set drawn)."""
    split = headline_spread(table, infos)
    if split.empty:
        return Markup("")
    scenarios = []
    for scenario in dict.fromkeys(split["scenario"]):
        s = split[split["scenario"] == scenario]
        first = s.iloc[0]
        shown: dict[str, object] = {
            "name": label.get(scenario, scenario),
            "replications": int(first["replications"]),
            "sets": int(first["sets"]),
            "needed": int(first["needed"]) if first["needed"] else 0,
        }
        if not first["needed"]:
            rows = pd.DataFrame(
                {
                    "measure": s["label"],
                    "unit": s["unit"],
                    "parameter share": [_share(x) for x in s["parameter_share"]],
                    "sd between sets": [f"{x**0.5:,.3g}" for x in s["between"]],
                    "sd within a set (chance)": [f"{x**0.5:,.3g}" for x in s["within"]],
                }
            )
            shown["table"] = _table(
                rows, numeric=["parameter share", "sd between sets", "sd within a set (chance)"]
            )
        scenarios.append(shown)
    return _render("sets.html.j2", scenarios=scenarios)


def _notes_section(
    infos: Sequence[ScenarioInfo], reps: int, seeds: Sequence[int], caveats: Sequence[str]
) -> Markup:
    files = " ".join(i.file for i in infos) if infos else "BASE OTHER..."
    seed = f" --seed {seeds[0]}" if len(seeds) == 1 else ""
    seed += " --parameter-sets" if any(i.parameter_sets for i in infos) else ""
    command = (
        f"simcare compare {files} --reps {reps}{seed} --out DIR"
        if len(infos) != 1
        else f"simcare run {files} --reps {reps}{seed} --out DIR"
    )
    return _render("notes.html.j2", command=command, caveats=caveats)


def build_report(
    table: pd.DataFrame,
    base: str,
    *,
    scenarios: Sequence[ScenarioInfo] = (),
    warmup: pd.DataFrame | None = None,
    daily: pd.DataFrame | None = None,
    reference_daily: pd.DataFrame | None = None,
    published: pd.DataFrame | None = None,
    level: float = 0.95,
    highlight: str | None = None,
    title: str | None = None,
    mids: dict[str, Mid] | None = None,
    extra_sections: Sequence[Markup] = (),
) -> Report:
    """The HTML report of a tidy KPI table (see the module docstring).

    ``base``: the scenario others are compared with (the only one for a single run);
    ``highlight``: the scenario drawn beside the base in the daily charts (default: one whose name
    contains "combined", else the second scenario); ``daily``: the daily state series of the
    runs (:func:`simcare.analysis.warmup.daily_state_series`) and ``reference_daily``: those of the
    base scenario's reference run (:func:`simcare.report.build.warmup_check`), for the
    warm-up chart (drawn when ``reference_daily`` is given); ``published``: from
    :func:`simcare.report.published_context.published_monthly`, or None when the system has no
    published data; ``mids``: minimum important differences in place of the KPIs' own
    (:func:`simcare.kpi.mid.parse_mids`); ``extra_sections``: rendered sections placed after the
    impacts (the dose-response view of a grid, :mod:`simcare.report.dose_response`).
    """
    drawn: list[Figure] = []
    token = _DRAWN.set(drawn)
    try:
        report = _build(
            table,
            base,
            scenarios,
            warmup,
            daily,
            reference_daily,
            published,
            level,
            highlight,
            title,
            mids,
            extra_sections,
        )
    finally:
        _DRAWN.reset(token)
    report.figures = drawn
    return report


def _build(
    table: pd.DataFrame,
    base: str,
    scenarios: Sequence[ScenarioInfo],
    warmup: pd.DataFrame | None,
    daily: pd.DataFrame | None,
    reference_daily: pd.DataFrame | None,
    published: pd.DataFrame | None,
    level: float,
    highlight: str | None,
    title: str | None,
    mids: dict[str, Mid] | None,
    extra_sections: Sequence[Markup] = (),
) -> Report:
    names = [str(n) for n in pd.unique(table["scenario"])]
    if base not in names:
        raise SimcareError(f"base scenario {base!r} is not in the results ({', '.join(names)})")
    label = short_names(names)
    full = table
    table = table.assign(scenario=table["scenario"].map(label))
    others = [label[n] for n in names if n != base]
    if highlight is None and others:
        highlight = next((label[n] for n in names if n != base and "combined" in n), others[0])
    elif highlight is not None:
        highlight = label.get(highlight, highlight)
    short_base = label[base]
    shown = [short_base] + ([highlight] if highlight else [])
    differences = paired_differences(table, short_base, level, periods=["run"]) if others else None
    heads = available_headlines(table)
    impacts = impact_table(differences, heads, mids) if differences is not None else pd.DataFrame()
    modelled: set[str] | None = set().union(*(set(i.modelled) for i in scenarios)) if scenarios else None
    missing: list[str] = []
    title = title or report_title(names, label, base, others)
    reps = int(table["replication"].nunique())
    seeds = sorted({int(x) for x in full["seed"].unique()})
    base_info = next((i for i in scenarios if i.name == base), None)
    summary = [opening(scenarios, short_base, len(others), reps)]
    if not impacts.empty:
        summary += answer(impacts, short_base, level)
    calibration = calibration_words(base_info.calibration) if base_info is not None else ""
    caveats = [t for t in (calibration, uncertainty_words(scenarios)) if t]
    notes = list(caveats)
    if base_info is not None and base_info.calibration is not None:
        notes[0] = calibration_words(base_info.calibration, with_file=True)
    sections = [
        _headline_section(table, short_base, impacts, heads, level),
        _render(
            "impacts.html.j2",
            png=None if impacts.empty else _png(wf.impact_chart(impacts, level)),
            pct=f"{100 * level:g} %",
        ),
        *extra_sections,
        _daily_section(table, shown, modelled, missing, place_labels(full, scenarios)),
        _published_section(table, short_base, published, level, missing, calibration),
        _sets_section(full, scenarios, label),
    ]
    appendix = [
        _what_was_run(full, base, scenarios, warmup, daily, reference_daily, label),
        _precision_section(table[table["scenario"].isin(shown)], heads, level),
        _notes_section(scenarios, reps, seeds, notes),
    ]
    page = _render(
        "page.html.j2",
        csp=Markup(csp_meta(CSS)),  # a constant and its hash: no input
        css=Markup(CSS),
        title=title,
        summary=summary,
        caveats=caveats,
        sections=[s for s in sections if s],
        appendix=appendix,
    )
    return Report(
        html=page + "\n",
        missing=missing,
        title=title,
        summary=summary + caveats,
        impacts=impacts,
        base=short_base,
    )
