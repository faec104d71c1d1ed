"""What a pipeline run tells about its progress, stage by stage. The run only calls these; the
command that started it decides how they show (`toolforge generate` draws bars), so no display
is built inside the orchestration."""

from __future__ import annotations

from typing import Protocol


class StageProgress(Protocol):
    def start(self, stage: str) -> None:
        """`stage` begins."""

    def grow(self, stage: str, count: int) -> None:
        """`count` more items of `stage` are coming (its total so far was not all)."""

    def advance(self, stage: str, count: int) -> None:
        """`count` items of `stage` are done."""

    def finish(self, stage: str, total: int) -> None:
        """`stage` is over, with `total` items."""


class Quiet:
    """No progress shown (tests, benchmarks, a run without a terminal)."""

    def start(self, stage: str) -> None:
        pass

    def grow(self, stage: str, count: int) -> None:
        pass

    def advance(self, stage: str, count: int) -> None:
        pass

    def finish(self, stage: str, total: int) -> None:
        pass
