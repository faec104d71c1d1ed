"""What the roles need of a model: the two calls `LLMClient` offers them, as Protocols.

The agent policy asks for its next message (`AgentModel.act`); the user simulator, the world
model and the rubric judge ask for a reply validated as a pydantic model
(`StructuredModel.structured`). `LLMClient` satisfies both; a test may pass a scripted fake that
satisfies one.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from toolforge.core.llm.config import LLMConfig
from toolforge.core.types import Message, ToolSpec

M = TypeVar("M", bound=BaseModel)


class AgentModel(Protocol):
    async def act(
        self,
        cfg: LLMConfig,
        messages: list[Message],
        tools: list[ToolSpec],
        *,
        role: str = "agent",
        cache_salt: str = "",
    ) -> Message: ...


class StructuredModel(Protocol):
    async def structured(
        self,
        cfg: LLMConfig,
        messages: list[dict[str, Any]],
        output: type[M],
        *,
        role: str,
        cache_salt: str = "",
        item_id: str = "",
    ) -> M: ...
