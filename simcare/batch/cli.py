"""``simcare batch PLAN --out STORE [--workers N | --scheduler ADDRESS]`` and
``simcare batch --status STORE`` and ``simcare batch --verify STORE``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from simcare.errors import SimcareError

__all__ = ["add_batch_parser"]


def _batch(args: argparse.Namespace) -> int:
    from simcare.batch.store import Store

    if args.verify is not None:
        if args.plan is not None or args.status is not None:
            raise SimcareError("give either a PLAN to run, --status STORE or --verify STORE, not two")
        return _verify(Store.read(args.verify))
    if args.status is not None:
        if args.plan is not None:
            raise SimcareError("give either a PLAN to run or --status STORE, not both")
        print(Store.read(args.status).status().text(max_errors=20))
        return 0
    if args.plan is None or args.out is None:
        raise SimcareError("batch needs a PLAN file and --out STORE (or --status STORE)")
    from simcare.batch.backends import make_backend
    from simcare.batch.plan import load_plan
    from simcare.batch.runner import run_batch

    if args.scheduler not in (None, "local") and args.workers is not None:
        raise SimcareError(
            "--workers is for local runs: with --scheduler ADDRESS the cluster's workers are used"
        )
    plan = load_plan(args.plan)
    text = Path(args.plan).read_text(encoding="utf-8")
    n_tasks = sum(v.replications for v in plan.variants)
    backend = make_backend(workers=args.workers, scheduler=args.scheduler)
    print(
        f"batch {plan.name!r}: {len(plan.variants)} variant{'s' * (len(plan.variants) != 1)}, "
        f"{n_tasks} task{'s' * (n_tasks != 1)} on {backend!r} -> {args.out}"
    )
    try:
        outcome = run_batch(
            plan,
            args.out,
            backend,
            retry_failed=args.retry_failed,
            progress=not args.no_progress,
            plan_text=text,
        )
    except KeyboardInterrupt:
        print(f"interrupted: finished results are kept in {args.out}; run the same command again to resume")
        return 130
    finally:
        backend.close()
    print(
        f"ran {outcome.ran} task(s) in {outcome.seconds:,.1f} s ({outcome.failed} failed); "
        f"{outcome.skipped} already in the store"
    )
    print(outcome.status.text())
    return 1 if outcome.status.failed else 0


def _verify(store: Any) -> int:
    """Print every task's state (``KEY  STATE  detail``) and a count by state; 1 if any result
    is missing, corrupt, duplicate or failed."""
    from simcare.batch.store import BAD, STATES

    checks = store.verify(deep=True)
    for check in checks:
        print(f"{check.key}  {check.state}" + (f"  {check.detail}" if check.detail else ""))
    counts = {state: sum(c.state == state for c in checks) for state in STATES}
    summary = ", ".join(f"{n} {state}" for state, n in counts.items() if n or state == "ok")
    print(f"{store.path}: {len(checks)} tasks: {summary}")
    damaged = sum(counts[state] for state in BAD)
    if damaged:
        print(
            "  run the plan again into this store (simcare batch PLAN --out STORE) "
            "to run the damaged results again"
        )
    if counts["failed"]:
        print("  add --retry-failed to run the failed tasks again")
    return 1 if damaged or counts["failed"] else 0


def add_batch_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``batch`` on the subparsers of ``simcare``'s parser."""
    ba = sub.add_parser(
        "batch",
        help="run a batch plan (scenario variants x replications) into a result store; "
        "resumes an interrupted one",
        description="Run every task of PLAN not yet in STORE. Run the same command again after an "
        "interruption to finish it. Exit status 1 if any task failed.",
    )
    ba.add_argument("plan", nargs="?", metavar="PLAN", help="batch plan file (YAML; docs/batch.md)")
    ba.add_argument("--out", metavar="STORE", help="result store directory (created if missing)")
    ba.add_argument(
        "--workers", type=int, default=None, metavar="N", help="local worker processes (default 1: run here)"
    )
    ba.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address (tcp://host:8786), or 'local' for a Dask "
        "LocalCluster of --workers processes",
    )
    ba.add_argument(
        "--retry-failed", action="store_true", help="run again the tasks that failed in an earlier run"
    )
    ba.add_argument("--no-progress", action="store_true", help="no progress bar")
    ba.add_argument("--status", metavar="STORE", help="summarise a store and exit")
    ba.add_argument(
        "--verify",
        metavar="STORE",
        help="check every result file of a store against its manifest and print each task's "
        "state (ok, missing, corrupt, duplicate, failed, not run); exit status 1 if any is wrong",
    )
    ba.set_defaults(func=_batch)
    return ba
