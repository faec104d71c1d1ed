"""The pipeline's config: one YAML file, every section strict (`extra="forbid"`).

    name: offline-demo
    workspace: toolforge-data/offline-demo     # store and dataset/<name>/ go here (relative to the cwd)
    models: {agent: {model: local/smollm2}, judge: {model: local/smollm2}}
    tools: {servers: ../mcp_servers/servers.json}   # input files: relative to this config file
    agents: {count: 4, min_tools: 3, max_tools: 5}
    tasks: {difficulties: [single_call, multi_call]}
    rollouts: {policy: llm, user: template, simulator: schema}
    code_tasks: {paths: [../code_tasks], policy: llm, backend: {type: docker}}   # optional
    sampling: {attempts: 2, stop_after_accepted: 1}
    judges: {rubric: {enabled: true}}
    export: {formats: [openai, sharegpt, parquet, k2]}

Sections reuse the stage configs they feed (`environments.tasking`'s `AgentGenConfig` and
`TaskGenConfig`, `environments.episodes`'s `RolloutConfig`, `judges.JudgeConfig`,
`toolforge.export.ExportConfig`), so a key means the same thing here and in the stage's own command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from environments.episodes.code_task_episode import CodeLimits
from environments.episodes.config import RolloutConfig
from environments.tasking.agents import AgentGenConfig
from environments.tasking.tasks import TaskGenConfig
from judges import JudgeConfig, SamplingConfig
from sandbox import DEFAULT_IMAGE, BackendConfig, LocalBackendConfig
from toolforge.core.llm import Budget, RolesConfig
from toolforge.core.store.location import resolve_store_url
from toolforge.export import ExportConfig


class ToolsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    servers: str | None = Field(default=None, description="an mcpServers file (JSON or YAML) to harvest")
    catalogs: list[str] = Field(default_factory=list, description="MCP JSONL or OpenAI function lists")
    toolkits: list[str] = Field(
        default_factory=list, description='Python toolkits, "file.py:Class" or "module:Class"'
    )
    start_timeout_s: float = Field(default=60.0, gt=0)
    list_timeout_s: float = Field(default=30.0, gt=0)


class CodeTasksConfig(BaseModel):
    """Code tasks (K2's real execution): an agent works in a sandbox; the tests check grades it."""

    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(default_factory=list, description="code task folders (sandbox format)")
    policy: Literal["llm", "gold"] = Field(
        default="llm",
        description="llm: models.agent works on the task; gold: the task's gold patch (a reference run)",
    )
    backend: BackendConfig = Field(default_factory=LocalBackendConfig)
    image: str = DEFAULT_IMAGE
    python: str | None = Field(default=None, description="the interpreter (with pytest) inside the sandbox")
    limits: CodeLimits = Field(default_factory=CodeLimits)
    concurrency: int = Field(default=2, ge=1)


class PipelineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    workspace: str | None = Field(default=None, description="default: toolforge-data/<name>")
    db: str | None = Field(
        default=None,
        description="store URL; --db and TOOLFORGE_DB win over it; default: SQLite in the workspace",
    )
    ray: str | None = Field(
        default=None,
        description="a Ray cluster for the episodes and judges: auto or ray://HOST:PORT "
        "(pip install 'toolforge[ray]'; the store must then be PostgreSQL); --ray wins over it",
    )
    models: RolesConfig = Field(default_factory=RolesConfig)
    budget: Budget = Field(default_factory=Budget)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    agents: AgentGenConfig = Field(default_factory=AgentGenConfig)
    tasks: TaskGenConfig = Field(default_factory=TaskGenConfig)
    rollouts: RolloutConfig = Field(default_factory=RolloutConfig)
    code_tasks: CodeTasksConfig = Field(default_factory=CodeTasksConfig)
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    judges: JudgeConfig = Field(default_factory=JudgeConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    # The command exits non-zero when a stage fails more than this share of its items.
    max_failure_rate: float = Field(default=0.5, ge=0, le=1)

    # Where the file was read from: relative input paths are taken from here. Not part of the
    # config's meaning (moving the file does not change the run).
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @model_validator(mode="after")
    def _one_place_each(self) -> PipelineConfig:
        if self.tasks.toolkits or self.rollouts.toolkits:
            raise ValueError(
                "name toolkits once, under tools.toolkits (not tasks.toolkits or rollouts.toolkits)"
            )
        if self.judges.rubric.enabled and self.models.judge is None:
            raise ValueError(
                "judges.rubric is enabled but models.judge is not set: set models.judge "
                "(local/smollm2 runs offline) or judges.rubric.enabled: false"
            )
        if self.rollouts.models:
            raise ValueError(
                "rollouts.models is filled from the models section: set models.agent, models.user, ..."
            )
        return self

    def workspace_dir(self) -> Path:
        return Path(self.workspace or f"toolforge-data/{self.name}")

    def store_url(self, flag: str | None = None) -> str:
        """`--db`, then `TOOLFORGE_DB`, then `db`, then the workspace's SQLite file (one rule for
        every command: `toolforge.core.store.location`)."""
        return resolve_store_url(flag, self.db, f"sqlite:///{self.workspace_dir() / 'toolforge.db'}")

    def dataset_dir(self) -> Path:
        """One folder per run name: runs sharing a workspace never write each other's dataset."""
        return self.workspace_dir() / "dataset" / self.name

    def input_path(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else (self.base_dir / path).resolve()
