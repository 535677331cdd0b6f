"""Plan sizes (issue 16): replications, grid and sample sizes are bounded, the task count is made
before any variant is built, and ``simcare batch`` asks for --yes above CONFIRM_TASKS tasks."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from simcare.batch import plan as plan_module
from simcare.batch.cli import confirm_size
from simcare.batch.plan import MAX_TASKS, PlanError, PlanSize, PlanSpec, load_plan, plan_size
from simcare.cli import main
from simcare.errors import SimcareError

from .conftest import DATA

SHORT = str(DATA / "short.yaml")


@pytest.fixture
def write_plan(tmp_path: Path) -> Callable[..., Path]:
    def _write(doc: dict[str, Any] | str, name: str = "plan.yaml") -> Path:
        path = tmp_path / name
        text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def _problems(path: Path, **kw: Any) -> list[tuple[str, str]]:
    with pytest.raises(PlanError) as err:
        load_plan(path, **kw)
    return err.value.problems


def test_a_billion_replications_is_refused(write_plan: Callable[..., Path]) -> None:
    path = write_plan({"scenarios": [SHORT], "replications": 10**9})
    assert _problems(path) == [("replications", "Input should be less than or equal to 10000")]


def test_a_sample_of_a_billion_points_is_an_error_not_a_traceback(write_plan: Callable[..., Path]) -> None:
    sample = "{n: 1e9, seed: 1, parameters: {calendar.growth: {low: 0, high: 0.1}}}"
    path = write_plan(f"scenarios: [{SHORT}]\nsample: {sample}\n")
    started = time.perf_counter()
    assert _problems(path) == [("sample.n", "Input should be less than or equal to 100000")]
    assert time.perf_counter() - started < 5


def test_a_grid_of_1e8_variants_is_refused_without_building_it(write_plan: Callable[..., Path]) -> None:
    grid = {f"calendar.surges[0].height_{k}": list(range(10)) for k in range(8)}  # 10^8 points
    path = write_plan({"scenarios": [SHORT], "grid": grid})
    started = time.perf_counter()
    [(field, message)] = _problems(path)
    assert time.perf_counter() - started < 5
    assert field == "" and "100,000,000 variants, more than the 100,000 a plan may have" in message


def test_more_than_max_tasks_is_refused_before_any_variant_is_built(
    write_plan: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[object] = []
    monkeypatch.setattr(plan_module, "prepare", lambda *a, **k: built.append(a))
    grid = {"calendar.growth": [i / 1000 for i in range(200)]}  # 200 variants x 10,000 = 2e6 tasks
    path = write_plan({"scenarios": [SHORT], "grid": grid, "replications": 10_000})
    [(field, message)] = _problems(path)
    assert field == "" and f"200 variant(s) make 2,000,000 tasks, more than the {MAX_TASKS:,}" in message
    assert built == []


def test_the_count_uses_each_scenarios_replications_and_grid_values(write_plan: Callable[..., Path]) -> None:
    reps = yaml.safe_load(Path(SHORT).read_text())["run"]["replications"]
    spec = PlanSpec.model_validate({"scenarios": [SHORT, SHORT], "grid": {"calendar.growth": [0.0, 0.01]}})
    assert plan_size(spec) == PlanSize(4, 4 * reps)
    spec = PlanSpec.model_validate({"scenarios": [SHORT], "grid": {"run.replications": [2, 5]}})
    assert plan_size(spec) == PlanSize(2, 7)
    plan = load_plan(write_plan({"scenarios": [SHORT], "grid": {"run.replications": [2, 5]}}))
    assert len(plan.tasks()) == 7


def test_confirm_is_told_the_size_before_the_plan_is_built(write_plan: Callable[..., Path]) -> None:
    seen: list[PlanSize] = []

    def stop(size: PlanSize) -> None:
        seen.append(size)
        raise SimcareError("stop")

    with pytest.raises(SimcareError, match="stop"):
        load_plan(write_plan({"scenarios": [SHORT], "replications": 3}), confirm=stop)
    assert seen == [PlanSize(1, 3)]


def test_confirm_size_needs_yes_above_the_threshold(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    confirm_size(PlanSize(2, 10_000), yes=False, plan="p.yaml")
    assert capsys.readouterr().out == "p.yaml: 2 variants, 10,000 tasks\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    with pytest.raises(SimcareError) as err:
        confirm_size(PlanSize(2, 10_002), yes=False, plan="p.yaml")
    assert "10,002 tasks is more than 10,000: pass --yes" in str(err.value)
    confirm_size(PlanSize(2, 10_002), yes=True, plan="p.yaml")


def test_confirm_size_asks_a_person_at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty(""))
    monkeypatch.setattr("sys.stdout", Tty())
    answers = iter(["y", "n"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    confirm_size(PlanSize(1, 20_000), yes=False, plan="p.yaml")
    with pytest.raises(SimcareError, match="not run"):
        confirm_size(PlanSize(1, 20_000), yes=False, plan="p.yaml")


def test_simcare_batch_refuses_a_large_plan_without_yes(
    write_plan: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_plan({"scenarios": [SHORT], "grid": {"calendar.growth": [0.0, 0.01]}, "replications": 6000})
    code = main(["batch", str(path), "--out", str(tmp_path / "store"), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.err
    assert f"{path}: 2 variants, 12,000 tasks" in captured.out
    assert "12,000 tasks is more than 10,000: pass --yes" in captured.err
    assert not (tmp_path / "store").exists()


def test_plan_scenarios_outside_the_root_are_refused(write_plan: Callable[..., Path], tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "s.yaml").write_text(f"extends: {SHORT}\nname: elsewhere\n", encoding="utf-8")
    (tmp_path / "project").mkdir()
    path = write_plan({"scenarios": ["../elsewhere/s.yaml"], "replications": 1}, "project/plan.yaml")
    [(field, message)] = _problems(path)
    assert field == "scenarios[0]" and "outside the project root" in message
    assert [v.label for v in load_plan(path, allow_outside=True).variants] == ["elsewhere"]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("name", "bad\x1b[31mname", "control"),
        ("name", "x" * 5000, "100"),
        ("seed", 2**70, "9223372036854775807"),
        ("label", "tab\x07bell", "control"),
    ],
)
def test_plan_labels_and_seeds_are_bounded_like_a_scenarios(
    write_plan: Callable[..., Path], field: str, value: Any, says: str
) -> None:
    """Plan labels end up in terminals, tables and reports, and plan seeds in the seed tree:
    they are bounded as a scenario's name and seed are (a label with an escape sequence, a
    5,000-character name and a 2^70 seed were accepted)."""
    plan: dict[str, Any] = {"name": "p", "replications": 1, "scenarios": [SHORT]}
    if field == "label":
        plan["scenarios"] = [{"file": SHORT, "name": value}]
    else:
        plan[field] = value
    problems = _problems(write_plan(plan))
    assert any(says in message for _, message in problems), problems
