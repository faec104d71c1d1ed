"""`running_loop`: the running loop, as `asyncio.get_running_loop` gives it, in every situation."""

from __future__ import annotations

import asyncio
import threading

import pytest

from toolforge.core.aio import loop_factory, run, running_loop


def test_running_loop_follows_each_new_loop_and_each_thread() -> None:
    async def both() -> tuple[asyncio.AbstractEventLoop, asyncio.AbstractEventLoop]:
        return running_loop(), asyncio.get_running_loop()

    seen = []
    for kind in ("uvloop", "asyncio", "uvloop"):  # a new loop in the same thread each time
        ours, asyncio_s = run(both(), kind)
        assert ours is asyncio_s
        seen.append(ours)
    assert len({id(loop) for loop in seen}) == 3

    answers: dict[str, bool] = {}

    def other_thread() -> None:
        loop = loop_factory()()
        try:
            ours, asyncio_s = loop.run_until_complete(both())
            answers["same"] = ours is asyncio_s and ours is loop
        finally:
            loop.close()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert answers == {"same": True}


def test_running_loop_outside_a_loop_raises_like_asyncio() -> None:
    run(asyncio.sleep(0))  # a loop was seen in this thread, and has stopped
    with pytest.raises(RuntimeError):
        running_loop()
