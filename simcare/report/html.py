"""The winter report: one self-contained HTML file (figures embedded as base64 PNG).

:func:`build_report` takes the tidy KPI table (fresh or stored results), the name of the base
scenario and, when known, what was run (:class:`simcare.pipeline.ScenarioInfo`) and the
MSER-5 warm-up table; it returns the HTML text. Sections (element ids, tested):

``what-was-run`` (scenarios, levers, window, warm-up, replications, seeds, engine, version: the
STRESS-DES items), ``warm-up``, ``headline`` (impacts with intervals), ``impacts`` (chart),
``daily`` (fan charts), ``published`` (model beside published figures), ``precision``
(replications advisor), ``parameter-uncertainty`` (only when a scenario drew parameter sets: how
much of the spread comes from the sets and how much from chance) and ``notes``. A figure whose KPI
is missing from the results is replaced by a visible note saying so (:attr:`Report.missing` lists
them); nothing is dropped silently.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from simcare.analysis.compare import paired_differences
from simcare.analysis.replications import precision_advice, replication_intervals
from simcare.analysis.warmup import WARMUP_SERIES
from simcare.errors import SimcareError
from simcare.pipeline import ScenarioInfo
from simcare.report import winter_figures as wf
from simcare.report.headline import Headline, available_headlines, headline_spread, impact_table
from simcare.report.published_context import PANELS, winter_context

GROUP_LABELS = {
    "ICB": "whole ICB",
    "type1": "type 1 EDs",
    "bri": "Bristol Royal Infirmary",
    "southmead": "Southmead",
    "weston": "Weston General",
    "rvj": "North Bristol NHS Trust (RVJ)",
    "ra7": "University Hospitals Bristol and Weston (RA7)",
}

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;max-width:1150px;margin:24px auto;
padding:0 16px;color:#1d1d1d;line-height:1.45;font-size:16px}
h1{font-size:1.8em;margin-bottom:.2em}h2{border-bottom:2px solid #1f5fa8;padding-bottom:4px;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.92em}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef3fa}td.num{text-align:right;white-space:nowrap}
td small{color:#555}.scroll{overflow-x:auto}.unclear{color:#333;font-weight:600}
figure{margin:1em 0 2em}figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.95em;color:#333;margin-top:.4em}
.note{background:#fff6e0;border-left:4px solid #edae49;padding:8px 12px;margin:1em 0}
.better{color:#1b7a2e;font-weight:600}.worse{color:#b71c1c;font-weight:600}
.lede{font-size:1.08em}code{background:#f3f3f3;padding:1px 4px}
"""


@dataclass
class Report:
    """The report's HTML and the figures that could not be drawn (with the reason)."""

    html: str
    missing: list[str] = field(default_factory=list)


def figure_html(fig: Figure, fig_id: str, alt: str, caption: str, dpi: int = 100) -> str:
    """A <figure> with ``fig`` embedded as a base64 PNG, its alt text and a caption."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f'<figure id="{fig_id}"><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _table(frame: pd.DataFrame, numeric: Sequence[str] = ()) -> str:
    """An HTML table (cells starting with '<' are trusted HTML made here, others are escaped),
    in a box that scrolls sideways rather than overflowing the page."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, r in frame.iterrows():
        cells = []
        for c in frame.columns:
            cls = ' class="num"' if c in numeric else ""
            value = r[c]
            text = value if isinstance(value, str) and value.startswith("<") else html.escape(str(value))
            cells.append(f"<td{cls}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
        "</table></div>"
    )


def _note(text: str) -> str:
    return f'<p class="note">{text}</p>'


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


def short_names(names: Sequence[str]) -> dict[str, str]:
    """Names for tables and charts: a prefix every scenario shares (``bnssg_``) dropped and
    underscores as spaces, unless that would make two names equal or one empty."""
    prefix = ""
    if len(names) > 1:
        common = names[0]
        for n in names[1:]:
            while not n.startswith(common):
                common = common[:-1]
        prefix = common[: common.rfind("_") + 1] if "_" in common else ""
    short = {n: n[len(prefix) :].replace("_", " ") or n for n in names}
    return short if len(set(short.values())) == len(short) else {n: n for n in names}


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
) -> str:
    reps = int(table["replication"].nunique())
    seeds = sorted({int(s) for s in pd.unique(table["seed"])})
    engines = sorted(str(e) for e in pd.unique(table["engine"]))
    versions = sorted(str(v) for v in pd.unique(table["version"]))
    out = ['<section id="what-was-run"><h2>What was run</h2>']
    if infos:
        rows = pd.DataFrame(
            {
                "scenario": [
                    f"<b>{html.escape(label.get(i.name, i.name))}</b>"
                    f"{' (base)' if i.name == base else ''}<br><small>{html.escape(i.name)}</small>"
                    for i in infos
                ],
                "file": [i.file for i in infos],
                "what it is": [i.description or "(no description)" for i in infos],
                "levers changed": [_levers(i.levers) for i in infos],
                "scenario hash": [i.scenario_hash[:12] for i in infos],
            }
        )
        out.append(_table(rows))
        first = infos[0]
        census = (
            "a census of the system (patients already in beds, delayed discharges and "
            "discharge-to-assess services on the first simulated day)"
        )
        warm = (
            f"a warm-up of {first.warm_up_days} days before the reported window, which is cut "
            "from every figure"
        )
        start = (
            warm
            if not first.census
            else (f"{census}, then {warm}" if first.warm_up_days else f"{census} instead of a warm-up")
        )
        out.append(
            f"<p>Reported window: <b>{first.start:%d %B %Y} to {first.end:%d %B %Y}</b>, "
            f"started from {start}.</p>"
        )
    else:
        hashes = table.groupby("scenario")["scenario_hash"].first()
        out.append(
            _table(pd.DataFrame({"scenario": hashes.index, "scenario hash": hashes.str[:12].to_numpy()}))
        )
    drew = [i for i in infos if i.parameter_sets]
    sets_item = (
        ""
        if not drew
        else (
            "<li><b>Parameter uncertainty:</b> "
            + "; ".join(
                f"{html.escape(label.get(i.name, i.name))} drew one of its {i.parameter_sets} "
                "plausible parameter sets per replication (replication <i>r</i> uses set <i>r</i> "
                f"mod {i.parameter_sets})"
                for i in drew
            )
            + ", so the intervals and bands include parameter as well as stochastic uncertainty "
            "(see <a href='#parameter-uncertainty'>where the spread comes from</a>).</li>"
        )
    )
    out.append(
        f"<ul><li><b>Replications:</b> {reps} per scenario; replication <i>r</i> of every scenario "
        "uses the same random numbers for the same patients (common random numbers), so "
        "differences between scenarios are paired.</li>"
        + sets_item
        + f"<li><b>Master seed:</b> {', '.join(map(str, seeds))}</li>"
        f"<li><b>Engine:</b> {', '.join(engines)}; <b>simcare version:</b> {', '.join(versions)}</li>"
        "<li><b>Reproduce:</b> the same scenario files, seed, replications and version give the "
        "same numbers.</li></ul>"
    )
    out.append('<h3 id="warm-up">Warm-up</h3>')
    if warmup is None or warmup.empty:
        out.append(_note("No warm-up check was run (the results were read from a table)."))
    else:
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
        out.append(
            "<p>The model starts empty (or from a census) and needs time to fill up before its "
            "figures mean anything. A winter is not steady (demand rises towards the new year), so "
            "the check does not look for a flat series: it compares the base scenario, "
            f"<b>{html.escape(base)}</b>, as started, with a reference run of the same scenario "
            "started empty long before (a year, at least), with the same replications and seeds. "
            "Both see the same season; only their start differs. The warm-up is enough if, over "
            "the first 4 reported weeks, the two agree: their mean difference is within the larger "
            "of 1 % of the reference level and the 95 % interval of the difference over "
            "replications. 'Agrees from' is the first day from which every later 4-week window "
            "agrees (−1: none within the run).</p>"
        )
        numeric = [k for k, c in shown.items() if w[c].dtype.kind in "fi"]
        out.append(_table(rows, numeric=numeric))
        if daily is not None and not daily.empty:
            base_name = w["scenario"].iloc[0]
            out.append(
                figure_html(
                    wf.warmup_chart(daily, base_name, w, WARMUP_SERIES, reference=reference_daily),
                    "fig-warmup",
                    "Daily series used to check the warm-up",
                    "Each panel is one daily series of the base scenario from its first simulated day, "
                    "averaged over replications; the grey line, if any, is the reference run started "
                    "empty a year or more earlier. The grey span, if any, is the warm-up, which no "
                    "figure in this report includes; the dashed line is where the two agree from.",
                )
            )
    out.append("</section>")
    return "".join(out)


def _verdict_tag(v: str) -> str:
    """An opening span tag (without its '<') coloured by a verdict."""
    cls = {"better": "better", "worse": "worse"}.get(v, "unclear")
    return f'span class="{cls}"'


def _headline_section(
    table: pd.DataFrame, base: str, impacts: pd.DataFrame, heads: list[Headline], level: float
) -> str:
    out = [f'<section id="headline"><h2>Headline {"figures" if impacts.empty else "impacts"}</h2>']
    pct = f"{100 * level:g} %"
    if impacts.empty:
        ci = replication_intervals(table[table["period"] == "run"], level)
        rows = []
        for h in heads:
            for _, r in ci[(ci["kpi"] == h.kpi) & (ci["group"] == h.group)].iterrows():
                interval = (
                    "no interval (1 replication)"
                    if pd.isna(r["half_width"])
                    else f"{r['low']:,.{h.digits}f} to {r['high']:,.{h.digits}f}"
                )
                rows.append(
                    {
                        "scenario": r["scenario"],
                        "measure": h.label,
                        "unit": h.unit,
                        "mean over replications": f"{r['mean']:,.{h.digits}f}",
                        f"{pct} interval": interval,
                    }
                )
        out.append(
            f"<p>Each figure is the mean over replications of the whole reported window, "
            f"with its {pct} confidence interval.</p>"
        )
        out.append(_table(pd.DataFrame(rows), numeric=["mean over replications", f"{pct} interval"]))
    else:
        out.append(
            f"<p>Each column compares a scenario with the base, <b>{html.escape(base)}</b>, over the "
            "whole reported window. Each cell is the scenario minus the base, averaged over "
            f"replications, with its {pct} confidence interval in brackets: if the interval does "
            "not include zero the change is clear (<span class='better'>better</span> or "
            "<span class='worse'>worse</span>); otherwise the runs cannot tell it from chance. "
            "Counts are totals over the window. Every measure, group and month is in "
            "<code>comparison.csv</code>.</p>"
        )
        scenarios = list(dict.fromkeys(impacts["scenario"]))
        rows = []
        for label in dict.fromkeys(impacts["label"]):
            g = impacts[impacts["label"] == label].set_index("scenario")
            first = g.iloc[0]
            row = {
                "measure": label,
                "unit": first["unit"],
                f"base ({base})": f"{first['base']:,.{first['digits']}f}",
            }
            for sc in scenarios:
                if sc not in g.index:
                    row[sc] = ""
                    continue
                r = g.loc[sc]
                d = int(r["digits"])
                interval = (
                    "no interval" if pd.isna(r["low"]) else f"{r['low']:+,.{d}f} to {r['high']:+,.{d}f}"
                )
                row[sc] = (
                    f"<{_verdict_tag(str(r['verdict']))}>{r['difference']:+,.{d}f}</span><br>"
                    f"<small>({interval})<br>{html.escape(str(r['verdict']))}</small>"
                )
            rows.append(row)
        out.append(_table(pd.DataFrame(rows), numeric=[f"base ({base})", *scenarios]))
    out.append("</section>")
    return "".join(out)


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
    table: pd.DataFrame, shown: list[str], modelled: set[str] | None, missing: list[str]
) -> str:
    # the day rows the charts need, cut once from the (millions of rows of the) whole table
    table = table[
        table["scenario"].isin(shown)
        & table["kpi"].isin(DAILY_KPIS)
        & (table["period"].str.len() == 10)
        & ~table["group"].str.contains(":", regex=False)
    ]
    out = [
        '<section id="daily"><h2>Day by day through the winter</h2>',
        "<p>Each chart shows a measure for every day of the reported window. The line is the "
        "middle replication; the shaded band shows how much the day varies between "
        "replications (the spread of days a real winter could bring), not the uncertainty of "
        "the average. Colours are scenarios.</p>",
    ]
    names = ", ".join(shown)

    def absent(fig_id: str, what: str, kpis: Sequence[str], service: str) -> None:
        if modelled is not None and service not in modelled:
            out.append(_note(f"{what}: not shown, because the scenario does not model {service}."))
            return
        reason = f"{what}: not shown, because the results hold no daily values of {', '.join(kpis)}."
        missing.append(f"{fig_id}: {reason}")
        out.append(_note(reason))

    def sites(kpi: str) -> list[str]:
        return _ordered_groups(table, kpi, ("ICB",))

    if wf.has_daily(table, "ae_within_4h") and sites("ae_within_4h"):
        fig = wf.fan_chart(
            table,
            "ae_within_4h",
            sites("ae_within_4h"),
            shown,
            "% within 4 hours",
            "A&E: % of attendances leaving within 4 hours of arrival, by site",
            group_labels=GROUP_LABELS,
            reference=((78.0, "78 % national standard 2025/26"),),
        )
        out.append(
            figure_html(
                fig,
                "fig-ed4h",
                "Daily percentage within 4 hours at each ED",
                f"The share of each day's A&E attendances that left within 4 hours, at each "
                f"emergency department ({names}). Higher is better; the dashed line is the "
                "78 % standard for March 2026.",
            )
        )
    else:
        absent("fig-ed4h", "A&E % within 4 hours by site", ["ae_within_4h"], "ed")
    if (wf.has_daily(table, "ga_occupancy") or wf.has_daily(table, "ga_beds_occupied")) and wf.has_daily(
        table, "ga_beds"
    ):
        trusts = _ordered_groups(table, "ga_beds", ("ICB",))
        fig = wf.occupancy_chart(table, trusts, shown, GROUP_LABELS)
        out.append(
            figure_html(
                fig,
                "fig-occupancy",
                "Daily G&A beds occupied and beds open per trust",
                "How many general and acute beds were occupied each day (solid line and band) "
                "against the beds open that day (dashed). When the lines meet, the hospital "
                "is full: ambulances queue and A&E patients wait for a bed.",
            )
        )
    else:
        absent("fig-occupancy", "G&A beds occupied against beds open", ["ga_occupancy", "ga_beds"], "beds")
    if wf.has_daily(table, "nctr"):
        fig = wf.fan_chart(
            table,
            "nctr",
            _ordered_groups(table, "nctr"),
            shown,
            "patients",
            "Patients in hospital with no criteria to reside",
            group_labels=GROUP_LABELS,
            sharey=False,
        )
        out.append(
            figure_html(
                fig,
                "fig-nctr",
                "Daily count of patients with no criteria to reside",
                "Patients who are well enough to leave hospital but are still in a bed. The model "
                "counts two kinds: those waiting for discharge-to-assess capacity (home care, "
                "rehabilitation beds, care homes: pathways 1-3) and those still in the hospital's "
                "discharge process. More discharge capacity shortens only the first kind; the "
                "impacts table shows each. Lower is better: each one holds a bed another patient "
                "needs.",
            )
        )
    else:
        absent("fig-nctr", "No criteria to reside stock", ["nctr"], "beds")
    if wf.has_daily(table, "handover_mean"):
        standard = ((15.0, "15 min standard"),)
        panels = [
            wf.Panel("handover_mean", g, GROUP_LABELS.get(g, g), "minutes", standard)
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
        out.append(
            figure_html(
                fig,
                "fig-handover",
                "Daily mean ambulance handover time",
                "The average time an ambulance crew waited at hospital to hand over its "
                "patient, day by day, for the whole ICB and at each hospital"
                + (
                    "; the last panel counts the crews standing at EDs waiting (on average over "
                    "the day) instead of answering 999 calls"
                    if crews
                    else ""
                )
                + ". The national standard is 15 minutes. Each panel has its own scale.",
            )
        )
    elif wf.has_daily(table, "handover_over_60"):
        fig = wf.fan_chart(
            table,
            "handover_over_60",
            _ordered_groups(table, "handover_over_60"),
            shown,
            "handovers",
            "Ambulance handovers over 60 minutes per day",
            group_labels=GROUP_LABELS,
        )
        out.append(
            figure_html(
                fig,
                "fig-handover",
                "Daily handovers over 60 minutes",
                "How many ambulance handovers took longer than an hour each day. Lower is better.",
            )
        )
    else:
        absent(
            "fig-handover", "Ambulance handover delays", ["handover_mean", "handover_over_60"], "ambulance"
        )
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
        out.append(
            figure_html(
                fig,
                "fig-111",
                "Daily NHS 111 answer times",
                "Left: the share of each day's NHS 111 calls answered within a minute (higher is "
                "better)"
                + (
                    "; right: the average wait before a call is answered, in seconds (lower is better)"
                    if mean
                    else ""
                )
                + ". Calls not answered quickly are more often abandoned, and the caller may go "
                "to A&E instead.",
            )
        )
    else:
        absent("fig-111", "NHS 111 answer times", ["nhs111_answered_60s"], "111")
    out.append("</section>")
    return "".join(out)


def _published_section(
    table: pd.DataFrame, base: str, published: pd.DataFrame | None, level: float, missing: list[str]
) -> str:
    out = ['<section id="published"><h2>The model beside published figures</h2>']
    if published is None or published.empty:
        out.append(
            _note(
                "No published figures are available for this system, so the model is not shown beside them."
            )
        )
        out.append("</section>")
        return "".join(out)
    monthly = table[(table["scenario"] == base) & table["period"].astype(str).str.match(r"^\d{4}-\d{2}$")]
    ci = replication_intervals(monthly, level)
    panels = [p for p in PANELS if ((ci["kpi"] == p[0]) & (ci["group"] == p[1])).any()]
    if not panels:
        reason = "Model beside published figures: the results hold no monthly values to compare."
        missing.append(f"fig-published: {reason}")
        out.append(_note(reason))
        out.append("</section>")
        return "".join(out)
    months = sorted(str(m) for m in pd.unique(ci["period"]))
    context = winter_context(published, months)
    winters = ", ".join(dict.fromkeys(context["label"])) or "none"
    fig = wf.published_chart(ci, context, panels, base)
    out.append(
        figure_html(
            fig,
            "fig-published",
            "Monthly model figures beside published figures",
            "Filled dots: the base scenario, month by month (mean over replications, bars: "
            f"{100 * level:g} % "
            f"interval). Open markers: the published figures for the same calendar months of earlier winters "
            f"({html.escape(winters)}). The model runs a future winter, so no published figures exist yet "
            "for "
            "its months: the markers are context (what recent winters looked like), not a test of the model. "
            "The model's baseline is uncalibrated; its comparison with April-November 2024 is in "
            "<code>tests/regression/</code>.",
        )
    )
    out.append("</section>")
    return "".join(out)


def _precision_section(table: pd.DataFrame, heads: list[Headline], level: float) -> str:
    out = ['<section id="precision"><h2>How precise are these numbers?</h2>']
    reps = int(table["replication"].nunique())
    if reps < 2:
        out.append(
            _note("One replication gives no measure of precision: run at least 2 (10 or more for reporting).")
        )
        out.append("</section>")
        return "".join(out)
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
    out.append(
        f"<p>With {reps} replications, each average above is known to within its half-width "
        f"({100 * level:g} % confidence). The last column says how many replications would bring the "
        "half-width within the precision asked for, using the spread seen in this run "
        "(<code>precision_advice</code>; Law, Simulation Modeling and Analysis, 9.4.1). Differences "
        "between scenarios are usually more precise than this, because the runs are paired.</p>"
    )
    out.append(_table(pd.DataFrame(rows), numeric=["half-width now", "replications needed"]))
    out.append("</section>")
    return "".join(out)


def _share(x: float) -> str:
    return "no spread" if pd.isna(x) else f"{100 * x:.0f} %"


def _sets_section(table: pd.DataFrame, infos: Sequence[ScenarioInfo], label: dict[str, str]) -> str:
    """``parameter-uncertainty``: the split of the headline measures' spread ("" if no set drawn)."""
    split = headline_spread(table, infos)
    if split.empty:
        return ""
    out = [
        '<section id="parameter-uncertainty"><h2>Where the spread comes from: parameters or chance</h2>',
        "<p>These runs drew one plausible parameter set of the calibration per replication, so "
        "replications differ for two reasons: the set they used (parameter uncertainty) and "
        "chance (stochastic uncertainty). A one-way random-effects analysis of variance over the "
        "set splits the spread of each headline measure over the whole window: the variance "
        "within a set is chance; the variance of the set means beyond what chance explains is "
        "the parameters' share (<code>simcare.analysis.variance</code>).</p>",
    ]
    for scenario in dict.fromkeys(split["scenario"]):
        s = split[split["scenario"] == scenario]
        first = s.iloc[0]
        name = html.escape(label.get(scenario, scenario))
        if first["needed"]:
            out.append(
                _note(
                    f"{name}: {int(first['replications'])} replications over "
                    f"{int(first['sets'])} parameter sets are too few to split the spread: "
                    f"each set needs at least 2 replications, so run at least "
                    f"{int(first['needed'])}."
                )
            )
            continue
        rows = pd.DataFrame(
            {
                "measure": s["label"],
                "unit": s["unit"],
                "parameter share": [_share(x) for x in s["parameter_share"]],
                "sd between sets": [f"{x**0.5:,.3g}" for x in s["between"]],
                "sd within a set (chance)": [f"{x**0.5:,.3g}" for x in s["within"]],
            }
        )
        out.append(f"<h3>{name}: {int(first['sets'])} sets, {int(first['replications'])} replications</h3>")
        out.append(_table(rows, numeric=["parameter share", "sd between sets", "sd within a set (chance)"]))
    out.append("</section>")
    return "".join(out)


def _notes_section(infos: Sequence[ScenarioInfo], reps: int, seeds: Sequence[int]) -> str:
    files = " ".join(i.file for i in infos) if infos else "BASE OTHER..."
    seed = f" --seed {seeds[0]}" if len(seeds) == 1 else ""
    seed += " --parameter-sets" if any(i.parameter_sets for i in infos) else ""
    command = (
        f"simcare compare {files} --reps {reps}{seed} --out DIR"
        if len(infos) != 1
        else f"simcare run {files} --reps {reps}{seed} --out DIR"
    )
    return (
        '<section id="notes"><h2>About the model and this report</h2><ul>'
        "<li>simcare is a discrete-event simulation: it follows each patient through NHS 111, ambulance, "
        "urgent community hubs, A&E, G&A beds and discharge to assess, hour by hour, with random arrivals "
        "and lengths of stay. Parameters and their sources are in <code>docs/bnssg_parameters.md</code>; "
        "what the engine assumes is in <code>docs/model.md</code>; this report is described in "
        "<code>docs/report.md</code>.</li>"
        "<li>The baseline is not yet calibrated: use the differences between scenarios (which share "
        "random numbers) rather than the absolute levels.</li>"
        "<li>Measure definitions follow NHS England's (4 hours from arrival to departure; handover from "
        "arrival at hospital; occupancy of G&A beds open). Counts are totals over the reported window "
        "after the warm-up.</li>"
        f"<li>Reproduce this report with <code>{html.escape(command)}</code>. Every measure, by group "
        "and by day, month and the whole window, is written beside it (<code>measures.parquet</code>, "
        "<code>measures.csv.gz</code>), with the paired differences in <code>comparison.csv</code>."
        "</li></ul></section>"
    )


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
) -> Report:
    """The HTML report of a tidy KPI table (see the module docstring).

    ``base``: the scenario others are compared with (the only one for a single run);
    ``highlight``: the scenario drawn beside the base in the daily charts (default: one whose name
    contains "combined", else the second scenario); ``daily``: the daily state series of the
    runs (:func:`simcare.analysis.warmup.daily_state_series`) and ``reference_daily``: those of the
    base scenario's reference run (:func:`simcare.report.build.warmup_check`), for the
    warm-up chart (drawn when ``reference_daily`` is given); ``published``: from
    :func:`simcare.report.published_context.published_monthly`, or None when the system has no
    published data.
    """
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
    impacts = impact_table(differences, heads) if differences is not None else pd.DataFrame()
    modelled: set[str] | None = set().union(*(set(i.modelled) for i in scenarios)) if scenarios else None
    missing: list[str] = []
    title = title or (f"Winter scenarios compared with {short_base}" if others else f"Winter scenario {base}")
    reps = int(table["replication"].nunique())
    seeds = sorted({int(x) for x in full["seed"].unique()})
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
    ]
    lede = (
        f"{len(others)} scenario{'s' if len(others) != 1 else ''} compared with the base "
        f"<b>{html.escape(short_base)}</b>, {reps} replication{'s' if reps != 1 else ''} each."
        if others
        else f"One scenario, <b>{html.escape(base)}</b>, {reps} replication{'s' if reps != 1 else ''}."
    )
    parts.append(
        f"<p class='lede'>{lede} Sections: what was run, headline impacts, a chart of impacts, "
        "day-by-day charts, the model beside published figures, and how precise the numbers are."
        "</p>"
    )
    parts.append(_what_was_run(full, base, scenarios, warmup, daily, reference_daily, label))
    parts.append(_headline_section(table, short_base, impacts, heads, level))
    parts.append('<section id="impacts"><h2>Impacts at a glance</h2>')
    if impacts.empty:
        parts.append(_note("Only one scenario was run, so there are no impacts to chart."))
    else:
        parts.append(
            figure_html(
                wf.impact_chart(impacts, level),
                "fig-impacts",
                "Chart of each scenario's impact with intervals",
                "Each dot is a scenario's average difference from the base; the bar is its "
                f"{100 * level:g} % interval. Green: a clear improvement; red: a clear deterioration; grey: "
                "the interval includes no change. Read each panel on its own scale.",
            )
        )
    parts.append("</section>")
    parts.append(_daily_section(table, shown, modelled, missing))
    parts.append(_published_section(table, short_base, published, level, missing))
    parts.append(_precision_section(table[table["scenario"].isin(shown)], heads, level))
    parts.append(_sets_section(full, scenarios, label))
    parts.append(_notes_section(scenarios, reps, seeds))
    parts.append("</body></html>\n")
    return Report(html="".join(parts), missing=missing)
