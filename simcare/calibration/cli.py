"""The ``simcare calibrate`` subcommand (registered by :func:`add_calibrate_parser`)."""

from __future__ import annotations

import argparse
import os
import sys


def _calibrate(args: argparse.Namespace) -> int:
    from simcare.batch.backends import make_backend
    from simcare.calibration.fit import calibrate
    from simcare.calibration.spec import load_spec

    spec = load_spec(
        args.spec, fit_until=args.fit_until, check_until=args.check_until, fit_from=args.fit_from
    )

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    workers = args.workers or len(os.sched_getaffinity(0))
    backend = make_backend(workers=workers, scheduler=args.scheduler)
    try:
        outcome = calibrate(spec, backend, progress)
    finally:
        backend.close()
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
    return 0


def add_calibrate_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``simcare calibrate SPEC [--fit-until YYYY-MM --check-until YYYY-MM] [--workers N]``."""
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
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: all CPUs)")
    p.add_argument(
        "--scheduler", default=None, help="run on Dask: 'local' or a scheduler address (see simcare batch)"
    )
    p.set_defaults(func=_calibrate)
