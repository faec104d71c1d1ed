"""What a model call is configured with: one `LLMConfig` per role, and the run's `Budget`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from toolforge.core import secrets
from toolforge.core.errors import ConfigError

LOCAL_PREFIX = "local/"
# litellm providers whose models, given an api_base, are OpenAI-compatible servers (vLLM, SGLang,
# llama.cpp, TGI, ...): `transport: auto` sends their calls by the direct transport.
OPENAI_COMPATIBLE_PROVIDERS = frozenset({"openai", "hosted_vllm"})
Transport = Literal["litellm", "openai_compatible"]
GGUF_SUFFIX = ".gguf"
_PATH_PREFIXES = ("/", "./", "../", "~")


# How the agent model calls tools: the provider's `tools=`, or a JSON action under a schema.
ToolMode = Literal["native", "json"]
TOOL_MODES: tuple[ToolMode, ...] = ("native", "json")


class LLMConfig(BaseModel):
    """One model endpoint. `model` is any litellm model string; `local/smollm2` is the bundled model;
    a local checkpoint directory runs in-process with transformers, and a `.gguf` file is served by
    llama.cpp like the bundled model (a model string that names an existing directory is a checkpoint).

    The API key is never held here: `api_key_env` names the environment variable that holds it,
    read at call time.
    """

    model_config = ConfigDict(extra="forbid")

    model: str
    api_base: str | None = None
    api_key_env: str | None = None
    temperature: float = 0.0
    max_tokens: int = 1024
    tool_mode: ToolMode = "native"
    concurrency: int = Field(default=16, ge=1)
    timeout_s: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=4, ge=0)
    extra: dict[str, Any] = Field(default_factory=dict)
    # How a call reaches the server (core/llm/transport.py, docs/llm.md): "litellm" (any provider),
    # "openai_compatible" (a direct HTTP POST to `{api_base}/chat/completions`), or "auto": the
    # direct one for OpenAI-compatible servers (`effective_transport`), litellm for everything else.
    transport: Literal["auto", "litellm", "openai_compatible"] = "auto"

    @model_validator(mode="after")
    def _transport_needs_api_base(self) -> LLMConfig:
        if self.transport == "openai_compatible" and self.api_base is None and not self.is_local:
            raise ConfigError(
                f"model {self.model}: transport 'openai_compatible' needs api_base (the server's URL, "
                "e.g. http://127.0.0.1:8000/v1); set api_base, or use transport 'litellm'"
            )
        return self

    @property
    def is_local(self) -> bool:
        """Served by the embedded llama.cpp: the bundled model or a GGUF file."""
        return self.model.startswith(LOCAL_PREFIX) or self.gguf_file is not None

    @property
    def gguf_file(self) -> Path | None:
        """The GGUF file this model string names, if it names one."""
        return Path(self.model).expanduser() if self.model.endswith(GGUF_SUFFIX) else None

    @property
    def checkpoint_dir(self) -> Path | None:
        """The Hugging Face checkpoint directory this model string names, if it names one: an existing
        directory, or a path-like string (absolute, `./`, `../`, `~`) that the loader then checks."""
        if self.gguf_file is not None or self.model.startswith(LOCAL_PREFIX):
            return None
        path = Path(self.model).expanduser()
        return path if self.model.startswith(_PATH_PREFIXES) or path.is_dir() else None

    @property
    def effective_transport(self) -> Transport:
        """The transport a call takes: "auto" is the direct one for the bundled model and for an
        `openai/...` or `hosted_vllm/...` model with an api_base, litellm otherwise."""
        if self.transport != "auto":
            return self.transport
        provider = self.model.partition("/")[0]
        direct = self.is_local or (self.api_base is not None and provider in OPENAI_COMPATIBLE_PROVIDERS)
        return "openai_compatible" if direct else "litellm"

    @property
    def effective_tool_mode(self) -> Literal["native", "json"]:
        """llama.cpp models run in json mode (schema-constrained); a checkpoint's calls are parsed
        from its template's tags, which is the native mode."""
        if self.is_local:
            return "json"
        return "native" if self.checkpoint_dir is not None else self.tool_mode

    def api_key(self) -> str | None:
        """The key's value, read now from the environment (never stored)."""
        if self.api_key_env is None:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise ConfigError(
                f"the environment variable {self.api_key_env} (api_key_env of model {self.model}) is "
                "not set: export it, or set api_key_env to the variable that holds the key"
            )
        secrets.register(value)
        return value


class RolesConfig(BaseModel):
    """A model per pipeline role; a role left unset is configured by whoever runs that stage."""

    model_config = ConfigDict(extra="forbid")

    synthesizer: LLMConfig | None = None
    task_writer: LLMConfig | None = None
    user: LLMConfig | None = None
    tool_simulator: LLMConfig | None = None
    agent: LLMConfig | None = None
    judge: LLMConfig | None = None


class Budget(BaseModel):
    """Bounds on a client's spend; a call that would start past one raises BudgetExceeded."""

    model_config = ConfigDict(extra="forbid")

    max_cost_usd: float | None = None
    max_tokens: int | None = None
