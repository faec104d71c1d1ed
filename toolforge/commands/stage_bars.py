"""The bars `toolforge generate` draws, one per stage, fed by the run's progress reports
(`toolforge.pipeline.progress.StageProgress`)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

STAGES = ("tools", "agents", "tasks", "rollouts", "judges")


class StageBars:
    """A bar per stage; a stage's bar starts its clock when the stage starts. Nothing is drawn
    before the first stage starts (a run refused at its lock shows no bars)."""

    def __init__(self, console: Console) -> None:
        self.bars = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.ids: dict[str, TaskID] = {
            name: self.bars.add_task(name, total=None, start=False) for name in STAGES
        }
        self.totals: dict[str, int] = dict.fromkeys(STAGES, 0)
        self.shown = False

    def __enter__(self) -> StageBars:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.shown:
            self.bars.__exit__(kind, exc, tb)

    def start(self, stage: str) -> None:
        if not self.shown:
            self.bars.__enter__()
            self.shown = True
        self.bars.start_task(self.ids[stage])

    def grow(self, stage: str, count: int) -> None:
        self.totals[stage] += count
        self.bars.update(self.ids[stage], total=self.totals[stage])

    def advance(self, stage: str, count: int) -> None:
        self.bars.advance(self.ids[stage], count)

    def finish(self, stage: str, total: int) -> None:
        self.bars.update(self.ids[stage], total=max(total, 1), completed=max(total, 1))
