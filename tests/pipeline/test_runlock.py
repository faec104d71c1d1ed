"""The run lock lives in the store, so it holds across machines sharing one: real processes
contend for it on SQLite and on PostgreSQL; a dead holder (kill -9) is taken over at once on its
own host, a silent one (its heartbeat stopped, as on another machine) once the heartbeat expires."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from toolforge.core.store import RunLockRow, Store
from toolforge.pipeline.runlock import RunLock, RunLocked

HOLDER = Path(__file__).with_name("lock_holder.py")
REPO = Path(__file__).resolve().parents[2]
START_S = 120  # importing toolforge in a fresh process takes a while on a loaded machine


def holder(url: str, run: str, ttl_s: float, hold_s: float = 120) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HOLDER), url, run, str(ttl_s), str(hold_s)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_locked(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the holder prints, or exits
    assert line.strip() == "locked", (
        line,
        proc.poll(),
        proc.stderr.read() if proc.poll() is not None else "",
    )


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=30)  # reaps it and closes its pipes


def test_a_live_holder_refuses_others_and_a_killed_one_is_taken_over_at_once(store: Store) -> None:
    run = f"lock-{uuid.uuid4().hex[:6]}"
    first = holder(store.url, run, ttl_s=60)
    try:
        wait_locked(first)
        with pytest.raises(RunLocked, match=f"pid {first.pid} on host"):
            RunLock(store.url, run).__enter__()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        notes: list[str] = []
        with RunLock(store.url, run, notify=notes.append):
            (row,) = store.rows(RunLockRow, run=run)
            assert row.pid == os.getpid()
        assert notes == [f"run {run!r}: took over the lock of pid {first.pid} on host {row.host}: "
                         f"its process {first.pid} on this host is gone"]  # fmt: skip
        assert store.rows(RunLockRow, run=run) == []  # released on the way out
    finally:
        stop(first)


def test_a_silent_holder_is_taken_over_when_its_heartbeat_expires_and_is_told(store: Store) -> None:
    """SIGSTOP freezes the holder, alive, as a machine cut off from the store looks: only the
    heartbeat can tell. Resumed, it finds its lock gone, says so and stops holding."""
    run = f"lock-{uuid.uuid4().hex[:6]}"
    first = holder(store.url, run, ttl_s=1.0)
    try:
        wait_locked(first)
        first.send_signal(signal.SIGSTOP)
        notes: list[str] = []
        deadline = time.monotonic() + 30
        lock = None
        while lock is None:
            try:
                lock = RunLock(store.url, run, ttl_s=1.0, notify=notes.append).__enter__()
            except RunLocked:
                assert time.monotonic() < deadline, "the stale lock was never taken over"
                time.sleep(0.2)
        assert len(notes) == 1 and f"pid {first.pid}" in notes[0] and "no heartbeat for" in notes[0]
        first.send_signal(signal.SIGCONT)
        out, err = first.communicate(timeout=60)
        assert first.returncode == 3 and "lost" in out
        assert "lost its lock" in err and "another process took the run over" in err
        (row,) = store.rows(RunLockRow, run=run)  # the old holder's exit left the new lock alone
        assert row.token == lock.token
        lock.__exit__(None, None, None)
    finally:
        if first.poll() is None:
            first.send_signal(signal.SIGCONT)
        stop(first)


def test_two_processes_racing_for_one_run_get_one_lock(store: Store) -> None:
    run = f"lock-{uuid.uuid4().hex[:6]}"
    racers = [holder(store.url, run, ttl_s=60) for _ in range(2)]
    try:
        deadline = time.monotonic() + START_S + 60
        while all(proc.poll() is None for proc in racers):  # the loser exits, refused
            assert time.monotonic() < deadline, "neither racer was refused"
            time.sleep(0.1)
        loser = next(proc for proc in racers if proc.poll() is not None)
        winner = next(proc for proc in racers if proc is not loser)
        _, refusal = loser.communicate(timeout=30)
        assert loser.returncode == 2 and f"is being driven by pid {winner.pid} on host" in refusal
        wait_locked(winner)
    finally:
        for proc in racers:
            stop(proc)
