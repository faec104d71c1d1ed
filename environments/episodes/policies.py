"""Agent policies: what the assistant says or calls next.

- `BlueprintPolicy` plays the task's ground-truth actions with templated language: correct by
  construction, no model, the cheapest offline data and the reference for tests.
- `LLMPolicy` asks the agent model through `LLMClient.act` (native or json tool mode).
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from environments.episodes import finals, phrasing
from environments.episodes.episode import Episode
from environments.episodes.executors.semantics import semantics
from toolforge.core.llm.config import LLMConfig
from toolforge.core.llm.protocols import AgentModel
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


_AFFIRMATIVE = re.compile(
    r"\b(yes|yep|yeah|sure|go ahead|proceed|confirm(ed)?|ok(ay)?|please do|sounds good)\b", re.I
)


class BlueprintPolicy:
    """Plays the blueprint as the agents' policies ask: withheld facts are asked for first; before
    a run of writes the assistant says what it will do and waits for the user's yes; the final
    reply is written from this episode's actual last result, not from the blueprint's."""

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
        mapping = _actual_values(calls, results, task.blueprint.expected_results)
        if done < len(actions):
            mutates = {t.name: semantics(t).mutates for t in episode.tools}
            after_tool = messages[-1].role == "tool"
            last = results.get(calls[-1].id) if calls else None
            failed = after_tool and last is not None and last.is_error
            recovery = task.metadata.get("recovery") or {}
            proposal = _substitute(recovery.get("proposal", ""), mapping)
            if proposal and done == recovery.get("propose_at"):
                # A domain error whose way out is an alternative: say what failed and what the
                # world allows, and change nothing until the user agrees.
                if (waiting := _until_agreed(messages, proposal)) is not None:
                    return waiting
                effects = {t.name: semantics(t).effect for t in episode.tools}
                return self._call(actions, done, calls, results, mapping, effects, agreed=True)
            if failed and recovery.get("note"):  # the way out starts with a lookup
                call = ToolCall.make(
                    f"call_{done}", actions[done].name, _substitute(actions[done].arguments, mapping)
                )
                return Message(role="assistant", content=recovery["note"], tool_calls=[call])
            if failed and last is not None and _corrects(actions, done):
                return Message(role="assistant", content=_ask_to_check(actions, done, last))
            confirmed_run = after_tool and done > 0 and bool(mutates.get(actions[done - 1].name))
            if mutates.get(actions[done].name) and not confirmed_run:
                ask = self._ask(
                    actions, done, mutates, mapping, task.id, _said(messages), recovery.get("propose_at")
                )
                if (waiting := _until_agreed(messages, ask)) is not None:
                    return waiting
            effects = {t.name: semantics(t).effect for t in episode.tools}
            return self._call(actions, done, calls, results, mapping, effects)
        return Message(role="assistant", content=self._final(messages, episode))

    def _ask(
        self,
        actions: list[ExpectedCall],
        index: int,
        mutates: dict[str, bool],
        mapping: dict[str, str],
        task_id: str,
        said: str,
        proposed_at: int | None = None,
    ) -> str:
        """The confirmation question for the run of writes starting at `index`. A value a write
        will take from a result not seen yet (the id of a record the run creates) is not quoted:
        nothing the assistant says may be invented. The way out of a recovery (`proposed_at`) is
        proposed when the error has come, not planned before it."""
        run = []
        for j, action in enumerate(actions[index:], start=index):
            if not mutates.get(action.name) or (j > index and (_corrects(actions, j) or j == proposed_at)):
                break  # a retry with other values is asked about when it comes, not planned now
            if j > index and action == actions[j - 1]:
                continue  # the same call again (a retry after a transient failure) is one step
            arguments = _substitute(action.arguments, mapping)
            known = {k: v for k, v in arguments.items() if not isinstance(v, str) or v in said}
            run.append(phrasing.plan(action.name, known))
        return phrasing.ask_before(run, (task_id, index))

    def _call(
        self,
        actions: list[ExpectedCall],
        index: int,
        calls: list[ToolCall],
        results: dict[str, Message],
        mapping: dict[str, str],
        effects: dict[str, str],
        agreed: bool = False,
    ) -> Message:
        """The call of action `index`; after an error, said as a retry unless it is the way out the
        user just agreed to (`agreed`) or a retry with corrected values."""
        last = results.get(calls[-1].id) if calls else None
        action = actions[index]
        arguments = _substitute(action.arguments, mapping)
        if last is not None and last.is_error and not agreed and not _corrects(actions, index):
            error = (last.content or "").removeprefix("Error: ")[:80]
            text = f"That didn't go through ({error}). It looks temporary, so I'll try once more."
        else:
            text = phrasing.pick(_OPENERS[effects.get(action.name, "action")], action.name, index)
        call = ToolCall.make(f"call_{index}", action.name, arguments)
        return Message(role="assistant", content=text, tool_calls=[call])

    def _final(self, messages: list[Message], episode: Episode) -> str:
        """The outcome, from this episode's results: what was changed or found, in words, quoting
        only what the conversation has shown."""
        calls, results = _calls_and_results(messages)
        if not calls:
            return episode.task.blueprint.final_reply if episode.task.blueprint else "All done."
        last_call = calls[-1]
        last = results.get(last_call.id)
        if last is None or last.is_error:
            error = ((last.content or "") if last is not None else "no result").removeprefix("Error: ")
            return f"I'm sorry, {last_call.name.replace('_', ' ')} failed: {error}"
        tools = {t.name: t for t in episode.tools}
        steps = []
        for call in calls:
            result = results.get(call.id)
            if result is None or result.is_error or call.name not in tools:
                continue
            try:
                value = json.loads(result.content or "null")
            except json.JSONDecodeError:
                value = result.content
            steps.append(finals.Step(tools[call.name], call.parsed_arguments(), value))
        style = episode.task.user_goal.style
        return finals.final_reply(steps, (episode.task.id, "final"), _said(messages), style)


def _actual_values(
    calls: list[ToolCall], results: dict[str, Message], expected_results: list[Any]
) -> dict[str, str]:
    """Each string the blueprint's world returned, mapped to what this episode's world returned."""
    mapping: dict[str, str] = {}
    for i, call in enumerate(calls):
        result = results.get(call.id)
        if result is None or result.is_error or i >= len(expected_results):
            continue
        try:
            actual = json.loads(result.content or "null")
        except json.JSONDecodeError:
            continue
        _pair_strings(expected_results[i], actual, mapping)
    return mapping


def _said(messages: list[Message]) -> str:
    return "\n".join(m.content or "" for m in messages if m.role in ("system", "user", "tool"))


def _corrects(actions: list[ExpectedCall], index: int) -> bool:
    """Action `index` repeats the one before it with other values: the first was rejected by the
    world for a value the user gave, and this one carries the user's correction."""
    if index == 0:
        return False
    before, now = actions[index - 1], actions[index]
    return before.name == now.name and before.arguments != now.arguments


def _ask_to_check(actions: list[ExpectedCall], index: int, error: Message) -> str:
    before, now = actions[index - 1].arguments, actions[index].arguments
    changed = sorted(k for k, v in now.items() if before.get(k) != v)
    names = " and ".join(phrasing.field_name(k) for k in changed)
    wrong = ", ".join(str(before.get(k)) for k in changed)
    reason = re.sub(r"^(Error:\s*)?(Error executing tool \S+:\s*)?", "", error.content or "").split(";")[0][
        :100
    ]
    return f"I couldn't use {wrong} ({reason}). Could you check the {names} for me?"


def _answered(messages: list[Message], ask: str) -> bool:
    """The assistant asked `ask` and the user has replied since."""
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if m.role == "assistant" and not m.tool_calls and m.content == ask:
            return i < len(messages) - 1 and messages[-1].role == "user"
    return False


class LLMPolicy:
    """The agent model plays the agent's system prompt; native or json tool mode per its config."""

    name = "llm"

    def __init__(self, llm: AgentModel, cfg: LLMConfig) -> None:
        self.llm = llm
        self.cfg = cfg

    async def act(self, messages: list[Message], episode: Episode) -> Message:
        return await self.llm.act(
            self.cfg, messages, episode.tools, role="agent", cache_salt=episode.episode_id
        )


def _until_agreed(messages: list[Message], question: str) -> Message | None:
    """The turn that asks `question` (or declines after anything but a yes); None once the user
    said yes to it."""
    if not _answered(messages, question):
        return Message(role="assistant", content=question)
    if not _AFFIRMATIVE.search(messages[-1].content or ""):
        return Message(role="assistant", content="Understood. I haven't changed anything.")
    return None
