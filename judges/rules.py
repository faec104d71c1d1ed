"""The rules check: mechanical facts about a trajectory, no model involved.

Each violation has a code; any violation fails the check. The score starts at 1 and loses the
penalty of every violation and of every call beyond the expected pattern (K2's budget control:
needless length costs, padding fails). Policies of the system prompt are rules too: when it asks
for a confirmation before a change, a write without the user's yes is `write_without_confirmation`.
The calls of a multi-call trajectory must serve one task (`judges.chain`): a call that shares no
entity or data with the others is `unrelated_call`, one that takes another's data onto a different
record of the same kind is `crossed_entity`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from judges.chain import chain_violations
from judges.config import RulesConfig
from judges.confirmation import is_affirmative, is_write, requires_confirmation
from judges.violations import Violation, violations_result
from toolforge.core.ids import canonical_json
from toolforge.core.schema import PreparedSchema, SchemaRejected, prepare
from toolforge.core.types import CheckResult, Message, Task, Trajectory

# Words by which a reply tells the user that something failed.
_FAILURE_WORDS = re.compile(
    r"\b(error|errors|fail|failed|fails|failure|unable|cannot|can't|couldn't|could not|"
    r"not possible|unavailable|problem|sorry|unfortunately|did not work|didn't work)\b",
    re.IGNORECASE,
)
CHARS_PER_TOKEN = 4


def check_rules(traj: Trajectory, task: Task | None, cfg: RulesConfig) -> CheckResult:
    """Judge `traj` by the rules; `task` (when known) supplies the rubric and the budget."""
    offered = _offered_schemas(traj.tools)
    violations: list[Violation] = []
    violations += _call_violations(traj, offered)
    violations += _turn_violations(traj.messages)
    violations += _end_violations(traj, cfg)
    violations += _error_violations(traj.messages)
    violations += _confirmation_violations(traj)
    # Calls on one shared workspace (a code task's) are linked by it, not by values the rule could find.
    if cfg.require_coherent_chain and not (task is not None and task.calls_share_workspace):
        violations += chain_violations(traj.messages)
    if task is not None and cfg.require_expected_tools:
        violations += _expected_tool_violations(traj, task, offered)
    budget_violations, budget = _budget(traj, task, cfg)
    violations += budget_violations

    penalty = sum(v.penalty for v in violations)
    failed = [v for v in violations if v.penalty >= 1.0 or v.code in _FAILING_CODES]
    score = max(0.0, 1.0 - penalty)
    return violations_result(
        "rules", violations, passed=not failed, score=score, clean="all rules hold", details=budget
    )


# Codes that fail the check even when their penalty is small.
_FAILING_CODES = {"over_token_budget", "too_many_calls", "repeated_call", "repetitive_text"}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _offered_schemas(tools: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for tool in tools:
        function = tool.get("function", tool)
        out[function["name"]] = function.get("parameters") or {"type": "object"}
    return out


def _call_violations(traj: Trajectory, offered: dict[str, dict[str, Any]]) -> list[Violation]:
    out: list[Violation] = []
    prepared: dict[str, PreparedSchema | None] = {}  # per trajectory: each offered tool once
    for index, call in traj.tool_calls:
        where = f"message {index}"
        if call.name not in offered:
            out.append(Violation("tool_not_offered", f"{where}: calls {call.name!r}, which was not offered"))
            continue
        try:
            arguments = call.parsed_arguments()
        except (ValueError, json.JSONDecodeError):
            out.append(
                Violation("arguments_not_json", f"{where}: arguments of {call.name} are not a JSON object")
            )
            continue
        if call.name not in prepared:
            prepared[call.name] = _prepared(offered[call.name])
        schema = prepared[call.name]
        if schema is None:
            out.append(Violation("invalid_schema", f"{where}: the schema of {call.name} is not valid"))
            continue
        error = schema.first_error(arguments)
        if error is not None:
            path, message = error
            out.append(
                Violation(
                    "invalid_arguments", f"{where}: arguments of {call.name} invalid at {path}: {message}"
                )
            )
    return out


def _prepared(schema: dict[str, Any]) -> PreparedSchema | None:
    """The schema service's validator for an offered tool (the dialect its `$schema` names)."""
    try:
        return prepare(schema)
    except SchemaRejected:
        return None


def _is_blank(content: str | None) -> bool:
    return content is None or not content.strip()


def _turn_violations(messages: list[Message]) -> list[Violation]:
    out: list[Violation] = []
    for i, message in enumerate(messages):
        if message.role == "assistant" and _is_blank(message.content) and not message.tool_calls:
            out.append(Violation("empty_turn", f"message {i}: empty assistant turn"))
        elif message.role == "user" and _is_blank(message.content):
            out.append(Violation("empty_turn", f"message {i}: empty user turn"))
    return out


def _end_violations(traj: Trajectory, cfg: RulesConfig) -> list[Violation]:
    out: list[Violation] = []
    if traj.end_reason not in cfg.proper_end_reasons:
        detail = f" ({traj.error})" if traj.error else ""
        out.append(Violation("improper_end", f"ended by {traj.end_reason}{detail}"))
    answered = {m.tool_call_id for m in traj.messages if m.role == "tool"}
    called = {call.id for _, call in traj.tool_calls}
    for _, call in traj.tool_calls:
        if call.id not in answered:
            out.append(Violation("unanswered_call", f"call {call.id} ({call.name}) never got a result"))
    for i, message in enumerate(traj.messages):
        if message.role == "tool" and message.tool_call_id not in called:
            out.append(
                Violation("orphan_result", f"message {i}: result for unknown call {message.tool_call_id}")
            )
    # The agent's last act is a reply (not a call left hanging); only the user may speak after it.
    last_agent = next(
        (i for i in range(len(traj.messages) - 1, -1, -1) if traj.messages[i].role != "user"), None
    )
    last = traj.messages[last_agent] if last_agent is not None else None
    if traj.end_reason != "graded" and (
        last is None or last.role != "assistant" or last.tool_calls or _is_blank(last.content)
    ):
        out.append(Violation("premature_stop", "the episode does not end with the agent's reply"))
    return out


def _error_violations(messages: list[Message]) -> list[Violation]:
    """A tool error must be answered: the same tool succeeds later, or the agent tells the user."""
    names = {call.id: call.name for m in messages if m.role == "assistant" for call in m.tool_calls or []}
    out: list[Violation] = []
    for i, message in enumerate(messages):
        if message.role != "tool" or not message.is_error:
            continue
        name = names.get(message.tool_call_id or "", "?")
        later = messages[i + 1 :]
        retried = any(
            m.role == "tool" and not m.is_error and names.get(m.tool_call_id or "") == name for m in later
        )
        reply = next((m for m in later if m.role == "assistant" and not _is_blank(m.content)), None)
        told = reply is not None and bool(_FAILURE_WORDS.search(reply.content or ""))
        if not (retried or told):
            out.append(
                Violation(
                    "ignored_tool_error",
                    f"message {i}: the error from {name} is neither retried nor reported",
                )
            )
    return out


def _confirmation_violations(traj: Trajectory) -> list[Violation]:
    """When the system prompt asks for it, every write follows the user's yes to the agent's
    question: the latest user turn before the write is affirmative and answers an assistant text
    turn that asked something. One yes covers the writes up to the next user turn; the opening
    request is never a yes."""
    messages = traj.messages
    system = next((m.content for m in messages if m.role == "system"), None)
    if not requires_confirmation(system):
        return []
    functions = {f["name"]: f for f in (t.get("function", t) for t in traj.tools)}
    first_user = next((i for i, m in enumerate(messages) if m.role == "user"), None)
    out: list[Violation] = []
    for index, call in traj.tool_calls:
        if not is_write(functions.get(call.name, {"name": call.name})):
            continue
        if not _confirmed(messages, index, first_user):
            out.append(
                Violation(
                    "write_without_confirmation",
                    f"message {index}: {call.name} changes the world without the user's yes to a "
                    "confirmation question, which the system prompt asks for",
                )
            )
    return out


def _confirmed(messages: list[Message], index: int, first_user: int | None) -> bool:
    user = next((i for i in range(index - 1, -1, -1) if messages[i].role == "user"), None)
    if user is None or user == first_user or not is_affirmative(messages[user].content):
        return False
    asked = next((m for m in reversed(messages[:user]) if m.role == "assistant"), None)
    return asked is not None and not asked.tool_calls and "?" in (asked.content or "")


def _expected_tool_violations(
    traj: Trajectory, task: Task, offered: dict[str, dict[str, Any]]
) -> list[Violation]:
    used = {call.name for _, call in traj.tool_calls}
    required = [c.name for c in task.rubric.expected_tool_pattern if not c.optional]
    missing = sorted({name for name in required if name in offered and name not in used})
    return [
        Violation("expected_tool_unused", f"the expected tool {name} was never called") for name in missing
    ]


def _agent_chars(messages: list[Message]) -> int:
    total = 0
    for message in messages:
        if message.role != "assistant":
            continue
        total += len(message.content or "")
        total += sum(len(c.function.name) + len(c.function.arguments) for c in message.tool_calls or [])
    return total


def _budget(traj: Trajectory, task: Task | None, cfg: RulesConfig) -> tuple[list[Violation], dict[str, Any]]:
    out: list[Violation] = []
    tokens = _agent_chars(traj.messages) // CHARS_PER_TOKEN
    budget = (
        cfg.token_budget.get(task.difficulty, cfg.default_token_budget) if task else cfg.default_token_budget
    )
    if tokens > budget:
        out.append(
            Violation("over_token_budget", f"the agent wrote ~{tokens} tokens, over the budget of {budget}")
        )

    calls = [call for _, call in traj.tool_calls]
    expected = _expected_calls(task)
    if expected is not None:
        extra = max(0, len(calls) - expected)
        limit = int(cfg.max_call_factor * expected) + cfg.call_slack
        if len(calls) > limit:
            out.append(
                Violation(
                    "too_many_calls", f"{len(calls)} tool calls where {expected} are expected (limit {limit})"
                )
            )
        elif extra:
            out.append(
                Violation(
                    "extra_calls",
                    f"{extra} call(s) beyond the {expected} expected",
                    penalty=round(cfg.extra_call_penalty * extra, 4),
                )
            )

    if not cfg.allow_repeated_calls:
        out += _repeated_calls(traj.messages)
    out += _repetitive_text(traj.messages, cfg.max_sentence_repeats)
    return out, {
        "agent_tokens": tokens,
        "token_budget": budget,
        "calls": len(calls),
        "expected_calls": expected,
    }


def _expected_calls(task: Task | None) -> int | None:
    if task is None:
        return None
    if task.blueprint is not None and task.blueprint.actions:
        return len(task.blueprint.actions)
    required = [c for c in task.rubric.expected_tool_pattern if not c.optional]
    return len(required) or None


def _repeated_calls(messages: list[Message]) -> list[Violation]:
    """The same call (tool and arguments) right after it succeeded, nothing else between: padding.

    Reading again after another call (get, update, get to confirm) is not padding.
    """
    results = {m.tool_call_id: m for m in messages if m.role == "tool"}
    last_success: str | None = None
    out: list[Violation] = []
    for message in messages:
        if message.role != "assistant":
            continue
        for call in message.tool_calls or []:
            try:
                key = call.name + canonical_json(call.parsed_arguments())
            except (ValueError, json.JSONDecodeError):
                continue
            if key == last_success:
                out.append(Violation("repeated_call", f"{call.name} repeated with the same arguments"))
            result = results.get(call.id)
            if result is not None and not result.is_error:
                last_success = key
    return out


def _repetitive_text(messages: list[Message], max_repeats: int) -> list[Violation]:
    """A sentence of four or more words said more than `max_repeats` times: padding."""
    counts: dict[str, int] = {}
    for message in messages:
        if message.role != "assistant" or not message.content:
            continue
        for sentence in _SENTENCE_END.split(message.content):
            words = sentence.lower().split()
            if len(words) >= 4:
                key = " ".join(words)
                counts[key] = counts.get(key, 0) + 1
    return [
        Violation("repetitive_text", f"the sentence {key[:50]!r} is repeated {n} times")
        for key, n in counts.items()
        if n > max_repeats
    ][:3]
