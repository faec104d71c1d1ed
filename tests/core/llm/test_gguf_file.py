"""A `.gguf` file as a model string: served by llama.cpp like the bundled model (the same server
when it is the same file), json tool mode; a missing file is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolforge.core.errors import ConfigError
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.llm.local import gguf_path, local_api_base
from toolforge.core.types import Message, ToolSpec

pytestmark = pytest.mark.local_model

WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city.",
    input_schema={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    source="python",
)
ASK = [Message(role="user", content="What is the weather in Paris?")]


async def test_a_gguf_file_runs_as_an_agent_in_json_mode() -> None:
    cfg = LLMConfig(model=gguf_path(), max_tokens=200, timeout_s=300)
    assert cfg.effective_tool_mode == "json"
    async with LLMClient() as client:
        reply = await client.act(cfg, ASK, [WEATHER])
    assert reply.role == "assistant" and (reply.content is not None) != bool(reply.tool_calls)
    for call in reply.tool_calls or []:
        assert call.name == "get_weather" and isinstance(call.parsed_arguments().get("city"), str)
    assert local_api_base(gguf_path()) == local_api_base()  # the bundled file: one server


async def test_a_missing_gguf_file_names_itself(tmp_path: Path) -> None:
    missing = tmp_path / "model.gguf"
    async with LLMClient() as client:
        with pytest.raises(ConfigError, match=f"the GGUF file {missing} does not exist"):
            await client.act(LLMConfig(model=str(missing)), ASK, [WEATHER])
