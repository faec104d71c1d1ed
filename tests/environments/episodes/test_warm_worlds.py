"""The warm pool of per-episode worlds: episodes that begin from the server's seed take started
worlds, each used by one episode only; an episode from another world gets its own seeded copy;
closing the pool leaves no process, folder or container behind."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from pathlib import Path

import psutil
import pytest
from world_helpers import shop_world, tool

from environments.episodes.executors.base import CallContext
from environments.episodes.executors.mcp_pool import MCPPool
from examples.mcp_servers import shop
from sandbox.docker_backend import LABEL_OWNER, DockerBackend
from sandbox.local_backend import bwrap_works

KINDS = ["bwrap", pytest.param("docker", marks=pytest.mark.docker)]


def _need(kind: str, request: pytest.FixtureRequest) -> None:
    if kind == "bwrap" and not bwrap_works():
        pytest.fail("bubblewrap is not usable: `apt-get install bubblewrap` (CI installs it)")
    if kind == "docker":
        request.getfixturevalue("docker_backend")


async def _order(pool: MCPPool, episode: str, customer: str, world: dict | None) -> dict:
    """One episode: two of a product into the cart, the order placed; its end state."""
    state: dict = {"_mcp": {"shop": world}} if world is not None else {}
    ctx = CallContext(state=state, episode_id=episode)
    product = {"cus_ada": "prd_mug", "cus_alan": "prd_lamp"}[customer]
    args = {"customer_id": customer, "product_id": product, "quantity": 2}
    assert not (await pool.execute(tool("add_to_cart"), args, ctx)).is_error
    placed = await pool.execute(tool("place_order"), {"customer_id": customer}, ctx)
    assert not placed.is_error, placed.content
    await pool.release(episode, state)
    return state["_mcp"]["shop"]


def _new_orders(world: dict) -> dict:
    return {k: v for k, v in world["orders"].items() if k not in shop.SEED["orders"]}


@pytest.mark.parametrize("kind", KINDS)
async def test_warm_episodes_each_see_only_their_own_orders(
    kind: str, request: pytest.FixtureRequest
) -> None:
    _need(kind, request)
    async with MCPPool({"shop": shop_world(sandbox=kind, warm=2)}) as pool:
        seed = await pool.fresh_world("shop")
        first = await _order(pool, "first", "cus_ada", seed)  # the second request: the pool fills now
        ada, alan = await asyncio.gather(
            _order(pool, "ada", "cus_ada", seed), _order(pool, "alan", "cus_alan", None)
        )
        warm = pool.warm["shop"]
        assert warm.taken == 2  # both concurrent episodes took started worlds
        changed = dict(
            seed, products={**seed["products"], "prd_mug": {**seed["products"]["prd_mug"], "stock": 3}}
        )
        own = await _order(pool, "own", "cus_ada", changed)  # a different world: its own seeded copy
        assert warm.taken == 2 and len(warm.idle) == 2

    for world, customer in [(first, "cus_ada"), (ada, "cus_ada"), (alan, "cus_alan")]:
        (order,) = _new_orders(world).values()  # exactly one new order: its own
        assert order["id"] == "ord_0001" and order["customer_id"] == customer
        product = order["lines"][0]["product_id"]
        was = seed["products"][product]
        assert world["products"] == {**seed["products"], product: {**was, "stock": was["stock"] - 2}}
    assert own["products"]["prd_mug"]["stock"] == 1  # 3 in its own world, minus 2


def _episode_folders(root: Path) -> set[Path]:
    return set(root.glob("mcp-episode-*"))


@pytest.mark.parametrize("kind", ["process", *KINDS])
async def test_closing_the_pool_leaves_nothing_behind(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _need(kind, request)
    # The pool's episode folders go under this test's own temp root, so that other runs on the
    # machine making their own folders in /tmp cannot fail (or hide a leak from) this check.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    me = psutil.Process()
    before_children = {p.pid for p in me.children(recursive=True)}
    before_folders = _episode_folders(tmp_path)
    async with MCPPool({"shop": shop_world(sandbox=kind, warm=3)}) as pool:
        await _order(pool, "one", "cus_ada", None)
        state: dict = {}
        ctx = CallContext(state=state, episode_id="never-released")  # an episode cut off mid-way
        await pool.execute(tool("get_product"), {"product_id": "prd_mug"}, ctx)
        assert len(pool.warm["shop"].idle) == 3  # started, some perhaps still starting
        assert _episode_folders(tmp_path) - before_folders  # the cut-off episode's folder is there
        owner = pool.owner
    left = {p.pid for p in me.children(recursive=True)} - before_children
    assert not left, [psutil.Process(p).cmdline() for p in left if psutil.pid_exists(p)]
    assert _episode_folders(tmp_path) <= before_folders
    if kind == "docker":
        backend: DockerBackend = request.getfixturevalue("docker_backend")
        listed = backend.client.containers.list(all=True, filters={"label": f"{LABEL_OWNER}={owner}"})
        assert not listed, [c.name for c in listed]
        ps = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label={LABEL_OWNER}={owner}"], capture_output=True
        )
        assert ps.stdout.strip() == b""
