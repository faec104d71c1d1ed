"""Code tasks: a small repository, an instruction, and tests split into FAIL_TO_PASS / PASS_TO_PASS.

On disk a task is either
- a directory: `task.json` (instruction, setup, fail_to_pass, pass_to_pass, optional test_files,
  test_timeout_s), `repo/` (the files), and optionally `gold.patch` (a unified diff that fixes it); or
- one JSON file holding the same fields plus `files: {path: text}` and optionally `gold_patch`.

Test ids are pytest node ids relative to the repository root (`tests/test_x.py::test_y`).
`test_files` (default: every file named by a test id) are restored from the task before
grading, so edits to the tests cannot change the verdict.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sandbox.errors import CodeTaskError
from sandbox.tarfiles import safe_relpath

TASK_FILE = "task.json"
REPO_DIR = "repo"
GOLD_PATCH = "gold.patch"


class CodeTask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    instruction: str = Field(min_length=1)
    files: dict[str, str]
    setup: list[str] = Field(default_factory=list, description="shell commands run in the workspace first")
    fail_to_pass: list[str] = Field(min_length=1)
    pass_to_pass: list[str] = Field(default_factory=list)
    test_files: list[str] = Field(default_factory=list)
    gold_patch: str | None = None
    test_timeout_s: float = Field(default=120.0, gt=0)
    python: str = "python3"

    @model_validator(mode="after")
    def _check(self) -> CodeTask:
        for path in self.files:
            safe_relpath(path)
        overlap = set(self.fail_to_pass) & set(self.pass_to_pass)
        if overlap:
            raise ValueError(f"tests listed as both FAIL_TO_PASS and PASS_TO_PASS: {sorted(overlap)}")
        if not self.test_files:
            self.test_files = sorted({t.split("::", 1)[0] for t in self.fail_to_pass + self.pass_to_pass})
        missing = [f for f in self.test_files if f not in self.files]
        if missing:
            raise ValueError(f"test files {missing} are not among the task's files")
        return self

    @property
    def tests(self) -> list[str]:
        return self.fail_to_pass + self.pass_to_pass


def _read_dir(path: Path) -> CodeTask:
    meta_path = path / TASK_FILE
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise CodeTaskError(f"{meta_path} is not valid JSON: {exc}") from exc
    repo = path / REPO_DIR
    if not repo.is_dir():
        raise CodeTaskError(f"{path} has no {REPO_DIR}/ folder: put the repository's files there")
    files = {}
    for file in sorted(repo.rglob("*")):
        if file.is_file() and "__pycache__" not in file.parts:
            try:
                files[file.relative_to(repo).as_posix()] = file.read_text()
            except UnicodeDecodeError as exc:
                raise CodeTaskError(f"{file} is not UTF-8 text; code tasks hold text files only") from exc
    meta.setdefault("id", path.name)
    meta["files"] = files
    gold = path / GOLD_PATCH
    if gold.is_file():
        meta["gold_patch"] = gold.read_text()
    return _validate(meta, meta_path)


def _validate(data: object, where: Path) -> CodeTask:
    try:
        return CodeTask.model_validate(data)
    except ValidationError as exc:
        raise CodeTaskError(f"{where} is not a valid code task:\n{exc}") from exc


def is_task(path: Path) -> bool:
    return (path.is_dir() and (path / TASK_FILE).is_file()) or (path.is_file() and path.suffix == ".json")


def load_task(path: str | Path) -> CodeTask:
    """One task from a task directory or a task JSON file."""
    path = Path(path)
    if path.is_dir() and (path / TASK_FILE).is_file():
        return _read_dir(path)
    if path.is_file() and path.suffix == ".json":
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise CodeTaskError(f"{path} is not valid JSON: {exc}") from exc
        if isinstance(data, dict):
            data.setdefault("id", path.stem)
        return _validate(data, path)
    raise CodeTaskError(f"{path} is not a code task: expected a folder with {TASK_FILE}, or a .json file")


def load_tasks(path: str | Path) -> list[CodeTask]:
    """A task, or every task directly inside a folder (sorted by name); ids must be unique."""
    path = Path(path)
    if not path.exists():
        raise CodeTaskError(f"{path} does not exist")
    if is_task(path):
        return [load_task(path)]
    tasks = [load_task(child) for child in sorted(path.iterdir()) if is_task(child)]
    if not tasks:
        raise CodeTaskError(f"{path} holds no code tasks (folders with {TASK_FILE}, or .json files)")
    ids = [t.id for t in tasks]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CodeTaskError(f"duplicate task ids in {path}: {dupes}")
    return tasks
