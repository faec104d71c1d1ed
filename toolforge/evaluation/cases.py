"""Eval cases in the Berkeley Function Calling Leaderboard's own layout, read as BFCL ships them.

A question file holds one JSON object per line: `id`, `question` (a list of turns, each a list of
chat messages; a plain string is read as one user message) and `function` (a list of function
docs whose parameter types are BFCL's: dict, float, integer, string, array, tuple, boolean, any).
Its answers sit in `possible_answer/<same file name>` beside it: per case, `ground_truth` is a list
of calls `{name: {argument: [acceptable values]}}`, `""` among the values meaning "may be left out".
The category comes from the id's prefix (`parallel_multiple_3`, `live_simple_0-0-0`) as BFCL reads it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from toolforge.core.errors import ConfigError

Category = Literal["simple", "multiple", "parallel", "parallel_multiple", "irrelevance", "relevance"]
# Longest prefix first: "parallel_multiple_3" must not read as "parallel".
_CATEGORY_PREFIXES: tuple[tuple[str, Category], ...] = (
    ("parallel_multiple", "parallel_multiple"),
    ("parallel", "parallel"),
    ("multiple", "multiple"),
    ("simple", "simple"),
    ("irrelevance", "irrelevance"),
    ("relevance", "relevance"),
)
# Categories whose answer is "no call" or "some call": they have no possible_answer file.
UNANSWERED: frozenset[str] = frozenset({"irrelevance", "relevance"})
_UNSUPPORTED_HINT = (
    "supported categories: simple, multiple, parallel, parallel_multiple, irrelevance, relevance "
    "(with or without BFCL's `live_` prefix, Python only; multi_turn, java, javascript, rest and exec "
    "need BFCL's own runner)"
)


@dataclass(frozen=True)
class EvalCase:
    id: str
    category: Category
    messages: list[dict[str, Any]]
    functions: list[dict[str, Any]]
    # One dict per expected call: {function name: {argument: [acceptable values]}}; [] when unanswered.
    ground_truth: list[dict[str, dict[str, list[Any]]]] = field(default_factory=list)
    source: str = ""

    def fingerprint(self) -> dict[str, Any]:
        """What the model sees: a changed question or function doc is a new case for the cache."""
        return {"id": self.id, "messages": self.messages, "functions": self.functions}


def category_of(case_id: str, path: Path) -> Category:
    """BFCL's category of `case_id`: its prefix, `live_` dropped; a Java/JS/multi-turn id is refused."""
    name = case_id.removeprefix("live_")
    for prefix, category in _CATEGORY_PREFIXES:
        if name.startswith(prefix):
            rest = name[len(prefix) :]
            if rest.startswith("_java") or rest.startswith("_javascript"):
                break
            return category
    raise ConfigError(f"{path}: case {case_id!r} is of no supported category ({_UNSUPPORTED_HINT})")


def answer_path(question_path: Path) -> Path:
    """Where BFCL keeps a question file's answers: `possible_answer/<name>` beside it."""
    return question_path.parent / "possible_answer" / question_path.name


def _read_jsonl(path: Path, what: str, fix: str) -> list[tuple[int, dict[str, Any]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc.strerror})") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{path}:{number}: not a JSON line ({exc.msg}); a {what} holds one JSON object per line ({fix})"
            ) from exc
        if not isinstance(row, dict):
            raise ConfigError(f"{path}:{number}: a {what} line must be a JSON object ({fix})")
        rows.append((number, row))
    if not rows:
        raise ConfigError(f"{path}: the {what} is empty ({fix})")
    return rows


_QUESTION_FIX = (
    'BFCL layout: {"id": "simple_0", "question": [[{"role": "user", "content": ...}]], "function": [...]}'
)
_ANSWER_FIX = 'BFCL layout: {"id": "simple_0", "ground_truth": [{"function_name": {"arg": [value, ""]}}]}'


def _messages(question: Any, where: str) -> list[dict[str, Any]]:
    if isinstance(question, str):
        return [{"role": "user", "content": question}]
    if not isinstance(question, list) or not question:
        raise ConfigError(f"{where}: `question` must be a non-empty list of turns ({_QUESTION_FIX})")
    turns = question if all(isinstance(t, list) for t in question) else [question]
    messages: list[dict[str, Any]] = []
    for turn in turns:
        for message in turn:
            if not isinstance(message, dict) or "role" not in message or "content" not in message:
                raise ConfigError(f"{where}: each message needs `role` and `content` ({_QUESTION_FIX})")
            messages.append({"role": message["role"], "content": message["content"]})
    return messages


def _functions(value: Any, where: str) -> list[dict[str, Any]]:
    docs = [value] if isinstance(value, dict) else value
    if not isinstance(docs, list) or not docs:
        raise ConfigError(f"{where}: `function` must be a non-empty list of function docs ({_QUESTION_FIX})")
    for doc in docs:
        if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
            raise ConfigError(f"{where}: every function doc needs a `name` ({_QUESTION_FIX})")
        params = doc.get("parameters", {"properties": {}})
        if not isinstance(params, dict) or not isinstance(params.get("properties", {}), dict):
            raise ConfigError(
                f"{where}: function {doc['name']!r} needs `parameters` with `properties` ({_QUESTION_FIX})"
            )
    return docs


def _ground_truth(row: dict[str, Any], where: str) -> list[dict[str, dict[str, list[Any]]]]:
    calls = row.get("ground_truth")
    if not isinstance(calls, list) or not calls:
        raise ConfigError(f"{where}: `ground_truth` must be a non-empty list of calls ({_ANSWER_FIX})")
    for call in calls:
        ok = isinstance(call, dict) and len(call) == 1
        args = next(iter(call.values())) if ok else None
        if not ok or not isinstance(args, dict) or not all(isinstance(v, list) for v in args.values()):
            raise ConfigError(
                f"{where}: each call is {{name: {{argument: [acceptable values]}}}}, got {call!r} ({_ANSWER_FIX})"
            )
    return calls


def load_cases(question_path: Path, answers: Path | None = None) -> list[EvalCase]:
    """Every case of one BFCL question file with its answers (`possible_answer/<name>` by default)."""
    rows = _read_jsonl(question_path, "BFCL question file", _QUESTION_FIX)
    parsed: list[tuple[str, Category, list[dict[str, Any]], list[dict[str, Any]]]] = []
    seen: set[str] = set()
    for number, row in rows:
        where = f"{question_path}:{number}"
        missing = [k for k in ("id", "question", "function") if k not in row]
        if missing:
            raise ConfigError(
                f"{where}: unknown layout, no {', '.join(missing)} (found keys {sorted(row)}; {_QUESTION_FIX})"
            )
        case_id = str(row["id"])
        if case_id in seen:
            raise ConfigError(f"{where}: id {case_id!r} appears twice; ids must be unique within a file")
        seen.add(case_id)
        category = category_of(case_id, question_path)
        parsed.append(
            (case_id, category, _messages(row["question"], where), _functions(row["function"], where))
        )

    needs_answers = [case_id for case_id, category, _, _ in parsed if category not in UNANSWERED]
    truth: dict[str, list[dict[str, dict[str, list[Any]]]]] = {}
    if needs_answers:
        path = answers or answer_path(question_path)
        if not path.exists():
            raise ConfigError(
                f"{question_path}: no possible_answer file at {path}; put BFCL's answers there or pass --answers FILE"
            )
        for number, row in _read_jsonl(path, "BFCL possible_answer file", _ANSWER_FIX):
            if "id" not in row:
                raise ConfigError(f"{path}:{number}: unknown layout, no `id` ({_ANSWER_FIX})")
            truth[str(row["id"])] = _ground_truth(row, f"{path}:{number}")
        unanswered = [i for i in needs_answers if i not in truth]
        strangers = sorted(set(truth) - {case_id for case_id, *_ in parsed})
        if unanswered or strangers:
            detail = []
            if unanswered:
                detail.append(f"no answer for {unanswered[:5]}{' …' if len(unanswered) > 5 else ''}")
            if strangers:
                detail.append(f"answers for unknown ids {strangers[:5]}{' …' if len(strangers) > 5 else ''}")
            raise ConfigError(
                f"{path}: the possible_answer ids do not match {question_path} ({'; '.join(detail)}); "
                "use the possible_answer file of the same BFCL release and category"
            )
    for case_id, _, _, functions in parsed:
        offered = {doc["name"] for doc in functions}
        for call in truth.get(case_id, []):
            name = next(iter(call))
            if name not in offered:
                raise ConfigError(
                    f"{answers or answer_path(question_path)}: the answer to {case_id!r} calls {name!r}, which "
                    f"its question does not offer ({sorted(offered)}); fix the answer or the question's functions"
                )
    return [
        EvalCase(
            id=case_id,
            category=category,
            messages=messages,
            functions=functions,
            ground_truth=truth.get(case_id, []),
            source=str(question_path),
        )
        for case_id, category, messages, functions in parsed
    ]


def find_question_files(path: Path) -> list[Path]:
    """A question file as given, or every `*.json`/`*.jsonl` file of a folder (not its possible_answer/)."""
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in {".json", ".jsonl"})
        if not files:
            raise ConfigError(f"{path}: no BFCL question files (*.json) in this folder")
        return files
    raise ConfigError(f"{path}: no such file or folder; pass a BFCL question file or a folder of them")
