"""Loading code tasks from folders and JSON files, and refusing malformed ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.code_tasks import CodeTask, load_task, load_tasks
from sandbox.errors import CodeTaskError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "code_tasks"


def write_task(root: Path, name: str = "t", **meta: object) -> Path:
    d = root / name
    (d / "repo" / "tests").mkdir(parents=True)
    (d / "repo" / "m.py").write_text("X = 1\n")
    (d / "repo" / "tests" / "test_m.py").write_text("def test_a():\n    pass\n")
    data = {"instruction": "do it", "fail_to_pass": ["tests/test_m.py::test_a"], **meta}
    (d / "task.json").write_text(json.dumps(data))
    return d


def test_examples_are_at_least_eight_valid_tasks_with_gold_patches() -> None:
    tasks = load_tasks(EXAMPLES)
    assert len(tasks) >= 8
    for task in tasks:
        assert task.gold_patch and task.fail_to_pass and task.pass_to_pass
        assert task.test_files and all(f in task.files for f in task.test_files)


def test_folder_task_defaults(tmp_path: Path) -> None:
    task = load_task(write_task(tmp_path, setup=["true"]))
    assert task.id == "t" and task.setup == ["true"] and task.gold_patch is None
    assert set(task.files) == {"m.py", "tests/test_m.py"}
    assert task.test_files == ["tests/test_m.py"]


def test_json_task_round_trip(tmp_path: Path) -> None:
    task = load_task(write_task(tmp_path))
    path = tmp_path / "inline.json"
    path.write_text(task.model_dump_json())
    assert load_task(path) == task
    assert [t.id for t in load_tasks(path)] == ["t"]


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"fail_to_pass": []}, "fail_to_pass"),
        ({"instruction": ""}, "instruction"),
        ({"pass_to_pass": ["tests/test_m.py::test_a"]}, "both FAIL_TO_PASS and PASS_TO_PASS"),
        ({"fail_to_pass": ["tests/test_other.py::test_a"]}, "not among the task's files"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_malformed_tasks_are_refused_with_the_reason(tmp_path: Path, meta: dict, message: str) -> None:
    with pytest.raises(CodeTaskError, match=message):
        load_task(write_task(tmp_path, **meta))


def test_folder_without_repo_or_with_bad_json(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "task.json").write_text("{}")
    with pytest.raises(CodeTaskError, match="repo/"):
        load_task(tmp_path / "a")
    (tmp_path / "b.json").write_text("{not json")
    with pytest.raises(CodeTaskError, match="not valid JSON"):
        load_task(tmp_path / "b.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CodeTaskError, match="no code tasks"):
        load_tasks(tmp_path / "empty")
    with pytest.raises(CodeTaskError, match="does not exist"):
        load_tasks(tmp_path / "nowhere")


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    write_task(tmp_path, "one", id="same")
    write_task(tmp_path, "two", id="same")
    with pytest.raises(CodeTaskError, match="duplicate"):
        load_tasks(tmp_path)


def test_paths_may_not_escape_the_repo() -> None:
    with pytest.raises(ValueError):
        CodeTask(id="x", instruction="i", files={"../x.py": ""}, fail_to_pass=["t.py::a"])
