"""SIGKILL `toolforge rollout` mid-run, run it again: every task ends with exactly its attempts,
none duplicated, none lost. The agent is a model on the loopback server (latency keeps the run
long enough to be killed in the middle)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from environments.tasking.agents import AgentGenConfig, generate_agents
from environments.tasking.tasks import TaskGenConfig, generate_tasks
from toolforge.core.store import Store, TrajectoryRow
from toolforge.core.types import ToolSpec
from toolforge_testing.llm_server import TestServer

REPO = Path(__file__).resolve().parents[3]
ATTEMPTS = 3


def _count(store: Store) -> int:
    return store.count(TrajectoryRow)


@pytest.mark.slow
async def test_sigkill_mid_rollout_then_rerun_loses_and_duplicates_nothing(
    tmp_path: Path, tickets: list[ToolSpec]
) -> None:
    url = f"sqlite:///{tmp_path / 'run.db'}"
    store = Store(url)
    store.put(tickets)
    agents = await generate_agents(store, tickets, AgentGenConfig(count=4, min_tools=3, max_tools=5))
    tasks = await generate_tasks(store, agents, tickets, TaskGenConfig(per_difficulty=3))
    expected = len(tasks) * ATTEMPTS
    assert expected >= 120

    server = TestServer(latency_ms=40, record=False)
    server.start()
    try:
        cmd = [
            sys.executable, "-m", "toolforge.cli", "rollout", "--db", url, "--attempts", str(ATTEMPTS),
            "--policy", "llm", "--agent-model", "openai/test", "--api-base", server.url, "--max-in-flight", "2",
        ]  # fmt: skip
        env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        with subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        ) as proc:  # its exit closes the stderr pipe
            try:
                deadline = time.monotonic() + 120
                while _count(store) < 15:  # poll the store until the run is well under way
                    assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
                    assert time.monotonic() < deadline, "the rollout stored nothing within 120 s"
                    time.sleep(0.02)
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
            finally:
                proc.kill()  # a no-op once it has exited; after a failure above it must not outlive the test
        assert proc.returncode == -signal.SIGKILL
        killed_at = _count(store)
        assert 0 < killed_at < expected, f"not killed mid-run: {killed_at} of {expected}"

        done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "already stored" in done.stdout
    finally:
        server.stop()

    rows = store.rows(TrajectoryRow)
    assert len(rows) == expected
    per_task = Counter(r.task_id for r in rows)
    assert set(per_task) == {t.id for t in tasks}
    assert set(per_task.values()) == {ATTEMPTS}
    pairs = Counter((r.task_id, r.attempt) for r in rows)
    assert max(pairs.values()) == 1 and {a for _, a in pairs} == set(range(ATTEMPTS))
    assert len({r.run_key for r in rows}) == 1
    store.close()
