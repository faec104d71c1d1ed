"""The user simulator: a persona with a hidden goal who reveals facts only when they are relevant,
never invents facts outside the task, and ends with an explicit stop.

- `TemplateUser` needs no model: it answers a question by giving the facts the question names
  (or, if it names none, the facts not given yet), and stops once the agent stops asking.
- `LLMUser` plays the persona with the user model through `LLMClient.structured`, replying with
  `{"message": ..., "stop": ...}`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from environments.episodes import phrasing
from environments.episodes.episode import Episode
from toolforge.core.llm.config import LLMConfig
from toolforge.core.llm.protocols import StructuredModel
from toolforge.core.types import Message, Task

STOP_TEXT = "Thanks, that's everything I needed."


@dataclass
class UserTurn:
    text: str
    stop: bool = False


class UserSimulator(Protocol):
    name: str

    async def opening(self, episode: Episode) -> str: ...

    async def reply(self, messages: list[Message], episode: Episode) -> UserTurn: ...


def _fact_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def opening_message(task: Task) -> str:
    goal = task.user_goal
    return goal.opening_message or goal.description


def _mentioned(key: str, text: str) -> bool:
    words = [w for w in re.split(r"[_\W]+", key.lower()) if w]
    spaced = " ".join(words)
    if spaced and spaced in text:
        return True
    core = [w for w in words if w not in ("id", "name", "the", "of")]
    return bool(core) and all(w in text for w in core)


_CONFIRMATION_ASKED = re.compile(
    r"go ahead|proceed|is that ok|shall i|should i|do you want me to|can i go", re.IGNORECASE
)


_QUOTED = re.compile(r"“[^”]*”")


class TemplateUser:
    """A user without a model: confirms a change the assistant asks about, gives the facts a
    question names (else those not given yet), and thanks the assistant once it stops asking;
    every line drawn from a phrase bank in the persona's style."""

    name = "template"

    async def opening(self, episode: Episode) -> str:
        return opening_message(episode.task)

    async def reply(self, messages: list[Message], episode: Episode) -> UserTurn:
        goal = episode.task.user_goal
        key = (episode.task.id, len(messages))
        last = next((m for m in reversed(messages) if m.role == "assistant"), None)
        # What the assistant quotes from the world (“Could the dashboard get a dark mode?”) is no
        # question to the user: only its own words can ask.
        text = _QUOTED.sub("“”", (last.content or "").lower()) if last else ""
        if "?" not in text:
            return UserTurn(phrasing.thanks(goal.style, key), stop=True)
        if _CONFIRMATION_ASKED.search(text):
            return UserTurn(phrasing.confirm(goal.style, key))
        facts = goal.known_facts
        said = " ".join(m.content or "" for m in messages if m.role == "user")
        unsaid = {k: v for k, v in facts.items() if not _said(_fact_text(v), said)}
        asked = {k: v for k, v in unsaid.items() if _mentioned(k, text)} or unsaid
        if not asked:
            if any(w in text for w in ("anything else", "something else", "else i can")):
                return UserTurn(phrasing.thanks(goal.style, key), stop=True)
            return UserTurn("I don't have more details than that; please go ahead with what you have.")
        if set(asked) & set(episode.task.metadata.get("mistaken_facts") or {}):
            said = " and ".join(phrasing.fact(k, v) for k, v in sorted(asked.items()))
            return UserTurn(phrasing.end_once(f"Sorry, my mistake: {said}."))
        return UserTurn(phrasing.give_facts(asked, goal.style, key))


def _said(value: str, text: str) -> bool:
    """`value` was said as a whole (note_0002 is not said by saying note_0002x)."""
    return re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text) is not None


class UserReply(BaseModel):
    """The user model's turn: what to say, and whether the conversation is over."""

    model_config = ConfigDict(extra="forbid")
    message: str = Field(description="what the user says next, in the persona's voice")
    stop: bool = Field(description="true only when the goal is met or the agent refused or cannot help")


def user_system_prompt(task: Task) -> str:
    goal = task.user_goal
    facts = "\n".join(f"- {k}: {_fact_text(v)}" for k, v in goal.known_facts.items()) or "- (none)"
    return (
        f"You are role-playing a user talking to an assistant. Persona: {goal.persona}. "
        f"Style: {goal.style}.\n\n"
        f"Your goal: {goal.description}\n\n"
        f"Facts only you know (give one only when the assistant asks for it or it is clearly needed):\n"
        f"{facts}\n\n"
        "Rules:\n"
        "- Never invent facts that are not listed; if asked something you do not know, say so.\n"
        "- Do not do the assistant's work and do not mention these instructions.\n"
        "- Keep replies short, in your persona's style.\n"
        "- Set stop=true only once your goal is met, or the assistant has clearly refused or cannot "
        "help; then say a brief goodbye. Otherwise stop=false."
    )


def user_view(messages: list[Message], task: Task) -> list[dict[str, str]]:
    """The conversation as the user model sees it: the agent's words as `user`, its own as
    `assistant`; system prompt, tool calls and tool results hidden."""
    view = [{"role": "system", "content": user_system_prompt(task)}]
    for m in messages:
        if m.role == "assistant" and m.content:
            view.append({"role": "user", "content": m.content})
        elif m.role == "user":
            view.append({"role": "assistant", "content": m.content or ""})
    return view


class LLMUser:
    name = "llm"

    def __init__(self, llm: StructuredModel, cfg: LLMConfig) -> None:
        self.llm = llm
        self.cfg = cfg

    async def opening(self, episode: Episode) -> str:
        return opening_message(episode.task)

    async def reply(self, messages: list[Message], episode: Episode) -> UserTurn:
        out = await self.llm.structured(
            self.cfg,
            user_view(messages, episode.task),
            UserReply,
            role="user",
            cache_salt=episode.episode_id,
            item_id=episode.episode_id,
        )
        return UserTurn(out.message, stop=out.stop)
