"""The LLM layer (DESIGN §4): every model call goes through `LLMClient` (litellm underneath).

    from toolforge.core.llm import LLMClient, LLMConfig
    async with LLMClient(store, run_id="r1") as client:
        verdict = await client.structured(LLMConfig(model="local/smollm2"), messages, Verdict, role="judge")

`local/<name>` is the bundled SmolLM2 model (started on demand, json tool mode); any other string
is a litellm model (`openai/gpt-4o-mini`, `hosted_vllm/...` with `api_base`, ...).
"""

from toolforge.core.llm._litellm import litellm  # noqa: F401  (configures litellm before any use)
from toolforge.core.llm.client import LLMClient
from toolforge.core.llm.completion import Completion
from toolforge.core.llm.config import Budget, LLMConfig, RolesConfig

__all__ = ["Budget", "Completion", "LLMClient", "LLMConfig", "RolesConfig"]
