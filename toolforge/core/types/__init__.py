"""The shared vocabulary of toolforge (DESIGN §2). Names are a contract; fields may grow."""

from toolforge.core.types.agent import Agent
from toolforge.core.types.base import Record
from toolforge.core.types.message import FunctionCall, Message, Role, ToolCall
from toolforge.core.types.task import Blueprint, Difficulty, ExpectedCall, Rubric, Task, UserGoal
from toolforge.core.types.tool import ToolAnnotations, ToolSemantics, ToolSource, ToolSpec
from toolforge.core.types.trajectory import EndReason, Trajectory, Usage, run_key, trajectory_id
from toolforge.core.types.verdict import CheckResult, Verdict, verdict_id

__all__ = [
    "Agent",
    "Blueprint",
    "CheckResult",
    "Difficulty",
    "EndReason",
    "ExpectedCall",
    "FunctionCall",
    "Message",
    "Record",
    "Role",
    "Rubric",
    "Task",
    "ToolAnnotations",
    "ToolCall",
    "ToolSemantics",
    "ToolSource",
    "ToolSpec",
    "Trajectory",
    "Usage",
    "UserGoal",
    "Verdict",
    "run_key",
    "trajectory_id",
    "verdict_id",
]
