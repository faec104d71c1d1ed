"""One live process per run: an exclusive lock file beside the run's store.

`flock` is released by the kernel when its holder dies (even by `kill -9`), so a stale lock
never blocks a resume; the file names the holder's pid and host for the refusal message.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from types import TracebackType

from toolforge.core.errors import ToolforgeError


class RunLocked(ToolforgeError):
    """Another live process drives this run."""


class RunLock:
    def __init__(self, path: Path, run_name: str) -> None:
        self.path = path
        self.run_name = run_name
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise RunLocked(
                f"run {self.run_name!r} is being driven by {holder} (lock {self.path}); wait for it to "
                "finish or stop it (Ctrl-C or SIGTERM), then run again"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on host {socket.gethostname()}\n".encode())
        self._fd = fd
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
