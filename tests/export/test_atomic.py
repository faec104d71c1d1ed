"""Exports appear whole: unique temporary names, so concurrent writers never share one."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from toolforge.export.atomic import write_atomic, write_text_atomic


def test_concurrent_writers_leave_one_whole_file_and_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "out" / "openai.jsonl"
    barrier = threading.Barrier(8)
    bodies = [f"{i}\n" * 20_000 for i in range(8)]

    def writer(i: int) -> None:
        def slow(tmp: Path) -> None:
            barrier.wait()  # every writer has its temporary file open at once
            tmp.write_text(bodies[i], encoding="utf-8")

        write_atomic(target, slow)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert target.read_text(encoding="utf-8") in bodies
    assert [p.name for p in target.parent.iterdir()] == ["openai.jsonl"]


def test_a_failed_write_keeps_the_old_file_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "stats.json"
    write_text_atomic(target, "old\n")

    def broken(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, broken)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["stats.json"]
    assert target.stat().st_mode & 0o044 == 0o044  # readable by others, like any dataset file
