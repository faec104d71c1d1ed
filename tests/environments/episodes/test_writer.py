"""The trajectory writer: plain column dicts that equal the model rows, committed in batches."""

from __future__ import annotations

import asyncio

import pytest

from environments.episodes.writer import TrajectoryWriter, trajectory_values
from toolforge.core.store import Store, TrajectoryRow, to_row
from toolforge.core.types import Message, ToolCall, Trajectory, Usage


def _trajectory(attempt: int, end_reason: str = "user_stop") -> Trajectory:
    call = ToolCall.make("call_0", "get_order", {"order_id": "o_1", "note": "ünïcode"})
    return Trajectory(
        task_id="task_abc",
        agent_id="agent_xyz",
        attempt=attempt,
        run_key="run_1",
        messages=[
            Message(role="system", content="You help."),
            Message(role="user", content="Where is my order?"),
            Message(role="assistant", tool_calls=[call]),
            Message(
                role="tool", tool_call_id="call_0", name="get_order", content="Error: nope", is_error=True
            ),
            Message(role="assistant", content="It could not be found."),
        ],
        tools=[{"type": "function", "function": {"name": "get_order", "parameters": {"type": "object"}}}],
        models={"agent": "openai/m"},
        usage=Usage(calls=2, prompt_tokens=10, completion_tokens=3, cost_usd=0.001),
        wall_time_s=0.25,
        end_reason=end_reason,  # type: ignore[arg-type]
        final_state={"orders": {"o_1": {"id": "o_1", "total": 1.5}}},
        metadata={"turns": 2, "tool_calls": 1},
    )


def test_values_are_the_model_row() -> None:
    traj = _trajectory(0)
    values = trajectory_values(traj)
    row = to_row(traj).model_dump()
    assert values.keys() == row.keys()
    assert {k: v for k, v in values.items() if k != "updated_at"} == {
        k: v for k, v in row.items() if k != "updated_at"
    }
    assert type(values["updated_at"]) is type(row["updated_at"])


@pytest.mark.parametrize("max_batch", [1, 512])
async def test_writes_commit_in_batches_and_read_back(store: Store, max_batch: int) -> None:
    trajectories = [_trajectory(a) for a in range(20)]
    async with TrajectoryWriter(store, max_batch=max_batch) as writer:
        await asyncio.gather(*(writer.write(trajectory_values(t)) for t in trajectories))
        await writer.write(trajectory_values(_trajectory(3, end_reason="timeout")))  # last write wins
    stored = {t.id: t for t in store.list(Trajectory)}
    expected = {t.id: t for t in trajectories}
    expected[_trajectory(3).id] = _trajectory(3, end_reason="timeout")
    assert stored == expected
    rows = {r.id: r for r in store.rows(TrajectoryRow)}
    assert rows[_trajectory(3).id].end_reason == "timeout"
    assert {(r.task_id, r.attempt, r.run_key) for r in rows.values()} == {
        ("task_abc", a, "run_1") for a in range(20)
    }


async def test_a_failed_batch_raises_in_its_writers(sqlite_store: Store) -> None:
    bad = trajectory_values(_trajectory(0))
    bad["data"] = {"not json": object()}
    async with TrajectoryWriter(sqlite_store) as writer:
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the driver raises
            await writer.write(bad)
        await writer.write(trajectory_values(_trajectory(1)))  # the writer goes on
    assert [t.attempt for t in sqlite_store.list(Trajectory)] == [1]


async def test_write_outside_the_context_is_an_error(sqlite_store: Store) -> None:
    with pytest.raises(RuntimeError, match="outside"):
        await TrajectoryWriter(sqlite_store).write(trajectory_values(_trajectory(0)))
