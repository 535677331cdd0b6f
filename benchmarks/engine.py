"""Engine benchmark: simcare against the reference engines on the reference network (issue 15).

Reference network: Poisson arrivals 10/h -> triage (2 servers, exponential mean 5 min) -> minors
with probability 0.3 (3 servers, mean 30 min), else majors (8 servers, mean 45 min) -> out;
100,000 simulated hours (about a million patients), starting empty.

Measured in this one run (the machine is shared and noisy: compare ratios, not absolutes), in
patients per second (patients who left before the horizon / simulation seconds):

- the reference engines of ``../shared/bench/engines`` (``--bench-dir`` or
  ``SIMCARE_BENCH_DIR``): the hand-written C loop, the bespoke numba loop and idiomatic SimPy,
  each run in its own process, which reports its own simulation time. An engine whose folder,
  compiler or package is missing is skipped with a message;
- simcare's kernel alone, ``run(model, draws=d, check=False)`` with the draws made beforehand,
  and the whole ``run(model, seed)`` call as a user makes it (drawing, kernel, result,
  conservation check), best of ``--repeats`` after a warm-up call;
- simcare's SimPy twin on a shorter horizon (``--twin-hours``; patients per second do not
  depend on the horizon);
- the first call in a fresh process (interpreter start, import, a one-week network) with an
  empty numba cache (``NUMBA_CACHE_DIR`` a new temporary folder: the kernel compiles) and with
  the cache warm; ``--no-cold`` skips the cold one (about 15 s).

It also checks that simcare's reference network is the reference engines' (arrival rate,
routing, servers, service means, read from the reference folder's ``common.py``).

Usage: python benchmarks/engine.py [--hours 100000] [--twin-hours 5000] [--simpy-hours 10000]
       [--repeats 3] [--bench-dir DIR] [--no-cold]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from simcare.engine import run
from simcare.examples import reference_network
from simcare.model import enums as E
from simcare.model.compiled import CompiledModel
from simcare.sampling.distributions import DISTRIBUTIONS
from simcare.sampling.draws import draw

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BENCH_DIR = ROOT.parent / "shared" / "bench"

# issue 15, "Done when"
TARGET_RUN_VS_C = 0.6
TARGET_KERNEL_VS_C = 0.8
TARGET_VS_SIMPY = 100.0
TARGET_COLD_SECONDS = 15.0
TARGET_WARM_SECONDS = 1.0

FRESH_PROCESS = """
import time
t0 = time.perf_counter()
from simcare.examples import reference_network
from simcare.engine import run
result = run(reference_network(hours=168), seed=1)
print(time.perf_counter() - t0)
"""


@dataclass(frozen=True)
class Measured:
    """One engine's figure: ``patients`` who left in ``seconds`` of simulation."""

    name: str
    hours: float
    patients: int
    seconds: float

    @property
    def rate(self) -> float:
        """Patients per second."""
        return self.patients / self.seconds


def bench_dir(given: str | None) -> Path:
    """The reference folder: ``--bench-dir``, else ``SIMCARE_BENCH_DIR``, else ../shared/bench."""
    return Path(given or os.environ.get("SIMCARE_BENCH_DIR") or DEFAULT_BENCH_DIR)


def load_common(folder: Path) -> ModuleType | None:
    """The reference folder's ``common.py`` as a module, or None if it is not there or does not
    load (said on stdout)."""
    path = folder / "common.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("simcare_bench_common", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a broken reference folder skips the references, never the run
        print(f"{path} does not load ({type(exc).__name__}: {exc})")
        return None
    return module


def network_differences(model: CompiledModel, common: ModuleType) -> list[str]:
    """How simcare's compiled reference network differs from the workload in ``common``
    (constant-rate variant): empty if it is the same network."""
    problems = []
    names = ("triage", "minors", "majors")
    if tuple(model.service_names) != names:
        return [f"services {model.service_names}, expected {names}"]
    if tuple(int(c) for c in model.capacity0) != tuple(common.C):
        problems.append(f"servers {tuple(model.capacity0)}, reference {tuple(common.C)}")
    exponential = DISTRIBUTIONS["exponential"].code
    if not np.all(model.service_dist == exponential):
        problems.append("service times are not all exponential")
    means = tuple(float(m) for m in model.service_par[:, 0, 0])
    if not np.allclose(means, common.MEAN):
        problems.append(f"service means {means} min, reference {tuple(common.MEAN)}")
    rate = model.stream_rate
    if rate.shape[0] != 1 or not np.allclose(rate, common.LAM * 60.0) or model.stream_service[0] != 0:
        problems.append(f"arrivals not one Poisson stream of {common.LAM * 60.0}/h into triage")
    served = E.ROUTE_SERVED

    def routes(s: int) -> list[tuple[int, float]]:
        i0, i1 = model.route_start[served, s, 0], model.route_stop[served, s, 0]
        return [(int(model.route_dest[i]), float(model.route_cum[i])) for i in range(i0, i1)]

    triage = routes(0)
    if [d for d, _ in triage] != [1, 2] or not np.allclose([c for _, c in triage], [common.P_MINOR, 1.0]):
        problems.append(f"triage routes {triage}, reference minors {common.P_MINOR} else majors")
    for s in (1, 2):
        if any(d >= 0 for d, _ in routes(s)):
            problems.append(f"{names[s]} does not lead out: {routes(s)}")
    if model.blocks.any() or len(model.esc_names) or len(model.cap_time) or (model.patience_dist != 0).any():
        problems.append("has blocking, escalation, capacity changes or patience")
    return problems


def reference_engine(folder: Path, script: str, hours: float, extra: list[str]) -> dict[str, object] | str:
    """Run one reference engine in its own process: its JSON record, or why it was skipped."""
    path = folder / "engines" / script
    if not path.is_file():
        return f"{path} not found"
    if script == "eng_c.py" and shutil.which("gcc") is None:
        return "no gcc on PATH"
    command = [sys.executable, str(path), "--hours", repr(hours), "--seed", "1", *extra]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return "timed out after 900 s"
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no message"])[-1]
        return f"failed ({last})"
    try:
        record: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return "printed no JSON record"
    return record


def time_simcare(hours: float, repeats: int) -> tuple[Measured, Measured, float]:
    """(kernel alone, whole run call, seconds to draw) on the reference network, best of
    ``repeats`` each, after a warm-up call."""
    model = reference_network(hours=hours)
    run(reference_network(hours=24), seed=1)  # loads (or compiles) the kernel
    t0 = time.perf_counter()
    draws = draw(model, seed=1)
    draw_seconds = time.perf_counter() - t0
    kernel = whole = float("inf")
    exited_k = exited_w = 0
    for _ in range(repeats):  # interleaved: a burst of other load hits both
        t0 = time.perf_counter()
        result = run(model, draws=draws, check=False)
        kernel = min(kernel, time.perf_counter() - t0)
        exited_k = result.exited
        t0 = time.perf_counter()
        result = run(model, seed=1)
        whole = min(whole, time.perf_counter() - t0)
        exited_w = result.exited
    return (
        Measured("simcare kernel alone, run(model, draws=d, check=False)", hours, exited_k, kernel),
        Measured("simcare run(model, seed), as a user calls it", hours, exited_w, whole),
        draw_seconds,
    )


def time_twin(hours: float) -> Measured:
    """simcare's SimPy twin on the reference network, draws made beforehand."""
    model = reference_network(hours=hours)
    draws = draw(model, seed=1)
    t0 = time.perf_counter()
    result = run(model, draws=draws, engine="simpy", check=False)
    return Measured("simcare's SimPy twin", hours, result.exited, time.perf_counter() - t0)


def fresh_process(cache_dir: str | None) -> tuple[float, float]:
    """(wall seconds of a fresh process making a first call, seconds from its import to the
    result); ``cache_dir``: NUMBA_CACHE_DIR for it (None: the usual cache, warmed first)."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    else:
        subprocess.run([sys.executable, "-c", FRESH_PROCESS], check=True, capture_output=True, env=env)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS], check=True, capture_output=True, text=True, env=env
    )
    return time.perf_counter() - t0, float(out.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hours", type=float, default=100_000, help="simulated hours (default 100,000)")
    parser.add_argument("--twin-hours", type=float, default=5_000, help="hours for simcare's twin")
    parser.add_argument("--simpy-hours", type=float, default=10_000, help="hours for idiomatic SimPy")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls of simcare, best counts")
    parser.add_argument("--bench-dir", default=None, help="reference folder (default ../shared/bench)")
    parser.add_argument("--no-cold", action="store_true", help="skip the empty-cache first call")
    args = parser.parse_args(argv)

    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    folder = bench_dir(args.bench_dir)
    common = load_common(folder)
    model = reference_network(hours=args.hours)
    if common is None:
        print(f"reference folder {folder} has no common.py: reference engines skipped")
    else:
        problems = network_differences(model, common)
        print(
            "simcare's reference network matches the reference engines' (arrival rate, routing, "
            "servers, service means)"
            if not problems
            else "simcare's reference network DIFFERS from the reference: " + "; ".join(problems)
        )

    refs: dict[str, Measured] = {}
    if common is not None:
        for key, script, label, hours, extra in (
            ("c", "eng_c.py", "hand-written C loop (eng_c.py)", args.hours, []),
            ("numba", "eng_numba.py", "bespoke numba loop (eng_numba.py)", args.hours, ["--reps", "3"]),
            ("simpy", "eng_simpy.py", "idiomatic SimPy (eng_simpy.py)", args.simpy_hours, []),
        ):
            record = reference_engine(folder, script, hours, extra)
            if isinstance(record, str):
                print(f"{label}: skipped, {record}")
                continue
            refs[key] = Measured(label, hours, int(str(record["n_exited"])), float(str(record["sim_wall_s"])))

    kernel, whole, draw_seconds = time_simcare(args.hours, args.repeats)
    twin = time_twin(args.twin_hours)
    rows = [refs[k] for k in ("c", "numba") if k in refs] + [kernel, whole]
    rows += [refs["simpy"]] if "simpy" in refs else []
    rows.append(twin)

    print()
    header = f"{'engine':<56} {'hours':>8} {'patients':>10} {'seconds':>8} {'patients/s':>11}"
    for key, short in (("c", "vs C"), ("numba", "vs numba"), ("simpy", "vs SimPy")):
        if key in refs:
            header += f" {short:>9}"
    print(header)
    for m in rows:
        line = f"{m.name:<56} {m.hours:>8.0f} {m.patients:>10,} {m.seconds:>8.3f} {m.rate:>11,.0f}"
        for key in ("c", "numba", "simpy"):
            if key in refs:
                line += f" {m.rate / refs[key].rate:>9.3g}"
        print(line)
    print(f"(drawing the arrivals and services of {args.hours:,.0f} hours took {draw_seconds:.3f} s)")

    print()
    if "c" in refs:
        r_k, r_w = kernel.rate / refs["c"].rate, whole.rate / refs["c"].rate
        print(f"kernel vs C {r_k:.2f} (target >= {TARGET_KERNEL_VS_C}: {verdict(r_k >= TARGET_KERNEL_VS_C)})")
        print(f"run()  vs C {r_w:.2f} (target >= {TARGET_RUN_VS_C}: {verdict(r_w >= TARGET_RUN_VS_C)})")
    if "simpy" in refs:
        s_k, s_w = kernel.rate / refs["simpy"].rate, whole.rate / refs["simpy"].rate
        print(
            f"kernel vs idiomatic SimPy {s_k:.0f}x, run() {s_w:.0f}x (target >= {TARGET_VS_SIMPY:.0f}x: "
            f"{verdict(min(s_k, s_w) >= TARGET_VS_SIMPY)})"
        )
    if not args.no_cold:
        with tempfile.TemporaryDirectory(prefix="simcare-numba-cold-") as empty:
            wall, inside = fresh_process(empty)
        print(
            f"first call, fresh process, empty numba cache: {wall:.2f} s wall ({inside:.2f} s from import "
            f"to result; target < {TARGET_COLD_SECONDS:.0f} s: {verdict(wall < TARGET_COLD_SECONDS)})"
        )
    wall, inside = fresh_process(None)
    print(
        f"first call, fresh process, warm numba cache:  {wall:.2f} s wall ({inside:.2f} s from import "
        f"to result; target < {TARGET_WARM_SECONDS:.0f} s: {verdict(wall < TARGET_WARM_SECONDS)})"
    )
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
