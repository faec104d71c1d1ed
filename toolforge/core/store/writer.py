"""One writer task that batches commits: many coroutines write, one transaction per batch.

`await writer.write(rows)` returns once the rows are committed, so a caller that moves on after
it never loses an item to a crash (DESIGN §3: an item is committed atomically with its results).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlmodel import SQLModel

from toolforge.core.store.store import Store


class BatchWriter:
    def __init__(self, store: Store, max_batch: int = 512) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Sequence[SQLModel], asyncio.Future[None]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> BatchWriter:
        self._task = asyncio.create_task(self._run(), name="store-writer")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._queue.join()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def write(self, rows: Sequence[SQLModel]) -> None:
        if self._task is None:
            raise RuntimeError("BatchWriter is used outside `async with`")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((rows, done))
        await done

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            rows = [row for item_rows, _ in batch for row in item_rows]
            try:
                await asyncio.to_thread(self.store.upsert_rows, rows)
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
