"""``simcare batch PLAN --out STORE [--workers N | --scheduler ADDRESS] [--yes]``,
``simcare batch --status STORE`` and ``simcare batch --verify STORE``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from simcare.errors import SimcareError

__all__ = ["add_batch_parser", "confirm_size"]


def confirm_size(size: Any, yes: bool, plan: str, threshold: int | None = None) -> None:
    """Say how many tasks the plan makes; above ``threshold`` (default
    :data:`simcare.batch.plan.CONFIRM_TASKS`) go on only with ``yes``, or when a person at a
    terminal answers y; otherwise SimcareError telling how to confirm."""
    from simcare.batch.plan import CONFIRM_TASKS

    limit = CONFIRM_TASKS if threshold is None else threshold
    s = "s" * (size.variants != 1)
    print(f"{plan}: {size.variants:,} variant{s}, {size.tasks:,} task{'s' * (size.tasks != 1)}")
    if size.tasks <= limit or yes:
        return
    ask = f"{size.tasks:,} tasks is more than {limit:,}"
    if sys.stdin is not None and sys.stdin.isatty() and sys.stdout.isatty():
        answer = input(f"{ask}: run them all? [y/N] ").strip().lower()
        if answer in ("y", "yes"):
            return
        raise SimcareError(f"{plan}: not run (answer y, or pass --yes, to run {size.tasks:,} tasks)")
    raise SimcareError(f"{plan}: {ask}: pass --yes to run them (simcare batch {plan} ... --yes)")


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
    plan = load_plan(
        args.plan,
        allow_outside=args.allow_outside,
        confirm=lambda size: confirm_size(size, args.yes, args.plan),
    )
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
    ba.add_argument(
        "--yes",
        action="store_true",
        help="run a plan of more than 10,000 tasks without asking (docs/batch.md, 'Limits')",
    )
    ba.add_argument(
        "--allow-outside",
        action="store_true",
        help="read scenario files outside the plan's project root (docs/scenarios.md)",
    )
    ba.set_defaults(func=_batch)
    return ba
