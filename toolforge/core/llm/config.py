"""What a model call is configured with: one `LLMConfig` per role, and the run's `Budget`."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from toolforge.core import secrets
from toolforge.core.errors import ConfigError

LOCAL_PREFIX = "local/"
# litellm providers whose models, given an api_base, are OpenAI-compatible servers (vLLM, SGLang,
# llama.cpp, TGI, ...): `transport: auto` sends their calls by the direct transport.
OPENAI_COMPATIBLE_PROVIDERS = frozenset({"openai", "hosted_vllm"})
Transport = Literal["litellm", "openai_compatible"]


class LLMConfig(BaseModel):
    """One model endpoint. `model` is any litellm model string; `local/smollm2` is the bundled model.

    The API key is never held here: `api_key_env` names the environment variable that holds it,
    read at call time.
    """

    model_config = ConfigDict(extra="forbid")

    model: str
    api_base: str | None = None
    api_key_env: str | None = None
    temperature: float = 0.0
    max_tokens: int = 1024
    tool_mode: Literal["native", "json"] = "native"
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
        return self.model.startswith(LOCAL_PREFIX)

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
        """Local GGUF models have no native tool calling here: they always run in json mode."""
        return "json" if self.is_local else self.tool_mode

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
