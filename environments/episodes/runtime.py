"""Builds a `Runtime` from a `RolloutConfig`: which policy, user and simulator, which toolkits
and MCP servers, and the LLM client when any role needs a model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from environments.episodes.config import RolloutConfig
from environments.episodes.environment import ExecutorSet
from environments.episodes.executors.base import Executor
from environments.episodes.executors.mcp_pool import MCPPool
from environments.episodes.executors.schema_sim import SchemaSimulator
from environments.episodes.executors.world_model import WorldModelSimulator
from environments.episodes.policies import BlueprintPolicy, LLMPolicy, Policy
from environments.episodes.toolkit import ToolkitExecutor, load_toolkit
from environments.episodes.users import LLMUser, TemplateUser, UserSimulator
from toolforge.core.errors import ConfigError
from toolforge.core.llm import Budget, LLMClient, LLMConfig, RolesConfig
from toolforge.core.llm.shared import SharedLimits
from toolforge.core.store import Store


class Runtime:
    """What episodes are played with: the executors, the agent policy and the user simulator."""

    def __init__(self, executors: ExecutorSet, policy: Policy, user: UserSimulator) -> None:
        self.executors = executors
        self.policy = policy
        self.user = user


def _need(roles: RolesConfig | None, role: str, why: str) -> LLMConfig:
    cfg: LLMConfig | None = getattr(roles, role, None) if roles is not None else None
    if cfg is None:
        raise ConfigError(f"{why} needs a model for the {role!r} role: set roles.{role} (or --{role}-model)")
    return cfg


@asynccontextmanager
async def open_runtime(
    store: Store,
    config: RolloutConfig,
    roles: RolesConfig | None = None,
    budget: Budget | None = None,
    run_id: str = "",
    shared: SharedLimits | None = None,
) -> AsyncIterator[Runtime]:
    """`shared`: limits held with other processes (a cluster's nodes), see `core.llm.shared`."""
    async with AsyncExitStack() as stack:
        llm: LLMClient | None = None

        async def client() -> LLMClient:
            """One client for every role that needs a model, opened by the first of them."""
            nonlocal llm
            if llm is None:
                llm = await stack.enter_async_context(
                    LLMClient(store, run_id=run_id, budget=budget, shared=shared)
                )
            return llm

        policy: Policy
        if config.policy == "llm":
            policy = LLMPolicy(await client(), _need(roles, "agent", "policy='llm'"))
        else:
            policy = BlueprintPolicy()
        user: UserSimulator
        if config.user == "llm":
            user = LLMUser(await client(), _need(roles, "user", "user='llm'"))
        else:
            user = TemplateUser()
        if config.simulator == "world_model":
            simulator: Executor = WorldModelSimulator(
                await client(), _need(roles, "tool_simulator", "simulator='world_model'"), config.outcomes
            )
        else:
            simulator = SchemaSimulator()
        toolkit = ToolkitExecutor([load_toolkit(ref) for ref in config.toolkits]) if config.toolkits else None
        mcp = None
        if config.mcp_servers:
            mcp = await stack.enter_async_context(
                MCPPool(config.mcp_servers, config.mcp_call_timeout_s, config.mcp_sessions_per_server)
            )
        yield Runtime(ExecutorSet(simulator=simulator, toolkit=toolkit, mcp=mcp), policy, user)
