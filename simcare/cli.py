"""Command-line interface: the ``simcare`` command and its subcommands (``DESCRIPTION``).

Kept thin: it parses arguments, calls the library and prints. Errors the user can fix are
printed as one clear line (exit status 2), never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from simcare._version import __version__
from simcare.calibration.cli import add_calibrate_parser
from simcare.errors import SimcareError
from simcare.files import atomic_write_text

if TYPE_CHECKING:
    from simcare.kpi.mid import Mid
    from simcare.pipeline import RunSet


def _example(args: argparse.Namespace) -> int:
    from simcare.engine import run
    from simcare.examples import reference_network
    from simcare.summary import service_summary

    hours = args.weeks * 168.0
    model = reference_network(hours=hours, sinusoidal=True)
    print(
        f"simcare {__version__}: example ED network, {args.weeks} weeks, seed {args.seed}, "
        f"{args.engine} engine"
    )
    print("  walk-ins 10/h on average (peaking mid-afternoon) -> triage (2 clinicians, ~5 min)")
    print("  -> minors 30% (3 cubicles, ~30 min) or majors 70% (8 cubicles, ~45 min) -> home\n")
    started = time.perf_counter()
    result = run(model, seed=args.seed, engine=args.engine)
    elapsed = time.perf_counter() - started
    table = service_summary(result, warmup_hours=args.warmup_hours)
    with pd.option_context("display.float_format", "{:,.1f}".format, "display.width", 120):
        print(table.to_string())
    print(
        f"\n{result.arrived:,} patients, {result.events:,} events in {elapsed:.2f} s "
        f"(including compilation or cache loading); conservation checked: "
        f"{result.inside} still inside at the end."
    )
    if args.plot:
        from simcare.report.figures import daily_profile_figure

        fig = daily_profile_figure(result, warmup_hours=int(args.warmup_hours))
        fig.savefig(args.plot, dpi=110)
        print(f"figure written to {args.plot}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from simcare.pipeline import check
    from simcare.scenario import ScenarioError

    invalid = 0
    for file in args.files:
        try:
            check(file, allow_outside=args.allow_outside)  # everything run checks before it simulates
        except ScenarioError as exc:
            invalid += 1
            print(exc)
        else:
            print(f"{file}: ok")
    return 1 if invalid else 0


def _schema(args: argparse.Namespace) -> int:
    from simcare.scenario import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return 0
    target = Path(args.out)
    if not target.parent.is_dir():  # atomic_write would create it: a mistyped path is an error
        raise SimcareError(f"cannot write {args.out}: no directory {target.parent}")
    try:
        atomic_write_text(target, text)
    except OSError as exc:
        raise SimcareError(f"cannot write {args.out}: {exc.strerror}") from None
    print(f"JSON Schema written to {args.out}", file=sys.stderr)
    return 0


def _run(args: argparse.Namespace) -> int:
    from simcare.report.build import (
        advice_text,
        interval_summary,
        scenario_summary,
        sets_text,
        spread_text,
        write_run_set,
    )
    from simcare.report.files import check_out_dir, write_csv

    if args.out and not str(args.out).endswith(".csv"):
        check_out_dir(args.out)
    _check_advice(args)
    rs = _run_files(args, [args.file])
    info = rs.scenarios[0]
    print(
        f"{info.name}: {info.start} to {info.end} (warm-up {info.warm_up_days} days), {rs.replications} "
        f"replication{'s' if rs.replications != 1 else ''}, seed {rs.seed}, {rs.engine} engine, "
        f"{rs.seconds:.1f} s"
    )
    drawn = sets_text(rs)
    if drawn:
        print(drawn)
    print(scenario_summary(info, rs.table))
    if rs.replications > 1:
        print(interval_summary(rs.table, args.level))
    writes_report = bool(args.out) and not str(args.out).endswith(".csv")
    spread = "" if writes_report else spread_text(rs.table, rs.scenarios)  # else: in the report's text
    if spread:
        print(spread)
    if args.out and str(args.out).endswith(".csv"):
        write_csv(args.out, rs.table)
        print(f"measures written to {args.out}")
    elif args.out:
        outputs = write_run_set(
            rs, args.out, report_path=args.report, level=args.level, pdf_path=args.report_pdf
        )
        if outputs.text:
            print(outputs.text)
        print(f"measures written to {args.out}/measures.parquet and measures.csv.gz, runs to runs.csv")
        print(f"report: {outputs.report}")
        if args.report_pdf:
            print(f"PDF: {args.report_pdf}")
    else:
        print("nothing written: give --out DIR for the tables and a report (--out FILE.csv: the table)")
    if args.advise:
        print(advice_text(rs.table, args.advise, args.half_width, args.level))
    return 0


def _compare(args: argparse.Namespace) -> int:
    from simcare.report.build import advice_text, sets_text, write_run_set
    from simcare.report.files import check_out_dir

    check_out_dir(args.out)
    if args.store:
        if args.parameter_sets:
            raise SimcareError(
                "--parameter-sets is for fresh runs: stored results drew parameter "
                "sets if their batch plan said so (plan key parameter_sets)"
            )
        return _compare_store(args)
    _check_advice(args)
    mids = _mids(args)
    if len(args.scenarios) < 2:
        raise SimcareError(
            "compare needs a base scenario file and at least one other "
            "(or --store STORE and the base scenario's name)"
        )
    rs = _run_files(args, args.scenarios)
    names = [i.name for i in rs.scenarios]
    print(
        f"{len(names)} scenarios ({', '.join(names)}), base {names[0]}, {rs.replications} "
        f"replication{'s' if rs.replications != 1 else ''} each, seed {rs.seed} (common random numbers), "
        f"{rs.engine} engine, {rs.seconds:.1f} s"
    )
    drawn = sets_text(rs)
    if drawn:
        print(drawn)
    outputs = write_run_set(
        rs,
        args.out,
        report_path=args.report,
        level=args.level,
        highlight=args.highlight,
        mids=mids,
        pdf_path=args.report_pdf,
    )
    print(outputs.text)
    if args.advise:
        print(advice_text(rs.table, args.advise, args.half_width, args.level))
    print(
        f"measures written to {args.out}/measures.parquet and measures.csv.gz, differences to "
        f"{args.out}/comparison.csv"
    )
    print(f"report: {outputs.report}")
    if args.report_pdf:
        print(f"PDF: {args.report_pdf}")
    return 0


def _run_files(args: argparse.Namespace, files: Sequence[str]) -> RunSet:
    """:func:`simcare.pipeline.run_files` with the options of ``run`` / ``compare``, on a
    process pool of ``--workers`` (no more than there are runs; in this process for one)."""
    from simcare.analysis.overload import warning_lines
    from simcare.batch.backends import make_backend
    from simcare.pipeline import run_files

    backend = make_backend(workers=min(args.workers, max(1, len(files) * args.reps)))
    try:
        rs = run_files(
            files,
            args.reps,
            backend,
            seed=args.seed,
            engine=args.engine,
            progress=not args.quiet,
            parameter_sets=args.parameter_sets,
            allow_outside=args.allow_outside,
        )
    finally:
        backend.close()
    for line in warning_lines(rs.overloaded()):
        print(line, file=sys.stderr)
    return rs


def _compare_store(args: argparse.Namespace) -> int:
    """``compare --store STORE BASE [OTHER...]``: the comparison and report of stored results
    (scenario names as in the store; all of its scenarios when only the base is named)."""
    from simcare.batch.store import load_runs, load_store
    from simcare.report.build import advice_text, write_outputs

    if args.advise:
        from simcare.report.build import check_advise

        check_advise(args.advise, args.half_width)
    mids = _mids(args)
    if not args.scenarios:
        raise SimcareError("compare --store: name the base scenario (and, if you like, the others)")
    table = load_store(args.store, parameters=True)
    stored = [str(n) for n in pd.unique(table["scenario"])]
    unknown = [n for n in args.scenarios if n not in stored]
    if unknown:
        raise SimcareError(
            f"compare --store {args.store}: no scenario {', '.join(map(repr, unknown))} in "
            f"the store (it holds {', '.join(stored) or 'no finished results'})"
        )
    names = (
        args.scenarios
        if len(args.scenarios) > 1
        else [args.scenarios[0], *(n for n in stored if n != args.scenarios[0])]
    )
    table = table[table["scenario"].isin(names)]
    print(
        f"{len(names)} scenarios from {args.store} ({', '.join(names)}), base {names[0]}, "
        f"{table['replication'].nunique()} replications"
    )
    runs = load_runs(args.store)
    outputs = write_outputs(
        table,
        names[0],
        args.out,
        report_path=args.report,
        level=args.level,
        highlight=args.highlight,
        mids=mids,
        pdf_path=args.report_pdf,
        runs=runs[runs["scenario"].isin(names)].drop(columns="key").reset_index(drop=True),
    )
    print(outputs.text)
    if args.advise:
        print(advice_text(table, args.advise, args.half_width, args.level))
    print(
        f"measures written to {args.out}/measures.parquet and measures.csv.gz, differences to "
        f"{args.out}/comparison.csv"
    )
    print(f"report: {outputs.report}")
    if args.report_pdf:
        print(f"PDF: {args.report_pdf}")
    return 0


def _mids(args: argparse.Namespace) -> dict[str, Mid]:
    """The ``--mid KPI=VALUE`` overrides, checked before anything runs."""
    from simcare.kpi.mid import parse_mids
    from simcare.kpi.registry import REGISTRY

    return parse_mids(args.mid or [], REGISTRY)


def _check_advice(args: argparse.Namespace) -> None:
    """Refuse an impossible precision question before anything runs."""
    from simcare.report.build import check_advise

    if args.advise:
        check_advise(args.advise, args.half_width)
        if args.reps < 2:
            raise SimcareError(
                "--advise needs at least 2 replications (--reps 2 or more) to measure the spread"
            )


ALLOW_OUTSIDE_HELP = (
    "read files outside the project root of the file given (extends, plan scenarios, "
    "calibration paths); by default they are refused (docs/scenarios.md, 'Which files are read')"
)


def add_allow_outside(p: argparse.ArgumentParser) -> None:
    """The ``--allow-outside`` flag of every command that reads scenario files."""
    p.add_argument("--allow-outside", action="store_true", help=ALLOW_OUTSIDE_HELP)


def _add_run_options(p: argparse.ArgumentParser, reps: int, workers: int) -> None:
    add_allow_outside(p)
    p.add_argument("--reps", type=int, default=reps, help=f"replications per scenario (default {reps})")
    p.add_argument(
        "--seed", type=int, default=None, help="master seed for every scenario (default: the first file's)"
    )
    p.add_argument("--engine", choices=("numba", "simpy"), default="numba")
    p.add_argument(
        "--workers",
        type=int,
        default=workers,
        help=f"processes running replications in parallel (default {workers})",
    )
    p.add_argument("--level", type=float, default=0.95, help="confidence level of intervals (default 0.95)")
    p.add_argument(
        "--report", metavar="HTML", help="where to write the HTML report (default DIR/report.html)"
    )
    p.add_argument(
        "--report-pdf",
        metavar="PDF",
        help="also write the report as a PDF here (summary, headline table and figures)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--parameter-sets",
        action="store_true",
        help="draw one of the scenario's plausible parameter sets (its parameter_sets "
        "section) per replication: replication r uses set r mod n, so intervals "
        "include parameter uncertainty (docs/calibration.md)",
    )
    p.add_argument(
        "--advise",
        metavar="KPI[@GROUP],...",
        help="say how many replications give these measures (group ICB by default) the "
        "precision --half-width asks for, e.g. ae_within_4h,nctr@rvj",
    )
    p.add_argument(
        "--half-width",
        default="5%",
        help="precision for --advise: a percentage of the mean ('2%%') or a number in the "
        "measure's unit ('1.5'); default 5%%",
    )


def _census(args: argparse.Namespace) -> int:
    import datetime as dt

    from simcare.analysis.census import census_counts, census_document, census_yaml, write_census
    from simcare.pipeline import compiled
    from simcare.scenario import load_scenario_data, parse_date, parse_duration

    if args.out and Path(args.out).exists() and not args.force:  # before the runs, not after
        raise SimcareError(f"{args.out}: already exists (use --force to overwrite it)")
    try:
        at = parse_date(args.at) if args.at else None
    except ValueError as exc:
        raise SimcareError(f"--at {args.at!r}: {exc}") from None
    try:
        minutes = parse_duration(args.warm_up)
    except ValueError as exc:
        raise SimcareError(f"--warm-up {args.warm_up!r}: {exc}") from None
    if minutes % 1440:
        raise SimcareError(f"--warm-up {args.warm_up!r}: give whole days ('52w', '364d')")
    days = int(minutes // 1440)
    data = load_scenario_data(args.file, allow_outside=args.allow_outside)
    doc = census_document(data, at, days)
    cs, _ = compiled(doc, None, f"{args.file} (census run)")
    reps = args.reps
    started = time.perf_counter()
    counts = census_counts(cs, reps, cs.seed, args.engine)
    seconds = time.perf_counter() - started
    day = cs.timeline.start
    header = (
        f"Census of {cs.name} ({args.file}) at 00:00 on {day}: mean over {reps} replication"
        f"{'s' if reps != 1 else ''} (seed {cs.seed}) of a run from empty from "
        f"{day - dt.timedelta(days=days)} ({days} days), rounded.\n"
        f"Made by: simcare census {args.file} --at {day} --warm-up {days}d --reps {reps} "
        f"(simcare {__version__}).\nPaste under the scenario's run: section (run.census)."
    )
    text = census_yaml(counts, header)
    if args.out:
        write_census(args.out, text, force=args.force)
        print(f"census of {cs.name} at {day} ({reps} replications, {seconds:.1f} s) written to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


DESCRIPTION = """\
Simulate urgent and emergency care demand and capacity for an integrated care system: NHS 111,
999 ambulances, urgent community hubs, same-day emergency care, A&E, acute beds and discharge.
Describe a system and its winter in a scenario file (YAML; docs/scenarios.md), check it with
'validate', run it, and compare interventions against a baseline with intervals and an HTML report."""

EPILOG = """\
examples:
  simcare validate scenarios/bnssg/*.yaml
  simcare new-icb "Hertfordshire and West Essex" --out my_icb
  simcare scenarios bnssg --out my_bnssg     (a copy of a shipped system, from an installed wheel)
  simcare run scenarios/bnssg/baseline_winter.yaml --reps 5 --out results/baseline
  simcare compare scenarios/bnssg/baseline_winter.yaml scenarios/bnssg/combined.yaml --out results/d2a
  simcare batch plan.yaml --out store --workers 2
  simcare app

'simcare COMMAND --help' describes each command. Documentation: README.md and docs/."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simcare",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"simcare {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ex = sub.add_parser("example", help="run the built-in example ED network and print a summary")
    ex.add_argument("--weeks", type=float, default=26.0, help="simulated weeks (default 26)")
    ex.add_argument("--seed", type=int, default=2025, help="master seed (default 2025)")
    ex.add_argument("--engine", choices=("numba", "simpy"), default="numba")
    ex.add_argument(
        "--warmup-hours", type=float, default=24.0, help="hours excluded from the summary (default 24)"
    )
    ex.add_argument("--plot", metavar="PNG", help="also write a figure of the daily profile")
    ex.set_defaults(func=_example)
    va = sub.add_parser(
        "validate",
        help="check scenario files: 'FILE: ok' or every problem (exit status 1 if any file is invalid)",
    )
    va.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    add_allow_outside(va)
    va.set_defaults(func=_validate)
    ru = sub.add_parser("run", help="run a scenario file, print its main outputs, write tables and a report")
    ru.add_argument("file", help="scenario file (YAML)")
    _add_run_options(ru, reps=1, workers=1)
    ru.add_argument(
        "--out",
        metavar="DIR",
        help="write measures.parquet, measures.csv.gz and report.html into this directory "
        "(a path ending .csv writes only the tidy CSV there); without --out nothing is written",
    )
    ru.set_defaults(func=_run)
    co = sub.add_parser(
        "compare",
        help="run a base scenario and others under common random numbers; "
        "print impacts with intervals, write tables and an HTML report",
    )
    co.add_argument(
        "scenarios",
        nargs="*",
        metavar="BASE OTHER",
        help="the base scenario file (YAML), then the files compared with it; with --store, "
        "scenario names in the store",
    )
    co.add_argument(
        "--store",
        metavar="STORE",
        help="compare results stored by 'simcare batch' instead of running scenarios",
    )
    _add_run_options(co, reps=10, workers=2)
    co.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="directory for measures.parquet, measures.csv.gz, comparison.csv and report.html",
    )
    co.add_argument("--highlight", metavar="NAME", help="scenario drawn beside the base in daily charts")
    co.add_argument(
        "--mid",
        action="append",
        metavar="KPI=VALUE",
        help="minimum important difference of a measure for this comparison, in its unit "
        "(ga_occupancy=2) or as a percentage of the base (nctr=10%%); smaller changes read "
        "'no material difference'; repeat for more (defaults: docs/kpis.md)",
    )
    co.set_defaults(func=_compare)
    ce = sub.add_parser(
        "census",
        help="run a scenario from empty up to a date and write its end state as a run.census fragment",
    )
    ce.add_argument("file", metavar="SCENARIO", help="scenario file (YAML)")
    ce.add_argument("--at", metavar="DATE", help="census date, YYYY-MM-DD (default the scenario's run.start)")
    ce.add_argument("--warm-up", default="52w", help="how long to run from empty before DATE (default 52w)")
    ce.add_argument("--reps", type=int, default=4, help="replications averaged (default 4)")
    ce.add_argument("--engine", choices=("numba", "simpy"), default="numba")
    ce.add_argument("--out", metavar="FILE", help="write the YAML fragment here (default: print it)")
    ce.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    add_allow_outside(ce)
    ce.set_defaults(func=_census)
    ni = sub.add_parser(
        "new-icb",
        help="write a baseline winter scenario for any English ICB from the national tables",
    )
    ni.add_argument(
        "icb", nargs="?", metavar="ICB", help="ICB code (E54000025) or name, or a unique part of it"
    )
    ni.add_argument(
        "--out",
        metavar="DIR",
        help="folder for baseline_winter.yaml and the intervention scenarios (with --all: one "
        "folder per ICB and the batch plan all_england.yaml)",
    )
    ni.add_argument("--all", action="store_true", help="write all 42 ICBs and an all-England batch plan")
    ni.add_argument("--list", action="store_true", help="list the ICBs and their acute trusts, write nothing")
    ni.add_argument("--force", action="store_true", help="overwrite files that exist")
    ni.set_defaults(func=_new_icb)
    sh = sub.add_parser(
        "scenarios",
        help="list the shipped systems (BNSSG, HWE), or copy one's scenarios and calibration into a folder",
    )
    sh.add_argument("system", nargs="?", metavar="SYSTEM", help="shipped system to copy (see the list)")
    sh.add_argument(
        "--out",
        metavar="DIR",
        help="folder to copy into: DIR/scenarios/SYSTEM/*.yaml and DIR/calibration/ (spec, fitted "
        "overlay, published data), so `simcare run DIR/scenarios/SYSTEM/baseline_winter.yaml` works",
    )
    sh.add_argument("--force", action="store_true", help="overwrite files that exist")
    sh.set_defaults(func=_scenarios)
    na = sub.add_parser(
        "national",
        help="summarise a store of the all-England plan (new-icb --all): table and ranked charts per measure",
    )
    na.add_argument("store", metavar="STORE", help="result store of `simcare batch all_england.yaml`")
    na.add_argument(
        "--out", metavar="DIR", required=True, help="folder for national.html, the table and charts"
    )
    na.set_defaults(func=_national)
    sc = sub.add_parser("schema", help="write the JSON Schema of scenario files (for editors)")
    sc.add_argument("--out", metavar="PATH", help="write to this file instead of stdout")
    sc.set_defaults(func=_schema)
    from simcare.batch.cli import add_batch_parser

    add_batch_parser(sub)
    add_calibrate_parser(sub)
    _add_app_parser(sub)
    return parser


def _new_icb(args: argparse.Namespace) -> int:
    from simcare.icb.new import listing, new_icb

    if args.list:
        sys.stdout.write(listing())
        return 0
    if not args.out or (args.icb is None) == (not args.all):
        raise SimcareError("simcare new-icb: give one ICB (or --all) and --out DIR; --list shows the ICBs")
    written = new_icb(args.icb, args.out, every=args.all, force=args.force)
    print(f"wrote {len(written)} files into {args.out}, first {written[0]}")
    print(f"next: simcare validate {written[0]}   (docs/new_icb.md)")
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    from simcare.shipped.copy import copy_system, listing

    if args.system is None:
        if args.out:
            raise SimcareError(
                "simcare scenarios: give the SYSTEM to copy into --out (the list: simcare scenarios)"
            )
        sys.stdout.write(listing())
        return 0
    if not args.out:
        raise SimcareError(f"simcare scenarios {args.system}: give --out DIR, the folder to copy it into")
    written = copy_system(args.system, args.out, force=args.force)
    print(f"wrote {len(written)} files into {args.out}")
    for baseline in (p for p in written if p.name == "baseline_winter.yaml"):
        print(f"next: simcare run {baseline} --reps 5 --out results")
    return 0


def _national(args: argparse.Namespace) -> int:
    from simcare.batch.store import load_store
    from simcare.icb.summary import national_summary
    from simcare.report.national import write_national

    table = load_store(args.store)
    summary = national_summary(table)
    written = write_national(summary, args.out, reps=int(table["replication"].nunique()))
    print(f"{summary['icb_code'].nunique()} ICBs summarised; wrote {', '.join(str(p) for p in written[-1:])}")
    return 0


def _app(args: argparse.Namespace) -> int:
    from simcare.app import launch

    return launch(args.host, args.port, browser=not args.no_browser)


def _add_app_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ap = sub.add_parser("app", help="start the web app for UEC leads (Streamlit; docs/app.md)")
    ap.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    ap.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    ap.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    ap.set_defaults(func=_app)


def _print_notes() -> None:
    """Show scenario notes (:class:`simcare.scenario.errors.ScenarioNote`, e.g. a dated event
    outside the run skipped) as ``simcare: note: ...`` lines on stderr; other warnings as usual."""
    from simcare.scenario.errors import ScenarioNote

    shown = warnings.showwarning
    if getattr(shown, "simcare_notes", False):  # already installed (main called again)
        return

    def show(message: Warning | str, category: type[Warning], *rest: Any, **kw: Any) -> None:
        if issubclass(category, ScenarioNote):
            print(f"simcare: note: {message}", file=sys.stderr)
        else:
            shown(message, category, *rest, **kw)

    show.simcare_notes = True  # type: ignore[attr-defined]
    warnings.showwarning = show


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _print_notes()
    try:
        return int(args.func(args))
    except SimcareError as exc:
        print(f"simcare: error: {exc}", file=sys.stderr)
        return 2
