"""The store, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, inspect, text

from toolforge.core.errors import StoreError
from toolforge.core.store import (
    BatchWriter,
    FailureRow,
    LLMCacheRow,
    LLMCallRow,
    Store,
    ToolRow,
    TrajectoryRow,
    to_row,
)
from toolforge.core.types import Message, ToolSpec, Trajectory


def tool(name: str, description: str = "d") -> ToolSpec:
    return ToolSpec(
        name=name, description=description, input_schema={"type": "object"}, source="mcp", origin="srv"
    )


def trajectory(task: str, attempt: int) -> Trajectory:
    return Trajectory(
        task_id=task,
        agent_id="a",
        attempt=attempt,
        messages=[Message(role="user", content=f"{task}/{attempt}")],
        end_reason="agent_stop",
    )


def test_upsert_is_idempotent_and_updates(store: Store) -> None:
    store.put([tool("a"), tool("b")])
    store.put([tool("a"), tool("b")])
    assert store.count(ToolRow) == 2
    store.put([tool("a", description="new")])
    assert store.get(ToolSpec, tool("a").id).description == "new"
    assert store.count(ToolRow) == 2


def test_stored_attempts_of_some_tasks_are_theirs_only(store: Store) -> None:
    store.put([trajectory(f"task{i:04d}", a) for i in range(1200) for a in range(2)])
    every = store.stored_attempts("")
    assert len(every) == 2400
    some = {f"task{i:04d}" for i in range(0, 1200, 2)} | {"task9999"}  # over one query's 500 ids
    mine = store.stored_attempts("", some)
    assert mine == {key: traj_id for key, traj_id in every.items() if key[0] in some}
    assert len(mine) == 1200
    assert store.stored_attempts("another run", some) == {}


def test_status_columns_and_filters(store: Store) -> None:
    store.put([tool("good")])
    store.put([tool("bad")], status="rejected", reason="root type is not object")
    rejected = store.tool_rows(status="rejected")
    assert [r.name for r in rejected] == ["bad"]
    assert rejected[0].reason == "root type is not object"
    assert [t.name for t in store.list(ToolSpec, status="ok")] == ["good"]


def test_same_id_twice_in_one_batch_keeps_the_last(store: Store) -> None:
    store.upsert_rows([to_row(tool("a", "first")), to_row(tool("a", "second"))])
    assert store.get(ToolSpec, tool("a").id).description == "second"


def test_batch_writer_commits_before_returning(store: Store) -> None:
    async def main() -> None:
        async with BatchWriter(store, max_batch=16) as writer:
            await asyncio.gather(*(writer.write([to_row(trajectory("t", i))]) for i in range(100)))
            # Returned means committed: a separate connection sees every row.
            assert store.count(TrajectoryRow) == 100

    asyncio.run(main())
    assert {t.attempt for t in store.list(Trajectory, task_id="t")} == set(range(100))


def test_batch_writer_reports_a_failed_batch_to_its_writers(store: Store) -> None:
    bad = ToolRow(id="x", name="x", source="mcp", origin="o", fingerprint="f", data=None)
    bad.data = {"not": {1, 2}}  # a set is not JSON: the commit fails

    async def main() -> None:
        async with BatchWriter(store) as writer:
            with pytest.raises(Exception, match="set"):
                await writer.write([bad])

    asyncio.run(main())
    assert store.count(ToolRow) == 0


def test_failures_are_rows(store: Store) -> None:
    store.record_failure("synthesize", "tool_x", "reply was not JSON", raw="{oops", run_id="r1")
    (row,) = store.rows(FailureRow, run_id="r1")
    assert (row.stage, row.reason, row.raw) == ("synthesize", "reply was not JSON", "{oops")


def test_table_counts_name_every_table(store: Store) -> None:
    store.put([tool("a")])
    counts = store.table_counts()
    assert counts["tools"] == 1
    assert {
        "agents",
        "tasks",
        "trajectories",
        "verdicts",
        "runs",
        "llm_cache",
        "llm_calls",
        "failures",
    } <= set(counts)


def test_bad_url_names_the_fix() -> None:
    with pytest.raises(StoreError, match="TOOLFORGE_DB"):
        Store("postgresql://nobody@127.0.0.1:1/none")


def test_password_is_masked_in_display_url(postgres_url: str) -> None:
    url = postgres_url.replace("postgres@", "postgres:s3cret-pw@")
    store = Store(url)
    try:
        assert "s3cret-pw" not in store.display_url
    finally:
        store.close()


def test_bulk_upserts_round_trip_every_column_type(store: Store) -> None:
    """`upsert_values` hands rows to the driver itself (JSON, booleans, datetimes converted by
    the column types' own processors): what comes back through the ORM is what went in."""
    when = datetime(2026, 11, 29, 6, 30, 1, 123456, tzinfo=UTC)
    response = {"choices": [{"message": {"content": "héllo ✓", "tool_calls": []}}], "n": 2**40, "x": 0.1}
    call = {
        "id": "call_1", "run_id": "r", "role": "agent", "model": "m", "prompt_tokens": 7,
        "completion_tokens": 3, "cost_usd": 0.25, "latency_s": 0.1, "retries": 2, "cached": True,
        "ok": False, "error": "HTTP 500", "created_at": when,
    }  # fmt: skip
    store.upsert_tables(
        {
            LLMCallRow: [call, {**call, "id": "call_2", "error": None, "ok": True, "cached": False}],
            LLMCacheRow: [{"key": "k1", "model": "m", "response": response, "created_at": when}],
        }
    )
    store.upsert_values(LLMCallRow, [{**call, "retries": 3}])  # an upsert: the row is replaced
    rows = {r.id: r for r in store.rows(LLMCallRow, run_id="r")}
    assert set(rows) == {"call_1", "call_2"}
    first = rows["call_1"]
    assert (first.retries, first.cached, first.ok, first.error, first.cost_usd) == (
        3,
        True,
        False,
        "HTTP 500",
        0.25,
    )
    assert first.created_at.replace(tzinfo=UTC) == when
    assert rows["call_2"].error is None and rows["call_2"].ok is True
    assert store.cache_get("k1") == response
    assert store.cache_get_many(["k1", "missing"]) == {"k1": response}
    if store.inline is not None:
        assert store.inline.lookup("k1") == (True, response)
        assert store.inline.lookup("missing") == (True, None)


def test_a_bulk_row_missing_a_column_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="llm_cache has no value for column 'created_at'"):
        store.upsert_values(LLMCacheRow, [{"key": "k", "model": "m", "response": {}}])
    assert store.cache_get("k") is None


def test_inline_sqlite_writes_and_steps_aside_when_another_process_holds_the_lock(
    sqlite_store: Store, tmp_path: Path
) -> None:
    inline = sqlite_store.inline
    assert inline is not None
    when = datetime(2026, 11, 29, tzinfo=UTC)
    row = {"key": "k", "model": "m", "response": {"a": 1}, "created_at": when}
    assert inline.try_upsert({LLMCacheRow: [row]})
    other = sqlite3.connect(tmp_path / "toolforge.db")  # another writer, as another process would be
    other.execute("BEGIN IMMEDIATE")
    start = time.perf_counter()
    assert not inline.try_upsert({LLMCacheRow: [{**row, "key": "k2"}]})
    assert time.perf_counter() - start < 1  # told at once, not after the 30 s busy timeout
    other.rollback()
    other.close()
    assert inline.try_upsert({LLMCacheRow: [{**row, "key": "k2"}]})
    assert set(sqlite_store.cache_get_many(["k", "k2"])) == {"k", "k2"}
    with pytest.raises(ValueError, match="no value for column 'created_at'"):
        inline.try_upsert({LLMCacheRow: [{"key": "k3", "model": "m", "response": {}}]})
    assert inline.try_upsert(
        {LLMCacheRow: [{**row, "key": "k4"}]}
    )  # the failed batch left no transaction open
    assert sqlite_store.cache_get("k3") is None


def test_a_units_reads_find_its_own_tasks_only(store: Store) -> None:
    """A cluster node's unit asks for its tasks' rows, whatever else the run holds (more than one
    500-value chunk, so the chunking is exercised too)."""
    store.put([trajectory(f"t{i}", attempt) for i in range(600) for attempt in (0, 1)])
    mine = [f"t{i}" for i in range(0, 600, 2)]
    found = store.list_in(Trajectory, "task_id", mine, attempt=1)
    assert sorted(t.task_id for t in found) == sorted(mine)
    assert {t.attempt for t in found} == {1}
    assert store.ids_in(Trajectory, "task_id", ["t1", "t3", "nope"]) == {
        t.id for t in store.list(Trajectory) if t.task_id in ("t1", "t3")
    }
    run_key = store.list(Trajectory, limit=1)[0].run_key
    attempts = store.stored_attempts(run_key, ["t5", "t7", "nope"])
    assert sorted(attempts) == [("t5", 0), ("t5", 1), ("t7", 0), ("t7", 1)]
    assert len(store.stored_attempts(run_key)) == 1200


def test_a_batchs_reads_cost_the_same_in_a_small_and_a_large_run(sqlite_store: Store) -> None:
    """What sampling reads of a batch of tasks (their stored attempts, then one attempt of each)
    seeks those tasks' rows: the SQLite statements it runs take about as many steps when the run
    holds twenty times more trajectories (a scan of the run's rows would take twenty times more)."""
    steps = [0]

    def count(dbapi_connection: sqlite3.Connection, *_: object) -> None:
        def step() -> int:
            steps[0] += 1
            return 0  # go on

        dbapi_connection.set_progress_handler(step, 100)

    event.listen(sqlite_store.engine, "checkout", count)
    batch = [f"t{i:05d}" for i in range(0, 200, 2)]

    def cost() -> int:
        steps[0] = 0
        assert len(sqlite_store.stored_attempts("", batch)) == 2 * len(batch)
        assert len(sqlite_store.list_in(Trajectory, "task_id", batch, run_key="", attempt=1)) == len(batch)
        return steps[0]

    sqlite_store.put([trajectory(f"t{i:05d}", a) for i in range(200) for a in (0, 1)])
    small = cost()
    sqlite_store.put([trajectory(f"t{i:05d}", a) for i in range(200, 4000) for a in (0, 1)])
    assert cost() < 1.5 * small


def test_an_index_added_since_a_store_was_made_is_made_when_it_opens(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_trajectories_task_run_attempt"))
    assert "ix_trajectories_task_run_attempt" not in {
        i["name"] for i in inspect(store.engine).get_indexes("trajectories")
    }
    url = store.engine.url.render_as_string(hide_password=False)
    again = Store(url)
    try:
        Store(url).close()  # and once more: it is there now, and opening is no error
        assert "ix_trajectories_task_run_attempt" in {
            i["name"] for i in inspect(again.engine).get_indexes("trajectories")
        }
    finally:
        again.close()
