"""SIGKILL `toolforge generate` at five random moments, re-run each time: the final dataset (and
the store's trajectories and verdicts) equals that of an uninterrupted run of the same config.

The moments are drawn over the run's progress (stored trajectories + verdicts), so every kill
lands while episodes are being played or judged, not during the imports."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pipeline_configs import REPO, small, write

from toolforge.core.store import Store
from toolforge.core.types import Trajectory, Verdict

TEXT_FILES = ["openai.jsonl", "sharegpt.jsonl", "k2.jsonl", "README.md", "stats.json"]
DEADLINE_S = 240


def config(tmp_path: Path, name: str) -> Path:
    data = small(tmp_path / name)
    data["agents"]["count"] = 5
    data["tasks"]["difficulties"] = ["single_call", "multi_call", "clarification", "recovery"]
    return write(tmp_path / f"{name}.yaml", data)


def start(config_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "toolforge.cli", "generate", "--config", str(config_path), "--no-progress"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish(config_path: Path) -> None:
    proc = start(config_path)
    _, err = proc.communicate(timeout=DEADLINE_S)
    assert proc.returncode == 0, err.decode()[-2000:]


def progress(workspace: Path) -> int:
    """Trajectories plus verdicts stored so far (read-only, beside the writer)."""
    db = workspace / "toolforge.db"
    if not db.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
            return sum(
                conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("trajectories", "verdicts")
            )
    except sqlite3.OperationalError:  # the tables are not created yet
        return 0


def store_content(workspace: Path) -> tuple[dict[str, object], dict[str, object]]:
    store = Store(f"sqlite:///{workspace / 'toolforge.db'}")
    try:
        trajectories = {
            t.id: (t.messages, t.final_state, t.end_reason, t.tools) for t in store.list(Trajectory)
        }
        verdicts = {v.id: v.model_dump() for v in store.list(Verdict)}
    finally:
        store.close()
    return trajectories, verdicts


def run_and_kill_at(config_path: Path, workspace: Path, target: int) -> int | None:
    """Start a run and SIGKILL it once `target` items are stored; the count then, or None if it
    finished first."""
    with start(config_path) as proc:  # its exit closes the stderr pipe
        try:
            deadline = time.monotonic() + DEADLINE_S
            while proc.poll() is None and progress(workspace) < target:
                assert time.monotonic() < deadline, "the run made no progress before the deadline"
                time.sleep(0.005)  # polling the store, not waiting for a guess
            if proc.poll() is not None:
                assert proc.returncode == 0, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
                return None
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            proc.kill()  # a no-op once it has exited; after a failure above it must not outlive the test
    return progress(workspace)


@pytest.mark.slow
def test_sigkill_at_five_random_moments_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    finish(config(tmp_path, "reference"))
    total = progress(tmp_path / "reference")
    assert total > 20

    killed, workspace = config(tmp_path, "killed"), tmp_path / "killed"
    rng = random.Random(20260731)
    kills: list[int] = []
    for _ in range(5):
        done = progress(workspace)
        if done >= total - 1:
            break
        at = run_and_kill_at(killed, workspace, rng.randint(done + 1, total - 1))
        if at is not None:
            kills.append(at)
    # Items are committed in batches, so a kill aimed just below the end can land after the last
    # batch (all items stored, the export not yet written): a real moment too, but not mid-stage.
    mid_run = [k for k in kills if 0 < k < total]
    assert len(mid_run) >= 3 and all(0 < k <= total for k in kills), (kills, total)
    finish(killed)

    ref_dir, got_dir = tmp_path / "reference" / "dataset" / "small", workspace / "dataset" / "small"
    for name in TEXT_FILES:
        assert (got_dir / name).read_bytes() == (ref_dir / name).read_bytes(), name
    ref_table = pq.read_table(ref_dir / "data" / "train.parquet")
    assert ref_table.num_rows > 0
    assert pq.read_table(got_dir / "data" / "train.parquet").equals(ref_table)

    ref_trajs, ref_verdicts = store_content(tmp_path / "reference")
    got_trajs, got_verdicts = store_content(workspace)
    assert sorted(got_trajs) == sorted(ref_trajs)
    differing = [i for i in ref_trajs if got_trajs[i] != ref_trajs[i]]
    assert not differing, [(got_trajs[i], ref_trajs[i]) for i in differing[:1]]
    assert sorted(got_verdicts) == sorted(ref_verdicts)
    differing = [i for i in ref_verdicts if got_verdicts[i] != ref_verdicts[i]]
    assert not differing, [(got_verdicts[i], ref_verdicts[i]) for i in differing[:1]]
