"""The rubric check: an LLM judge gives one structured verdict per rubric item.

Items are the task's success criteria, its expected tool-use pattern (one item), its checkpoints,
and K2's core criteria (clarity, relevance, fluency, objectivity). The reply is one JSON object
with a field per item (`item_1`, `item_2`, ...), each `{reasoning, met}`: the schema fixes the
number of verdicts, so constrained decoding cannot skip or add one. Prompts are data files in
`judges/prompts/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from judges.config import RubricConfig
from toolforge.core.llm.config import LLMConfig
from toolforge.core.llm.protocols import StructuredModel
from toolforge.core.types import CheckResult, Message, Task, Trajectory

PROMPTS = Path(__file__).parent / "prompts"


@dataclass(frozen=True)
class RubricItem:
    key: str
    kind: str  # "success", "pattern", "checkpoint" or "general"
    text: str


@cache
def _prompt(name: str) -> str:
    return (PROMPTS / name).read_text(encoding="utf-8")


@cache
def general_criteria() -> dict[str, str]:
    return yaml.safe_load(_prompt("general_criteria.yaml"))


def rubric_items(task: Task, cfg: RubricConfig) -> list[RubricItem]:
    texts: list[tuple[str, str]] = [("success", c) for c in task.rubric.success_criteria]
    pattern = task.rubric.expected_tool_pattern
    if pattern:
        steps = [
            f"{c.name}({json.dumps(c.arguments, sort_keys=True)})" + (" [optional]" if c.optional else "")
            for c in pattern
        ]
        order = "in this order" if task.rubric.ordered else "in any order"
        texts.append(("pattern", f"Tool use follows the expected pattern ({order}): " + " -> ".join(steps)))
    texts += [("checkpoint", c) for c in task.rubric.checkpoints]
    criteria = general_criteria()
    texts += [("general", criteria[name]) for name in cfg.general_criteria]
    texts = [(kind, text) for kind, text in texts if kind in cfg.item_kinds]
    return [
        RubricItem(key=f"item_{i}", kind=kind, text=text) for i, (kind, text) in enumerate(texts, start=1)
    ]


def verdict_model(items: list[RubricItem], cfg: RubricConfig) -> type[BaseModel]:
    """The reply's schema: one `{reasoning, met}` field per item, in item order."""
    reasoning = Annotated[str, StringConstraints(max_length=cfg.max_reasoning_chars)]
    item_model = create_model(
        "ItemVerdict",
        __config__=ConfigDict(extra="forbid"),
        reasoning=(reasoning, Field(description="one or two sentences")),
        met=(bool, ...),
    )
    fields: dict[str, Any] = {item.key: (item_model, Field(description=item.text)) for item in items}
    return create_model("RubricVerdict", __config__=ConfigDict(extra="forbid"), **fields)


def judge_messages(
    traj: Trajectory, task: Task, items: list[RubricItem], cfg: RubricConfig
) -> list[dict[str, str]]:
    tools = (
        "\n".join(
            f"- {t['function']['name']}: {t['function'].get('description', '')}".rstrip() for t in traj.tools
        )
        or "(none)"
    )
    body = Template(_prompt("rubric_user.md")).substitute(
        goal=task.user_goal.description,
        difficulty=task.difficulty,
        tools=tools,
        transcript=transcript(traj.messages, cfg),
        items="\n".join(f"{item.key} ({item.kind}): {item.text}" for item in items),
    )
    return [
        {"role": "system", "content": _prompt("rubric_system.md").strip()},
        {"role": "user", "content": body},
    ]


def transcript(messages: list[Message], cfg: RubricConfig) -> str:
    """The conversation as compact text, each message and the whole cut to the configured size."""

    def cut(text: str) -> str:
        limit = cfg.max_message_chars
        return text if len(text) <= limit else text[: limit - 3] + "..."

    lines: list[str] = []
    for message in messages:
        if message.role == "system":
            lines.append(f"SYSTEM: {cut(message.content or '')}")
        elif message.role == "user":
            lines.append(f"USER: {cut(message.content or '')}")
        elif message.role == "assistant":
            if message.content:
                lines.append(f"ASSISTANT: {cut(message.content)}")
            for call in message.tool_calls or []:
                lines.append(f"ASSISTANT CALLS {call.name}({cut(call.function.arguments)})")
        else:
            status = "ERROR" if message.is_error else "RESULT"
            lines.append(f"TOOL {status}: {cut(message.content or '')}")
    text = "\n".join(lines)
    if len(text) > cfg.max_transcript_chars:
        half = cfg.max_transcript_chars // 2
        text = text[:half] + "\n[... transcript cut ...]\n" + text[-half:]
    return text


def score_items(items: list[RubricItem], reply: BaseModel, cfg: RubricConfig) -> CheckResult:
    verdicts = []
    total = weight_sum = 0.0
    for item in items:
        verdict = getattr(reply, item.key)
        weight = cfg.weights.get(item.kind, 1.0)
        total += weight * verdict.met
        weight_sum += weight
        verdicts.append(
            {
                "key": item.key,
                "kind": item.kind,
                "text": item.text,
                "met": verdict.met,
                "reasoning": verdict.reasoning,
            }
        )
    score = total / weight_sum if weight_sum else 1.0
    unmet_success = [v for v in verdicts if v["kind"] == "success" and not v["met"]]
    passed = not unmet_success and score >= cfg.pass_score
    unmet = [v for v in verdicts if not v["met"]]
    if passed:
        reason = f"{len(verdicts) - len(unmet)}/{len(verdicts)} rubric items met"
    else:
        reason = "unmet: " + "; ".join(f"{v['kind']}: {v['text'][:80]}" for v in (unmet_success or unmet)[:3])
    return CheckResult(
        check="rubric", passed=passed, score=round(score, 4), reason=reason, details={"items": verdicts}
    )


async def check_rubric(
    traj: Trajectory,
    task: Task,
    cfg: RubricConfig,
    llm: StructuredModel,
    llm_cfg: LLMConfig,
    *,
    cache_salt: str = "",
) -> CheckResult:
    """Ask the judge model; raises the client's error (StructuredOutputError, LLMError) on failure."""
    items = rubric_items(task, cfg)
    reply = await llm.structured(
        llm_cfg,
        judge_messages(traj, task, items, cfg),
        verdict_model(items, cfg),
        role=cfg.role,
        cache_salt=cache_salt,
        item_id=traj.id,
    )
    return score_items(items, reply, cfg)
