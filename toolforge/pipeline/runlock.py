"""One live process per run, on any number of machines: the lock is a row in the run's store.

A file lock only guards one machine; with a shared PostgreSQL store two machines could drive one
run. So the holder writes a `run_locks` row (host, pid, a random token) and refreshes its
heartbeat from a thread; the same code runs on SQLite and PostgreSQL. A lock is stale, and taken
over with a message, when its heartbeat is older than `ttl_s` (a holder that died anywhere, or is
cut off) or, on the holder's own host, at once when its process is gone (`kill -9`, a crash), so
a resume never waits. Every step is one conditional statement (insert if absent; replace only the
token read), so two contenders never both win.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from sqlalchemy import ColumnElement, delete, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import col

from toolforge.core.errors import ToolforgeError
from toolforge.core.store import RunLockRow, Store, sql_table

DEFAULT_TTL_S = 60.0
HOST = socket.gethostname()
TRIES = 5  # contenders racing for one row: each round one of them wins; a loser re-reads


class RunLocked(ToolforgeError):
    """Another live process drives this run."""


def store_now(conn: Connection) -> float:
    """The store's clock in seconds since the epoch: one clock for every machine sharing it."""
    if conn.dialect.name == "sqlite":
        return float(conn.execute(text("SELECT (julianday('now') - 2440587.5) * 86400.0")).scalar_one())
    return float(conn.execute(text("SELECT EXTRACT(EPOCH FROM clock_timestamp())")).scalar_one())


def process_gone(pid: int) -> bool:
    """Whether `pid` on this host has exited (a zombie, exited but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state == "Z"


def stale_reason(row: RunLockRow, now: float, ttl_s: float) -> str | None:
    """Why the holder `row` names no longer holds the run, or None while it does."""
    age = now - row.heartbeat_at
    if age > ttl_s:
        return f"no heartbeat for {age:.0f}s (a live holder beats every {ttl_s / 4:.0f}s)"
    if row.host == HOST and row.pid != os.getpid() and process_gone(row.pid):
        return f"its process {row.pid} on this host is gone"
    return None


def _warn(message: str) -> None:
    sys.stderr.write(f"{message}\n")
    sys.stderr.flush()


class RunLock:
    """`with RunLock(store_url, run_name):` — held for the block, released on the way out (a row
    left by a process that could not release it goes stale and is taken over)."""

    def __init__(
        self,
        store_url: str,
        run_name: str,
        ttl_s: float = DEFAULT_TTL_S,
        notify: Callable[[str], None] = _warn,
    ) -> None:
        self.store_url = store_url
        self.run_name = run_name
        self.ttl_s = ttl_s
        self.notify = notify
        self.token = uuid.uuid4().hex
        self.lost = False  # set when another process took the lock over while this one held it
        self._store: Store | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def __enter__(self) -> RunLock:
        self._store = Store(self.store_url)
        try:
            self._acquire(self._store)
        except BaseException:
            self._store.close()
            self._store = None
            raise
        self._beat = threading.Thread(target=self._heartbeat, name=f"runlock-{self.run_name}", daemon=True)
        self._beat.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
            self._beat = None
        if self._store is not None:
            try:
                with self._store.engine.begin() as conn:
                    conn.execute(delete(RunLockRow).where(*self._mine()))
            except SQLAlchemyError:
                pass  # the row goes stale after ttl_s and is taken over then
            self._store.close()
            self._store = None

    def _mine(self) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
        return col(RunLockRow.run) == self.run_name, col(RunLockRow.token) == self.token

    def _acquire(self, store: Store) -> None:
        for _ in range(TRIES):
            try:
                with store.engine.begin() as conn:
                    now = store_now(conn)
                    conn.execute(
                        sql_table(RunLockRow)
                        .insert()
                        .values(
                            run=self.run_name,
                            token=self.token,
                            host=HOST,
                            pid=os.getpid(),
                            acquired_at=now,
                            heartbeat_at=now,
                        )  # fmt: skip
                    )
                return
            except IntegrityError:
                pass  # held, or left behind: read who holds it
            with store.engine.begin() as conn:
                now = store_now(conn)
                row = conn.execute(select(RunLockRow).where(col(RunLockRow.run) == self.run_name)).first()
                if row is None:
                    continue  # released meanwhile: try the insert again
                holder = RunLockRow.model_validate(row._mapping)
                why = stale_reason(holder, now, self.ttl_s)
                if why is None:
                    raise RunLocked(self._refusal(holder, now, store))
                taken = conn.execute(
                    update(RunLockRow)
                    .where(col(RunLockRow.run) == self.run_name, col(RunLockRow.token) == holder.token)
                    .values(token=self.token, host=HOST, pid=os.getpid(), acquired_at=now, heartbeat_at=now)
                ).rowcount
            if taken == 1:
                self.notify(
                    f"run {self.run_name!r}: took over the lock of pid {holder.pid} on host {holder.host}: {why}"
                )
                return
        raise RunLocked(
            f"run {self.run_name!r}: could not take its lock in {TRIES} tries (other processes keep "
            "taking it); run again once they are done"
        )

    def _refusal(self, holder: RunLockRow, now: float, store: Store) -> str:
        return (
            f"run {self.run_name!r} is being driven by pid {holder.pid} on host {holder.host} "
            f"(heartbeat {max(0.0, now - holder.heartbeat_at):.0f}s ago; lock in {store.display_url}); "
            "wait for it to finish or stop it (Ctrl-C or SIGTERM), then run again. A holder that "
            f"died is taken over once its heartbeat is {self.ttl_s:.0f}s old (at once on its own host)"
        )

    def _heartbeat(self) -> None:
        """Refresh the heartbeat every quarter of ttl_s; a store hiccup is retried at the next
        beat (three missed beats still leave the lock fresh). A lock found taken over is told once:
        this process missed its beats for longer than ttl_s (suspended, cut off) and another took
        the run; it should be stopped."""
        assert self._store is not None
        engine = self._store.engine
        while not self._stop.wait(self.ttl_s / 4):
            try:
                with engine.begin() as conn:
                    kept = conn.execute(
                        update(RunLockRow).where(*self._mine()).values(heartbeat_at=store_now(conn))
                    ).rowcount
            except SQLAlchemyError:
                continue
            if kept == 0:
                self.lost = True
                self.notify(
                    f"warning: run {self.run_name!r}: this process (pid {os.getpid()}) lost its lock: "
                    f"its heartbeat stopped for over {self.ttl_s:.0f}s and another process took the run "
                    "over; stop this one (Ctrl-C) so that only one drives it"
                )
                return
