"""Agent policies: what the assistant says or calls next.

- `BlueprintPolicy` plays the task's ground-truth actions with templated language: correct by
  construction, no model, the cheapest offline data and the reference for tests.
- `LLMPolicy` asks the agent model through `LLMClient.act` (native or json tool mode).
"""

from __future__ import annotations

import json
import zlib
from typing import Any, Protocol

from environments.episode import Episode
from environments.executors.semantics import semantics
from toolforge.core.types import ExpectedCall, Message, ToolCall

_OPENERS = {
    "read": ["Let me look that up.", "I'll check that for you.", "One moment while I pull that up."],
    "list": ["Let me search for that.", "I'll look through what's there.", "Let me find the matches."],
    "create": ["I'll set that up now.", "Creating that for you now.", "Let me create that."],
    "update": ["I'll make that change.", "Updating that now.", "Let me apply that change."],
    "delete": ["I'll take care of that.", "Let me remove that.", "Processing that now."],
    "action": ["I'll do that now.", "On it.", "Let me run that."],
}


class Policy(Protocol):
    name: str

    async def act(self, messages: list[Message], episode: Episode) -> Message: ...


def _pick(options: list[str], *key: Any) -> str:
    return options[zlib.crc32(repr(key).encode()) % len(options)]


def _calls_and_results(messages: list[Message]) -> tuple[list[ToolCall], dict[str, Message]]:
    calls = [c for m in messages if m.role == "assistant" for c in m.tool_calls or []]
    results = {m.tool_call_id: m for m in messages if m.role == "tool" and m.tool_call_id}
    return calls, results


def _pair_strings(expected: Any, actual: Any, out: dict[str, str]) -> None:
    """Map each string of an expected result to the string at the same place in the actual one."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, value in expected.items():
            if key in actual:
                _pair_strings(value, actual[key], out)
    elif isinstance(expected, list) and isinstance(actual, list):
        for e, a in zip(expected, actual, strict=False):
            _pair_strings(e, a, out)
    elif isinstance(expected, str) and isinstance(actual, str) and expected != actual:
        out.setdefault(expected, actual)


def _substitute(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, list):
        return [_substitute(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, mapping) for k, v in value.items()}
    return value


def clarifying_question(keys: list[str]) -> str:
    names = [k.replace("_", " ") for k in keys]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"I can help with that. Could you tell me the {listed}?"


class BlueprintPolicy:
    name = "blueprint"

    async def act(self, messages: list[Message], episode: Episode) -> Message:
        task = episode.task
        if task.blueprint is None:
            raise ValueError(f"task {task.id} has no blueprint; use the LLM policy for it")
        actions = task.blueprint.actions
        withheld = list(task.metadata.get("withheld_facts", []))
        spoke = any(m.role == "assistant" and not m.tool_calls for m in messages)
        if withheld and not spoke:
            return Message(role="assistant", content=clarifying_question(withheld))
        calls, results = _calls_and_results(messages)
        done = len(calls)
        if done < len(actions):
            effects = {t.name: semantics(t).effect for t in episode.tools}
            return self._call(actions, done, calls, results, task.blueprint.expected_results, effects)
        return Message(role="assistant", content=task.blueprint.final_reply or "All done.")

    def _call(
        self,
        actions: list[ExpectedCall],
        index: int,
        calls: list[ToolCall],
        results: dict[str, Message],
        expected_results: list[Any],
        effects: dict[str, str],
    ) -> Message:
        mapping: dict[str, str] = {}
        last_error = None
        for i, call in enumerate(calls):
            result = results.get(call.id)
            if result is None or i >= len(expected_results):
                continue
            last_error = (result.content or "") if result.is_error else None
            if result.is_error:
                continue
            try:
                actual = json.loads(result.content or "null")
            except json.JSONDecodeError:
                continue
            _pair_strings(expected_results[i], actual, mapping)
        action = actions[index]
        arguments = _substitute(action.arguments, mapping)
        if last_error is not None and index > 0 and actions[index - 1].name == action.name:
            text = f"That didn't go through ({last_error.removeprefix('Error: ')[:80]}). Let me try again."
        else:
            text = _pick(_OPENERS[effects.get(action.name, "action")], action.name, index)
        call = ToolCall.make(f"call_{index}", action.name, arguments)
        return Message(role="assistant", content=text, tool_calls=[call])


class LLMPolicy:
    """The agent model plays the agent's system prompt; native or json tool mode per its config."""

    name = "llm"

    def __init__(self, llm: Any, cfg: Any) -> None:
        self.llm = llm
        self.cfg = cfg

    async def act(self, messages: list[Message], episode: Episode) -> Message:
        return await self.llm.act(
            self.cfg, messages, episode.tools, role="agent", cache_salt=episode.episode_id
        )
