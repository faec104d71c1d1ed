"""Configs of the episode stage. Strict (`extra="forbid"`); `RolloutConfig.run_key()` is the
fingerprint that names a run's trajectories, so a re-run of the same config resumes it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandbox.models import DEFAULT_IMAGE
from toolforge.core.types import run_key
from toolforge.tools.servers import WorldSandbox


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Limits(Strict):
    """When an episode ends if nobody stops it. Turns count assistant messages."""

    max_turns: int = Field(default=16, ge=1)
    max_tool_calls: int = Field(default=24, ge=0)
    # None: no token limit (code tasks: turns and time bound them)
    max_tokens: int | None = Field(default=48_000, ge=1)
    max_wall_s: float = Field(default=300.0, gt=0)


# The classes of a simulated call's outcome.
Outcome = Literal["ok", "partial", "error", "edge"]


class OutcomeMix(Strict):
    """K2's controlled stochasticity: how often a simulated call succeeds, half-succeeds, fails or
    hits an edge case. Drawn before the world model writes the result."""

    ok: float = Field(default=0.7, ge=0)
    partial: float = Field(default=0.1, ge=0)
    error: float = Field(default=0.1, ge=0)
    edge: float = Field(default=0.1, ge=0)

    @model_validator(mode="after")
    def _sums_to_one(self) -> OutcomeMix:
        total = self.ok + self.partial + self.error + self.edge
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"outcome probabilities must sum to 1, got {total:.4f}")
        return self

    def as_dict(self) -> dict[Outcome, float]:
        return {"ok": self.ok, "partial": self.partial, "error": self.error, "edge": self.edge}


class MCPServerConfig(Strict):
    """How to start one real MCP server over stdio; its key in `mcp_servers` matches the tools'
    `origin`. With `per_episode`, every episode gets its own server process, and `{episode_dir}`
    in `args`/`env` becomes a fresh directory for it (a state file there isolates its world);
    `state_file` (same template) is read at the episode's end into `final_state["_mcp"][id]`.
    Per-episode processes run in a `sandbox` (environments/episodes/executors/world_sandbox.py), and `warm`
    of them wait started from the server's own seed for episodes that begin there. Neither changes
    what an episode produces, so neither is part of the run key."""

    command: str
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    per_episode: bool = False
    state_file: str | None = None
    sandbox: WorldSandbox = "auto"
    sandbox_image: str = DEFAULT_IMAGE
    warm: int = Field(default=4, ge=0)


# Who plays the agent, who plays the user, and what executes tools that are neither Python toolkits
# nor served MCP tools.
PolicyName = Literal["llm", "blueprint"]
UserName = Literal["llm", "template"]
SimulatorName = Literal["schema", "world_model"]
POLICIES: tuple[PolicyName, ...] = ("blueprint", "llm")
USERS: tuple[UserName, ...] = ("template", "llm")
SIMULATORS: tuple[SimulatorName, ...] = ("schema", "world_model")


class RolloutConfig(Strict):
    policy: PolicyName = "blueprint"
    user: UserName = "template"
    simulator: SimulatorName = "schema"
    limits: Limits = Field(default_factory=Limits)
    outcomes: OutcomeMix = Field(default_factory=OutcomeMix)
    toolkits: list[str] = Field(default_factory=list)  # "file.py:Class" or "module:Class"
    mcp_servers: dict[str, MCPServerConfig] = Field(default_factory=dict)
    mcp_call_timeout_s: float = Field(default=30.0, gt=0)
    mcp_sessions_per_server: int = Field(default=1, ge=1)
    # Models by role, as plain strings, for the run key and the trajectory's record.
    models: dict[str, str] = Field(default_factory=dict)
    # Not part of the run key: how much runs at once, and in how many processes.
    max_in_flight: int = Field(default=64, ge=1)
    workers: int = Field(default=1, ge=1)

    def run_key(self) -> str:
        how = {"sandbox", "sandbox_image", "warm"}  # where worlds run, not what they do
        exclude = {
            "max_in_flight": True,
            "workers": True,
            "mcp_sessions_per_server": True,
            "mcp_servers": {"__all__": how},
        }
        return run_key(self.model_dump(mode="json", exclude=exclude))
