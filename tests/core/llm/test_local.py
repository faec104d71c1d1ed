"""The bundled SmolLM2 model through the real stack: xllamacpp on loopback, litellm, our client.
Asserts structure, never facts (a 135M model's facts are unreliable)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.llm.local import local_api_base
from toolforge.core.store import LLMCallRow, Store
from toolforge.core.types import Message, ToolSpec

pytestmark = pytest.mark.local_model

LOCAL = LLMConfig(model="local/smollm2", max_tokens=80, timeout_s=120, tool_mode="native")


class City(BaseModel):
    city: str
    country: str


@pytest.mark.parametrize("transport", ["litellm", "openai_compatible"])
async def test_structured_call_validates_against_schema(tmp_path: Path, transport: str) -> None:
    store = Store(f"sqlite:///{tmp_path / 'local.db'}")
    messages = [{"role": "user", "content": "Name one big city and its country."}]
    async with LLMClient(store, run_id="local") as client:
        cfg = LOCAL.model_copy(update={"transport": transport})
        city = await client.structured(cfg, messages, City, role="task_writer")
    assert isinstance(city, City)
    assert City.model_validate_json(city.model_dump_json()) == city
    [row] = store.rows(LLMCallRow, run_id="local")
    assert row.ok and row.prompt_tokens > 0 and row.completion_tokens > 0 and row.cost_usd == 0
    assert local_api_base() == local_api_base()  # one server per process, reused
    store.close()


async def test_act_runs_in_json_mode_with_constrained_decoding() -> None:
    weather = ToolSpec(
        name="get_weather",
        description="Current weather for a city.",
        input_schema={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        source="python",
    )
    messages = [
        Message(role="system", content="You are a helpful assistant."),
        Message(role="user", content="What is the weather in Paris?"),
    ]
    async with LLMClient() as client:
        reply = await client.act(LOCAL, messages, [weather])  # tool_mode="native" is overridden
    assert reply.role == "assistant"
    assert (reply.content is not None) != bool(reply.tool_calls)
    for call in reply.tool_calls or []:
        assert call.name == "get_weather"
        assert isinstance(call.parsed_arguments().get("city"), str)
