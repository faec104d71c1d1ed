"""Task: a user goal, a rubric (K2's three parts), an initial world state and maybe a blueprint."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from toolforge.core.ids import content_id
from toolforge.core.types.base import Record

Difficulty = Literal["single_call", "multi_call", "clarification", "recovery", "code"]


class ExpectedCall(Record):
    """One step of the expected tool-use pattern: a tool and constraints on its arguments."""

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    optional: bool = False


class Rubric(Record):
    success_criteria: list[str]
    expected_tool_pattern: list[ExpectedCall] = Field(default_factory=list)
    ordered: bool = True
    checkpoints: list[str] = Field(default_factory=list)


class UserGoal(Record):
    """What the user wants, and the facts only the user knows (revealed when relevant)."""

    description: str
    known_facts: dict[str, Any] = Field(default_factory=dict)
    persona: str = "a busy professional"
    style: str = "brief and direct"
    opening_message: str = ""


class Blueprint(Record):
    """The ground truth: the action sequence and the world state it must end in."""

    actions: list[ExpectedCall]
    expected_end_state: dict[str, Any] = Field(default_factory=dict)
    # The ordered tool results the actions produced on the schema simulator.
    expected_results: list[Any] = Field(default_factory=list)
    final_reply: str = ""


class Task(Record):
    agent_id: str
    user_goal: UserGoal
    difficulty: Difficulty
    rubric: Rubric
    initial_state: dict[str, Any] = Field(default_factory=dict)
    blueprint: Blueprint | None = None
    source: str = "blueprint"  # "blueprint", "template", or the model that wrote it
    seed: int = 0
    domain: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    # True when the calls act on one workspace that no argument names (a code task's write a file,
    # run a command, run the tests), so a call's link to the others is the workspace, not a value.
    calls_share_workspace: bool = False

    @property
    def id(self) -> str:
        return content_id("task", self.agent_id, self.difficulty, self.seed, self.user_goal.description)
