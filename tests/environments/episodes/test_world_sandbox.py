"""Per-episode worlds in their sandboxes: the shop server in each kind ends an episode in the same
state as unsandboxed; inside bubblewrap or docker a server reaches no network and writes nothing
outside its episode folder; a sandbox that cannot start fails naming the server and the fix."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from world_helpers import order_episode, probe_world, readable_dir, shop_tools, shop_world, tool

from environments.episodes.config import MCPServerConfig, RolloutConfig
from environments.episodes.executors.base import CallContext
from environments.episodes.executors.mcp_pool import MCPPool
from environments.episodes.parallel import run_episodes
from environments.episodes.worlds import world_servers
from examples.mcp_servers import shop
from sandbox.docker_backend import DockerBackend
from sandbox.local_backend import bwrap_works
from toolforge.core.errors import ConfigError
from toolforge.core.store import Store
from toolforge.core.types import Trajectory
from toolforge.tools.servers import parse_servers

KINDS = ["process", "bwrap", pytest.param("docker", marks=pytest.mark.docker)]


def _need(kind: str, request: pytest.FixtureRequest) -> None:
    if kind == "bwrap" and not bwrap_works():
        pytest.fail("bubblewrap is not usable: `apt-get install bubblewrap` (CI installs it)")
    if kind == "docker":
        request.getfixturevalue("docker_backend")  # fails loudly without an engine or the image


async def _end_state(store: Store, config: MCPServerConfig) -> dict[str, object]:
    tools = await shop_tools()
    agent, task = order_episode(tools, "cus_ada", "prd_mug")
    summary = await run_episodes(store, [task], [agent], tools, RolloutConfig(mcp_servers={"shop": config}))
    assert summary.end_reasons == {"user_stop": 1}
    (traj,) = store.list(Trajectory)
    assert not any(m.is_error for m in traj.messages if m.role == "tool")
    return traj.final_state["_mcp"]["shop"]


@pytest.mark.parametrize("kind", KINDS)
async def test_an_episode_ends_in_the_same_state_as_unsandboxed(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    _need(kind, request)
    plain = await _end_state(Store(f"sqlite:///{tmp_path / 'plain.db'}"), shop_world(sandbox="none", warm=0))
    boxed = await _end_state(Store(f"sqlite:///{tmp_path / 'boxed.db'}"), shop_world(sandbox=kind, warm=0))
    assert boxed == plain
    assert boxed["products"]["prd_mug"]["stock"] == shop.SEED["products"]["prd_mug"]["stock"] - 2
    assert boxed["orders"]["ord_0001"]["customer_id"] == "cus_ada"


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP port listening on the host's loopback: a sandboxed server must not reach it."""
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def folders() -> Iterator[tuple[Path, Path]]:
    code, outside = readable_dir(), readable_dir(0o777)  # outside: writable by anyone, if reachable
    yield code, outside
    shutil.rmtree(code)
    shutil.rmtree(outside)


def _tmp_name(outside: Path) -> str:
    return f"{outside.parent.name}.escaped"


async def _probe(config: MCPServerConfig, port: int, outside: Path) -> tuple[dict[str, object], dict]:
    """The probe's report from one episode: connect to the port, write `outside` and a file in
    the host's /tmp named like it."""
    state: dict = {}
    async with MCPPool({"probe": config}) as pool:
        ctx = CallContext(state=state, episode_id="probe-episode")
        arguments = {
            "host": "127.0.0.1",
            "port": port,
            "outside": str(outside),
            "tmp_name": _tmp_name(outside),
        }
        result = await pool.execute(tool("probe", "probe"), arguments, ctx)
        await pool.release("probe-episode", state)
    assert not result.is_error, result.content
    return result.structured, state


async def test_the_probe_can_do_both_without_a_sandbox(listener: int, folders: tuple[Path, Path]) -> None:
    code, outside = folders
    report, _ = await _probe(probe_world(code, sandbox="none"), listener, outside / "escaped.txt")
    assert report["connect"] == "ok" and report["write_outside"] == "ok" and report["write_tmp"] == "ok"
    assert (outside / "escaped.txt").read_text() == "escaped"  # so the checks below mean something
    Path("/tmp", _tmp_name(outside / "escaped.txt")).unlink()


@pytest.mark.parametrize("kind", ["bwrap", pytest.param("docker", marks=pytest.mark.docker)])
async def test_a_sandboxed_server_reaches_no_network_and_writes_only_its_folder(
    kind: str, request: pytest.FixtureRequest, listener: int, folders: tuple[Path, Path]
) -> None:
    _need(kind, request)
    code, outside = folders
    report, state = await _probe(probe_world(code, sandbox=kind), listener, outside / "escaped.txt")
    assert report["connect"] != "ok" and "Connection refused" in str(report["connect"]), report
    assert report["write_outside"] != "ok" and report["write_tmp"] != "ok", report
    assert (
        not (outside / "escaped.txt").exists()
        and not Path("/tmp", _tmp_name(outside / "escaped.txt")).exists()
    )
    assert report["write_inside"] == "ok" and report["uid"] != 0
    assert state["_mcp"]["probe"] == report  # the end state came back from inside the sandbox


async def test_a_world_sandbox_that_cannot_start_names_the_server_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(ConfigError, match=r"'shop'.*docker.*no Docker engine.*world\.sandbox: local"):
        async with MCPPool({"shop": shop_world(sandbox="docker")}):
            pass
    monkeypatch.setenv("PATH", str(tmp_path))  # no bubblewrap on it
    with pytest.raises(
        ConfigError, match=r"'shop'.*bwrap.*apt-get install bubblewrap.*world\.sandbox: process"
    ):
        async with MCPPool({"shop": shop_world(sandbox="bwrap")}):
            pass
    async with MCPPool({"shop": shop_world(sandbox="auto")}) as pool:  # neither: the weaker process kind
        assert pool.sandbox("shop").kind == "process"


@pytest.mark.docker
async def test_a_missing_image_names_the_build_command(docker_backend: DockerBackend) -> None:
    config = shop_world(sandbox="docker", sandbox_image="toolforge-sandbox:no-such-tag")
    with pytest.raises(
        ConfigError, match=r"'shop'.*not present.*toolforge sandbox build-image.*world\.sandbox: local"
    ):
        async with MCPPool({"shop": config}):
            pass
    async with MCPPool({"shop": config.model_copy(update={"sandbox": "auto"})}) as pool:
        assert pool.sandbox("shop").kind in ("bwrap", "process")  # auto falls back to local


def test_the_servers_file_world_section_picks_the_sandbox() -> None:
    servers = parse_servers(
        {
            "mcpServers": {
                "shop": {
                    "command": "python",
                    "args": ["-m", "examples.mcp_servers.shop"],
                    "world": {
                        "stateEnv": "SHOP_STATE_FILE",
                        "sandbox": "bwrap",
                        "warm": 2,
                        "sandboxImage": "img:1",
                    },
                }
            }
        }
    )
    config = world_servers(servers)["shop"]
    assert (config.sandbox, config.warm, config.sandbox_image) == ("bwrap", 2, "img:1")
    assert config.env["SHOP_STATE_FILE"] == config.state_file == "{episode_dir}/state.json"
    default = world_servers(parse_servers({"shop": {"command": "x", "world": {"stateEnv": "S"}}}))["shop"]
    assert (default.sandbox, default.warm) == ("auto", 4)
    with pytest.raises(ConfigError):
        parse_servers({"shop": {"command": "x", "world": {"stateEnv": "S", "sandbox": "vm"}}})
