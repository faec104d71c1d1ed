"""Tar archives in memory: how files cross into and out of a sandbox (the same on every backend)."""

from __future__ import annotations

import io
import posixpath
import tarfile
import time
from collections.abc import Mapping


def safe_relpath(path: str) -> str:
    """Normalise a workdir-relative path; refuse ones that climb out of it."""
    norm = posixpath.normpath(path)
    if norm.startswith("/") or norm == ".." or norm.startswith("../") or norm in ("", "."):
        raise ValueError(f"{path!r} is not a path inside the workdir: use a relative path without '..'")
    return norm


def pack(files: Mapping[str, bytes | str], uid: int, gid: int) -> bytes:
    """A tar of `files` (relative paths), owned by uid:gid, mode 0644 (0755 for *.sh)."""
    buf = io.BytesIO()
    now = int(time.time())
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(safe_relpath(name))
            info.size = len(data)
            info.mtime = now
            info.uid, info.gid = uid, gid
            info.mode = 0o755 if name.endswith(".sh") else 0o644
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def unpack_one(data: bytes, max_bytes: int) -> bytes:
    """The content of the single regular file in a tar stream (at most `max_bytes` of it)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tf:
        for member in tf:
            if member.isfile():
                fh = tf.extractfile(member)
                assert fh is not None
                return fh.read(max_bytes)
            if member.isdir():
                raise IsADirectoryError(member.name)
    raise FileNotFoundError("the archive holds no regular file")
