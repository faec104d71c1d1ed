"""A local checkpoint directory as a model: in-process transformers generation through LLMClient,
cached per weights, and clear errors for directories that cannot serve."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer

from toolforge.core.errors import ConfigError
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.store import LLMCallRow, Store
from toolforge.core.types import Message, ToolSpec
from toolforge_testing.tiny_llama import write_tiny_llama
from trainer.tool_template import fallback_tool_template

pytestmark = pytest.mark.slow

torch.set_num_threads(1)

TOOL = ToolSpec(
    name="get_weather",
    description="Current weather for a city.",
    input_schema={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    source="python",
)
HISTORY = [Message(role="system", content="You help."), Message(role="user", content="Weather in Oslo?")]
TEXTS = ["<|im_start|>user\nWeather in Oslo?<|im_end|>\n<tool_call>get_weather</tool_call>"] * 20


@pytest.fixture(scope="module")
def base_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random tiny Llama whose tokenizer has no chat template."""
    return write_tiny_llama(tmp_path_factory.mktemp("base"), TEXTS, vocab_size=400)


@pytest.fixture(scope="module")
def checkpoint(base_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same model saved with the fallback tool template, as `toolforge train sft` saves it."""
    path = tmp_path_factory.mktemp("ckpt")
    shutil.copytree(base_model, path, dirs_exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    tokenizer.chat_template = fallback_tool_template()
    tokenizer.save_pretrained(str(path))
    return path


async def _act(model: Path, store: Store | None = None) -> Message:
    async with LLMClient(store, run_id="ckpt") as client:
        return await client.act(LLMConfig(model=str(model), max_tokens=12), HISTORY, [TOOL])


async def test_a_checkpoint_answers_in_process_and_is_cached_per_weights(
    checkpoint: Path, tmp_path: Path
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'calls.db'}")
    first = await _act(checkpoint, store)
    assert first.role == "assistant" and (first.content or first.tool_calls)
    again = await _act(checkpoint, store)
    assert again == first
    weights = checkpoint / "model.safetensors"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))  # "retrained"
    await _act(checkpoint, store)
    calls = store.rows(LLMCallRow, run_id="ckpt")
    assert [c.cached for c in calls] == [False, True, False]
    assert {c.model for c in calls} == {str(checkpoint)}
    assert all(c.completion_tokens > 0 for c in calls if not c.cached)
    store.close()


async def test_directories_that_cannot_serve_say_which_file_and_the_fix(
    base_model: Path, checkpoint: Path, tmp_path: Path
) -> None:
    async def error(path: Path) -> str:
        with pytest.raises(ConfigError) as info:
            await _act(path)
        return str(info.value)

    empty = tmp_path / "empty"
    empty.mkdir()
    assert f"{empty / 'config.json'} is missing" in await error(empty)

    no_weights = tmp_path / "no-weights"
    shutil.copytree(checkpoint, no_weights)
    (no_weights / "model.safetensors").unlink()
    assert "holds no weights (model.safetensors" in await error(no_weights)
    (no_weights / "adapter_config.json").write_text("{}")
    assert "holds a LoRA adapter only" in await error(no_weights)

    no_tokenizer = tmp_path / "no-tokenizer"
    shutil.copytree(checkpoint, no_tokenizer)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (no_tokenizer / name).unlink()
    assert "holds no tokenizer" in await error(no_tokenizer)

    message = await error(base_model)  # its tokenizer has no chat template
    assert str(base_model / "tokenizer_config.json") in message
    assert "train the checkpoint with `toolforge train sft`" in message

    assert "is not a directory" in await error(tmp_path / "missing")
