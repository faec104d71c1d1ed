"""Files appear whole or not at all, even when several processes export into one folder.

Each writer gets its own temporary file in the target's folder (a unique name from `tempfile`,
so two exports never write into one temporary file), then `os.replace` renames it into place —
atomic on one filesystem, and the last writer wins with a complete file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A fresh temporary file next to `path`, filled inside the block (at any pace: an export
    streams its rows into it), which then replaces `path`; removed instead when the block fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; a dataset is meant to be read by others
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """`write(tmp)` fills a fresh temporary file next to `path`, which then replaces `path`."""
    with atomic_path(path) as tmp:
        write(tmp)


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
