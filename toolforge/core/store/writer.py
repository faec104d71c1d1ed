"""Writer tasks that batch commits: many coroutines write, one transaction per batch.

`await writer.write(item)` returns once the item is committed, so a caller that moves on after
it never loses an item to a crash (DESIGN §3: an item is committed atomically with its results).
Items that arrive while a batch is being committed go together in the next one (at most
`max_batch`); a failed batch raises in every writer that was waiting on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Generic, Self, TypeVar

from sqlmodel import SQLModel

from toolforge.core.store.store import Store

Item = TypeVar("Item")


class QueuedWriter(Generic[Item]):
    """The queue and its writer task; a subclass says how one batch is committed (`commit`, run on
    a worker thread)."""

    def __init__(self, store: Store, max_batch: int = 512) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Item, asyncio.Future[None]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def commit(self, items: list[Item]) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run(), name=f"{type(self).__name__}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._queue.join()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def write(self, item: Item) -> None:
        if self._task is None:
            raise RuntimeError(f"{type(self).__name__} is used outside `async with`")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, done))
        await done

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await asyncio.to_thread(self.commit, [item for item, _ in batch])
            except Exception as exc:  # the failure belongs to every writer in the batch
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
            finally:
                for _ in batch:
                    self._queue.task_done()


class BatchWriter(QueuedWriter[Sequence[SQLModel]]):
    """`await write(rows)`: row objects of any tables, upserted by id."""

    def commit(self, items: list[Sequence[SQLModel]]) -> None:
        self.store.upsert_rows([row for rows in items for row in rows])
