"""Hostile or careless scenario files (issue 16): explicit YAML tags with bad values, alias bombs,
files outside the project root, files too large; each a ScenarioError naming the file and line,
never a traceback, never the content of a file that is not a scenario."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from simcare.cli import main
from simcare.files import MAX_INPUT_BYTES, project_root
from simcare.scenario import ScenarioError, load_scenario, load_scenario_data

Write = Callable[..., Path]
ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "bnssg" / "baseline_winter.yaml"


def problems(path: Path, **kw: object) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, **kw)  # type: ignore[arg-type]
    return err.value.problems


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!float 5%", "!!float"),
        ("!!timestamp notadate", "!!timestamp"),
        ("!!int x", "!!int"),
        ("!!bool maybe", "!!bool"),
        ("!!int 0x", "!!int"),
        ("!!float 1.2.3", "!!float"),
    ],
)
def test_an_explicit_tag_with_a_bad_value_is_an_error_at_its_line(
    valid_path: Path, write: Write, value: str, tag: str
) -> None:
    text = valid_path.read_text(encoding="utf-8").replace("name: ", f"ignored: 1\nname: {value}\n#", 1)
    path = write("tagged.yaml", text.replace("ignored: 1\n", ""))
    line = 1 + next(i for i, t in enumerate(path.read_text().splitlines()) if t.startswith("name:"))
    assert problems(path) == [("", f"line {line}, column 7: YAML error: the value is not a valid {tag}")]


@pytest.mark.parametrize(
    "value",
    ["!!binary '@@@'", "!!set [1, 2]", "!!omap [a]", "!!pairs [a]", "!!python/object:os.system x", "!!foo x"],
)
def test_other_tags_are_yaml_or_validation_errors(valid_path: Path, write: Write, value: str) -> None:
    text = valid_path.read_text(encoding="utf-8")
    path = write("tagged.yaml", text.replace("name: ", f"name: {value}\n#", 1))
    assert len(problems(path)) == 1


def test_the_cli_prints_a_bad_tag_as_one_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {BASELINE}\nname: x\ndemand: !!float 5%\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "line 3, column 9: YAML error: the value is not a valid !!float" in out
    assert "Traceback" not in out


def _bomb(levels: int, width: int = 10) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for k in range(1, levels):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * width) + "]")
    return "\n".join(lines) + "\nname: bomb\n"


def test_an_alias_bomb_is_refused_quickly(write: Write) -> None:
    path = write("bomb.yaml", _bomb(9))  # 10^9 leaves once expanded
    started = time.perf_counter()
    [(field, message)] = problems(path)
    assert time.perf_counter() - started < 5
    assert field == "" and "YAML aliases expand the document past 100,000 nodes" in message
    assert message.startswith("line ")


def test_a_few_aliases_are_fine(write: Write) -> None:
    path = write("few.yaml", _bomb(3) + "run: {}\n")  # 1,000 leaves: allowed
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert not any("aliases" in m for _, m in err.value.problems)  # only schema problems


def test_a_self_referring_alias_and_deep_nesting(write: Write) -> None:
    assert "refers to itself" in problems(write("self.yaml", "a: &x [1, *x]\n"))[0][1]
    deep = write("deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert problems(deep) == [("", "the document is nested too deeply")]


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as fh:
        fh.write(b"name: big\ndescription: '")
        fh.truncate(MAX_INPUT_BYTES + 10)
    assert problems(path) == [("", "is larger than 10 MB: too large for a scenario file")]


def test_a_fifo_or_device_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    assert problems(fifo) == [("", "is not a regular file, not a scenario file")]
    child = tmp_path / "child.yaml"
    child.write_text("extends: /dev/zero\n", encoding="utf-8")
    assert problems(child, allow_outside=True) == [("extends", "/dev/zero: is not a regular file")]


# --- files outside the project root --------------------------------------------------------------


def test_extends_outside_the_root_is_refused_without_echoing_it(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:TOPSECRET:/root:/bin/bash\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    child = project / "child.yaml"
    child.write_text(f"extends: {secret}\nname: x\n", encoding="utf-8")
    [(field, message)] = problems(child)
    assert field == "extends" and "outside the project root" in message and "--allow-outside" in message
    # allowed: read, and refused as not a scenario, without its content
    [(field, message)] = problems(child, allow_outside=True)
    assert "is not a YAML mapping" in message and "TOPSECRET" not in message


def test_etc_passwd_is_not_echoed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not Path("/etc/passwd").is_file():
        pytest.skip("no /etc/passwd")
    child = tmp_path / "child.yaml"
    child.write_text("extends: /etc/passwd\nname: x\n", encoding="utf-8")
    first = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").split(":")[0]
    for extra in ([], ["--allow-outside"]):
        main(["validate", str(child), *extra])
        out = capsys.readouterr().out
        assert "Traceback" not in out and f"'{first}" not in out and "root:x" not in out


def test_a_symlink_out_of_the_root_is_resolved_and_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    shutil.copy(BASELINE, outside)
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / ".simcare-root").write_text("")
    link = tmp_path / "project" / "base.yaml"
    link.symlink_to(outside)
    child = tmp_path / "project" / "child.yaml"
    child.write_text("extends: base.yaml\nname: x\n", encoding="utf-8")
    [(field, message)] = problems(child)
    assert field == "extends" and f"outside the project root {tmp_path / 'project'}" in message


def test_the_root_is_the_nearest_marked_folder_else_the_files_own(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert project_root(deep / "x.yaml") == deep
    (tmp_path / "a" / ".simcare-root").write_text("")
    assert project_root(deep / "x.yaml") == tmp_path / "a"
    (deep / "pyproject.toml").write_text("")
    assert project_root(deep / "x.yaml") == deep
    assert project_root(BASELINE) == ROOT


def test_inside_a_marked_root_parents_may_be_anywhere_under_it(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "b.yaml").write_text(f"extends: {BASELINE}\nname: b\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    child = tmp_path / "sub" / "child.yaml"
    child.write_text("extends: ../b.yaml\nname: child\n", encoding="utf-8")
    assert load_scenario_data(child)["name"] == "child"


def test_the_shipped_scenarios_are_always_allowed(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {BASELINE}\nname: mine\n", encoding="utf-8")
    assert load_scenario(child).name == "mine"


def test_the_cli_refuses_outside_and_allow_outside_lifts_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "shared" / "base.yaml"
    base.parent.mkdir()
    base.write_text(f"extends: {BASELINE}\nname: shared\n", encoding="utf-8")
    child = tmp_path / "mine" / "child.yaml"
    child.parent.mkdir()
    child.write_text("extends: ../shared/base.yaml\nname: mine\n", encoding="utf-8")
    assert main(["validate", str(child)]) == 1
    assert "outside the project root" in capsys.readouterr().out
    assert main(["validate", "--allow-outside", str(child)]) == 0
    assert capsys.readouterr().out.strip() == f"{child}: ok"


def test_run_threads_allow_outside_to_its_workers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    short = ROOT / "tests" / "batch" / "data" / "short.yaml"
    base = tmp_path / "shared" / "base.yaml"
    base.parent.mkdir()
    base.write_text(f"extends: {short}\nname: shared\n", encoding="utf-8")
    child = tmp_path / "mine" / "child.yaml"
    child.parent.mkdir()
    child.write_text("extends: ../shared/base.yaml\nname: mine\n", encoding="utf-8")
    run = ["run", str(child), "--reps", "2", "--workers", "2", "--quiet"]
    assert main(run) == 2
    assert "outside the project root" in capsys.readouterr().err
    assert main([*run, "--allow-outside"]) == 0
    assert capsys.readouterr().out.startswith("mine: ")
