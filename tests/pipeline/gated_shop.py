"""The example shop, whose tool calls wait at a gate in the processes told to (cluster worker
nodes in the Ray test): so the test knows a node holds unfinished work when it kills it.

A process with `TOOLFORGE_TEST_GATE=<dir>` in its environment marks `<dir>/started-<pid>` at its
first call and waits until `<dir>/open` exists. Without the variable it is the plain shop (the
same tools, tasks and trajectories), so runs with and without a gate compare row for row.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pydantic import BaseModel

from environments.episodes.toolkit import load_toolkit

GATE_ENV = "TOOLFORGE_TEST_GATE"
SHOP_FILE = Path(__file__).resolve().parents[2] / "examples" / "domains" / "shop" / "toolkit.py"
Shop = load_toolkit(f"{SHOP_FILE}:ShopToolkit")


def wait_at_gate() -> None:
    gate = os.environ.get(GATE_ENV)
    if not gate:
        return
    (Path(gate) / f"started-{os.getpid()}").touch()
    deadline = time.monotonic() + 120
    while not (Path(gate) / "open").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # a tool blocked on a slow service; the test opens the gate


class GatedShop(Shop):  # type: ignore[misc, valid-type]
    def __init__(self, world: BaseModel) -> None:
        wait_at_gate()
        super().__init__(world)
