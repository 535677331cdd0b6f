"""The ``simcare calibrate`` subcommand (registered by :func:`add_calibrate_parser`)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any


def _print_rolling(rolling: dict[str, Any]) -> None:
    print(f"rolling-origin check ({', '.join(rolling['origins'])}; {rolling['horizon']} months ahead):")
    print(
        f"  {'target':<34} {'unit':<15} {'MAE cal':>8} {'naive':>8} {'uncal':>8} "
        f"{'skill/n':>8} {'skill/u':>8} {'limit':>7}  result"
    )

    def f(x: float | None) -> str:
        return "–" if x is None else f"{x:.2f}"

    for name, e in rolling["targets"].items():
        m = e["mae"]
        result = {True: "pass", False: "FAIL", None: "–"}[e["pass"]]
        print(
            f"  {name:<34} {e['unit']:<15} {f(m['calibrated']):>8} {f(m['naive']):>8} "
            f"{f(m['uncalibrated']):>8} {f(e['skill_naive']):>8} {f(e['skill_uncalibrated']):>8} "
            f"{f(e['forecast_limit']):>7}  {result}"
        )
    print(f"  time: {rolling['timings_s']['total'] / 60:.1f} min")


def _calibrate(args: argparse.Namespace) -> int:
    from simcare.batch.backends import make_backend
    from simcare.calibration.fit import calibrate, write_outputs
    from simcare.calibration.report import rolling_html
    from simcare.calibration.rolling import rolling_check
    from simcare.calibration.spec import SpecError, load_spec
    from simcare.files import atomic_write_text

    spec = load_spec(
        args.spec,
        fit_until=args.fit_until,
        check_until=args.check_until,
        fit_from=args.fit_from,
        allow_outside=args.allow_outside,
    )
    if args.out_dir:
        out = Path(args.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        spec = dataclasses.replace(
            spec, **{k: out / getattr(spec, k).name for k in ("overlay", "report", "sample", "errors")}
        )
    if (args.rolling or args.rolling_only) and spec.rolling is None:
        raise SpecError(spec.path, "rolling", "missing: --rolling needs a rolling section in the spec")

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    workers = args.workers or len(os.sched_getaffinity(0))
    backend = make_backend(workers=workers, scheduler=args.scheduler)
    try:
        if args.rolling_only:
            rolling = rolling_check(spec, backend, progress)
        else:
            outcome = calibrate(spec, backend, progress, write=False)
            if args.rolling:
                outcome.rolling = rolling_check(spec, backend, progress, targets=outcome.targets)
            write_outputs(outcome)
    finally:
        backend.close()
    if args.rolling_only:
        # reuse the fitted outputs: the errors JSON gains a rolling key; the table goes to its own page
        meta = json.loads(spec.errors.read_text()) if spec.errors.is_file() else {}
        meta["rolling"] = rolling
        atomic_write_text(spec.errors, json.dumps(meta, indent=1))
        page = spec.report.with_name(spec.report.stem + "_rolling.html")
        atomic_write_text(page, rolling_html(rolling, page=True))
        print(f"errors:  {spec.errors} (rolling key)\nreport:  {page}")
        _print_rolling(rolling)
        return 0
    print(
        f"overlay: {spec.overlay}\nsample:  {spec.sample} ({len(outcome.sample)} plausible sets)\n"
        f"errors:  {spec.errors}\nreport:  {spec.report}\n"
        f"time:    {outcome.timings['total'] / 60:.1f} min on {backend.workers} worker(s)"
    )
    for t in outcome.targets:
        e = outcome.errors[t.name]
        parts = []
        for window in ("fit", "check"):
            s = (e.get(window) or {}).get("overlay")
            if s:
                parts.append(
                    f"{window} mean |error| {s['mean_abs_error']:,.1f} ({s['mean_abs_pct_error']:.1f} %)"
                )
        print(f"  {t.name:<34} " + "; ".join(parts))
    if outcome.rolling is not None:
        _print_rolling(outcome.rolling)
    return 0


def add_calibrate_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``simcare calibrate SPEC [--fit-until YYYY-MM --check-until YYYY-MM] [--rolling |
    --rolling-only] [--out-dir DIR] [--workers N]``."""
    p = sub.add_parser(
        "calibrate",
        help="fit a scenario to published monthly data (history matching) and "
        "write the fitted overlay and an HTML fit report",
    )
    p.add_argument("spec", help="calibration specification (YAML), e.g. calibration/bnssg.yaml")
    p.add_argument("--fit-from", metavar="YYYY-MM", help="first month fitted (default: the spec's)")
    p.add_argument("--fit-until", metavar="YYYY-MM", help="last month fitted (default: the spec's)")
    p.add_argument(
        "--check-until",
        metavar="YYYY-MM",
        help="project the months after --fit-until up to this one and report their errors "
        "(out-of-sample check; outputs get a _check_<month> suffix)",
    )
    roll = p.add_mutually_exclusive_group()
    roll.add_argument(
        "--rolling",
        action="store_true",
        help="after the fit, run the rolling-origin forecast check of the spec's rolling section "
        "(refit at each origin; errors JSON key 'rolling', a table in the report)",
    )
    roll.add_argument(
        "--rolling-only",
        action="store_true",
        help="run only the rolling-origin check: adds 'rolling' to the existing errors JSON and "
        "writes <report>_rolling.html",
    )
    p.add_argument(
        "--out-dir", metavar="DIR", help="write the overlay, sample, errors and report here instead"
    )
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: all CPUs)")
    p.add_argument(
        "--allow-outside",
        action="store_true",
        help="let the spec name files outside its project root (docs/scenarios.md)",
    )
    p.add_argument(
        "--scheduler", default=None, help="run on Dask: 'local' or a scheduler address (see simcare batch)"
    )
    p.set_defaults(func=_calibrate)
