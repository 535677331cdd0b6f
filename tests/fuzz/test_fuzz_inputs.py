"""Property-based fuzzing of what a user hands simcare: shipped scenarios, a batch plan and the
published data files, mutated one change at a time (issue 16).

For every case the rule is the issue's: a clear ``simcare`` error (exit code 2, one message, no
traceback) or a valid run, within 2 GiB of resident memory and 30 s (``fuzz_harness``). Three
stronger checks:

* a mutation the documentation calls invalid (a non-finite or 64-bit-overflowing number, digits
  that are not ASCII, a control character in a name, a hostile YAML tag, an alias bomb, a 5 MB
  name, ``extends`` outside the folder) must be refused by ``simcare validate``;
* what ``validate`` accepts, ``run`` must run: ``validate`` catches everything ``run`` would;
* nothing from a file outside the folder is echoed in an error.

The budget is fixed (``derandomize``: CI runs the same cases every time). ``SIMCARE_FUZZ_EXAMPLES``
raises it for a longer local hunt, e.g. ``SIMCARE_FUZZ_EXAMPLES=2000 make fuzz``.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from fuzz_harness import Outcome, assert_handled, run_case, run_cli
from fuzz_mutations import Mutation, document_mutations, text_mutations
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from simcare.calibration import published
from simcare.errors import SimcareError
from simcare.scenario import load_scenario_data

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the harness forks and reads /proc"),
]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("SIMCARE_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    derandomize=EXAMPLES == 0,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
    database=None,
    # no shrinking: each step forks and runs simcare, and the failure message names the mutation
    phases=[Phase.explicit, Phase.generate],
)


def fuzz(examples: int) -> settings:
    """The fixed CI budget of one fuzz test, or SIMCARE_FUZZ_EXAMPLES if set."""
    return settings(FUZZ, max_examples=EXAMPLES or examples)


# Shipped scenarios, merged (``extends`` resolved) and shortened to one week after one week of
# warm-up, so that a valid case runs in a few seconds.
SHIPPED = ["baseline_winter", "flu_surge", "digital_first", "discharge_capacity"]


def _short(name: str) -> dict[str, Any]:
    doc = load_scenario_data(ROOT / "scenarios" / "bnssg" / f"{name}.yaml")
    doc["run"].update(start=dt.date(2026, 1, 5), end=dt.date(2026, 1, 11), warm_up="1w", replications=1)
    return doc


BASES = {name: _short(name) for name in SHIPPED}


def _dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10_000)


def _check_scenario(mutation: Mutation, folder: Path) -> None:
    path = folder / "mutated.yaml"
    path.write_text(mutation.text, encoding="utf-8", errors="surrogateescape")
    checked = run_cli(["validate", path])
    assert_handled(checked, f"validate after {mutation.what}")
    if mutation.never_echo:
        assert mutation.never_echo not in checked.stderr, f"{mutation.what}: file contents echoed"
    if mutation.must_refuse:
        assert checked.kind == "refused", f"{mutation.what} was accepted: {checked.describe()}"
    if checked.kind == "ok":
        ran = run_cli(["run", path, "--reps", "1", "--workers", "1", "--quiet"])
        assert ran.kind == "ok", f"validate accepted {mutation.what} but run said: {ran.describe()}"


@fuzz(45)
@given(data=st.data(), base=st.sampled_from(SHIPPED))
def test_mutated_scenario_fields(
    data: st.DataObject, base: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    mutation = data.draw(document_mutations(BASES[base]), label="mutation")
    _check_scenario(mutation, tmp_path_factory.mktemp("scenario"))


@fuzz(25)
@given(data=st.data(), base=st.sampled_from(SHIPPED[:2]))
def test_mutated_scenario_text(
    data: st.DataObject, base: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    mutation = data.draw(text_mutations(_dump(BASES[base]), "/etc/passwd"), label="mutation")
    _check_scenario(mutation, tmp_path_factory.mktemp("scenario"))


# --- batch plans ---------------------------------------------------------------------------------

PLAN: dict[str, Any] = {
    "name": "fuzz",
    "seed": 5,
    "replications": 1,
    "scenarios": ["short.yaml"],
    "grid": {"levers.acute_capacity.cubicles.bri": [0, 6]},
    "sample": {
        "n": 2,
        "seed": 3,
        "parameters": {"levers.discharge_capacity.d2a_capacity.bristol.P1": [0, 10]},
    },
}
PLAN_FIELDS = [
    ("replications", [0, -1, 10**9, 2**70, 1.5, "two"]),
    (
        "grid",
        [
            {"levers.acute_capacity.cubicles.bri": list(range(10_000))},
            {"x.y": [1]},
            {"levers.acute_capacity.cubicles.bri": []},
        ],
    ),
    ("sample", [{"n": 10**9, "seed": 1, "parameters": {}}, {"n": 1e9}, {"n": -3}]),
    ("scenarios", [["/etc/passwd"], ["../../../../etc/passwd"], ["missing.yaml"], [], "short.yaml"]),
    ("seed", [-1, 2**70, "x"]),
]


def _plan_folder(tmp: Path) -> Path:
    short = load_scenario_data(ROOT / "tests" / "batch" / "data" / "short.yaml")
    short["run"].update(end=dt.date(2025, 12, 28))
    (tmp / "short.yaml").write_text(_dump(short), encoding="utf-8")
    return tmp


@fuzz(12)
@given(field=st.sampled_from(PLAN_FIELDS), data=st.data())
def test_mutated_plans(
    field: tuple[str, list[Any]], data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    name, values = field
    plan = copy.deepcopy(PLAN)
    plan[name] = data.draw(st.sampled_from(values), label=name)
    folder = _plan_folder(tmp_path_factory.mktemp("plan"))
    path = folder / "plan.yaml"
    path.write_text(_dump(plan), encoding="utf-8")
    outcome = run_cli(["batch", path, "--out", folder / "store", "--workers", "1", "--no-progress"])
    assert_handled(outcome, f"plan {name}={plan[name]!r:.60}")
    assert "root:x:0:0" not in outcome.stderr


# --- published data files ------------------------------------------------------------------------

DATA = ROOT / "calibration" / "data"
READERS = {
    "ae_attendances_2016_2019_bnssg.csv": [published.ae_attendances_2016_2019],
    "england_trust_accidents_emergency_bnssg.csv": [published.trust_ae_monthly],
    "england_icb_accidents_emergency_bnssg.csv": [published.icb_ae_monthly],
    "england_ae_acute_trust_attribution_bnssg.csv": [published.ae_attribution],
    "ae_provider_may2022_bnssg.csv": [published.ae_provider_may2022],
    "england_critical_general_acute_beds_bnssg.csv": [published.ga_beds_monthly],
    "kh03_beds_q4_2021_22_bnssg.csv": [published.kh03_beds_q4_2021_22],
    "england_trust_criteria_to_reside_bnssg.csv": [published.trust_nctr_daily],
    "england_icb_criteria_to_reside_bnssg.csv": [published.icb_nctr_daily],
    "england_trust_discharged_patients_bnssg.csv": [published.trust_discharges_daily],
    "england_icb_discharged_patients_bnssg.csv": [published.icb_discharges_daily],
}
DATA_MUTATIONS = ["header_only", "empty", "drop_column", "inf", "huge", "negative", "blank", "text", "binary"]
MUST_REFUSE = {"header_only", "empty", "binary"}  # whatever the reader reads
MUST_REFUSE_IF_READ = {"drop_column", "inf", "huge", "negative"}  # when the column is one it reads


@functools.cache
def _columns_read(name: str) -> frozenset[str]:
    """The columns of data file ``name`` that its reader uses: those whose removal changes what
    the reader returns (or makes it refuse the file)."""
    reader = READERS[name][0]
    whole = reader(DATA)
    used = set()
    with tempfile.TemporaryDirectory() as tmp:
        for csv in DATA.glob("*.csv"):
            shutil.copy(csv, Path(tmp) / csv.name)
        frame = pd.read_csv(DATA / name, dtype=str, keep_default_na=False)
        for column in frame.columns:
            frame.drop(columns=[column]).to_csv(Path(tmp) / name, index=False)
            try:
                if not reader(Path(tmp)).equals(whole):
                    used.add(column)
            except SimcareError:
                used.add(column)
    return frozenset(used)


def _numeric_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]


def _mutate_csv(path: Path, kind: str, pick: int) -> tuple[str, str]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    numeric = _numeric_columns(pd.read_csv(path)) or list(frame.columns)
    column = numeric[pick % len(numeric)]
    row = pick % max(len(frame), 1)
    if kind == "header_only":
        path.write_text(",".join(frame.columns) + "\n", encoding="utf-8")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "drop_column":
        frame.drop(columns=[column]).to_csv(path, index=False)
    elif kind == "binary":
        path.write_bytes(b"\x00\xff\xfe\x00" * 64)
    else:
        frame.loc[row, column] = {
            "inf": "inf",
            "huge": "1e300",
            "negative": "-5",
            "blank": "",
            "text": "n/a",
        }[kind]
        frame.to_csv(path, index=False)
    return f"{kind} in {path.name} ({column}, row {row})", column


@fuzz(40)
@given(
    name=st.sampled_from(sorted(READERS)), kind=st.sampled_from(DATA_MUTATIONS), pick=st.integers(0, 10_000)
)
def test_mutated_data_files(
    name: str, kind: str, pick: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("data")
    for csv in DATA.glob("*.csv"):
        shutil.copy(csv, folder / csv.name)
    what, column = _mutate_csv(folder / name, kind, pick)
    must_refuse = kind in MUST_REFUSE or (kind in MUST_REFUSE_IF_READ and column in _columns_read(name))
    for reader in READERS[name]:

        def read(reader: Any = reader) -> int:
            try:
                reader(folder)
            except SimcareError as exc:
                print(f"simcare: error: {exc}", file=sys.stderr)
                return 2
            return 0

        outcome: Outcome = run_case(read)
        assert_handled(outcome, f"{reader.__name__} after {what}")
        if must_refuse:
            assert outcome.kind == "refused", f"{reader.__name__} accepted {what}"
