"""A judged run for the viewer: the export fixtures' store, with check reasons and a blueprint,
and a generator of many plain records for the page's speed."""

from __future__ import annotations

from typing import Any

from tests.export.export_fixtures import build
from toolforge.core.store import Store
from toolforge.core.types import (
    Agent,
    Blueprint,
    CheckResult,
    ExpectedCall,
    Message,
    Rubric,
    Task,
    ToolCall,
    Trajectory,
    UserGoal,
    Verdict,
)
from toolforge.export.records import ExportRecord


def build_run(store: Store) -> dict[str, Any]:
    """Four trajectories over three tasks (one task with two attempts: rejected, then accepted)."""
    made = build(store)
    verdicts = [
        v.model_copy(
            update={
                "checks": [
                    c.model_copy(
                        update={"reason": f"{c.check}: {'ok' if c.passed else 'the episode never ended'}"}
                    )
                    for c in v.checks
                ]
            }
        )
        for v in made["verdicts"]
    ]
    tasks = [
        t.model_copy(
            update={
                "blueprint": Blueprint(
                    actions=[ExpectedCall(name="book_room", arguments={"room": "A", "hour": 10})],
                    final_reply="Room A is booked.",
                )
            }
        )
        if t.user_goal.description.startswith("Book")
        else t
        for t in made["tasks"]
    ]
    store.put(verdicts)
    store.put(tasks)
    return {**made, "verdicts": verdicts, "tasks": tasks}


def many_records(count: int) -> list[ExportRecord]:
    """`count` judged records over count/4 tasks in five domains; every third one rejected."""
    agent = Agent(name="helper", system_prompt="You help.", tool_ids=[], tool_names=["lookup"], domain="d0")
    records = []
    for i in range(count):
        domain = f"d{i % 5}"
        task = Task(
            agent_id=agent.id,
            user_goal=UserGoal(description=f"goal {i // 4}"),
            difficulty="multi_call" if i % 2 else "single_call",
            rubric=Rubric(success_criteria=[f"criterion {i // 4}"]),
            domain=domain,
            seed=i // 4,
        )
        traj = Trajectory(
            task_id=task.id,
            agent_id=agent.id,
            attempt=i % 4,
            run_key="big",
            end_reason="user_stop",
            messages=[
                Message(role="user", content=f"please look up item {i}"),
                Message(role="assistant", tool_calls=[ToolCall.make(f"c{i}", f"tool_{i % 7}", {"item": i})]),
                Message(role="tool", tool_call_id=f"c{i}", content='{"found": true}'),
                Message(role="assistant", content=f"Item {i} is there."),
            ],
        )
        rejected = i % 3 == 0
        verdict = Verdict(
            trajectory_id=traj.id,
            checks=[
                CheckResult(check="rules", passed=True, score=1.0, reason="ok"),
                CheckResult(
                    check="grounding",
                    passed=not rejected,
                    score=0.2 if rejected else 1.0,
                    reason="an id not seen before" if rejected else "ok",
                ),
            ],
            score=0.2 if rejected else 0.9,
            accepted=not rejected,
            judge_key="j",
        )
        records.append(ExportRecord(trajectory=traj, verdict=verdict, task=task, agent=agent))
    return records
