"""The LLM layer (DESIGN §4): every model call goes through `LLMClient` (litellm, or the direct
transport for OpenAI-compatible servers: `transport.py`).

    from toolforge.core.llm import LLMClient, LLMConfig
    async with LLMClient(store, run_id="r1") as client:
        verdict = await client.structured(LLMConfig(model="local/smollm2"), messages, Verdict, role="judge")

`local/smollm2` is the bundled SmolLM2 model, `local/PATH.gguf` any GGUF file and `local/NAME`
NAME.gguf in the models folder (each served by llama.cpp, started on demand, json tool mode);
any other string is a litellm model (`openai/gpt-4o-mini`, `hosted_vllm/...` with `api_base`, ...).

The names are imported lazily, so a module that needs one submodule (`config`, `tool_names`)
does not import litellm.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolforge.core.llm.client import LLMClient
    from toolforge.core.llm.completion import Completion
    from toolforge.core.llm.config import Budget, LLMConfig, RolesConfig

_EXPORTS = {
    "LLMClient": "toolforge.core.llm.client",
    "Completion": "toolforge.core.llm.completion",
    "Budget": "toolforge.core.llm.config",
    "LLMConfig": "toolforge.core.llm.config",
    "RolesConfig": "toolforge.core.llm.config",
}

__all__ = ["Budget", "Completion", "LLMClient", "LLMConfig", "RolesConfig"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
