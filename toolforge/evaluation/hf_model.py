"""A local Hugging Face checkpoint run in-process with transformers, as an eval model.

The model runs on the GPU when there is one, else on the CPU. The prompt is the checkpoint's own
chat template rendered with `tools=` (BFCL's functions as OpenAI tools); generation is greedy,
batched with left padding, and stops at the checkpoint's end tokens (and `<|im_end|>`). The model is
loaded, checked and cached by `toolforge.core.llm.checkpoint`, the loader rollouts use. The new tokens
are decoded with their special tokens kept, so K2 sections and tool-call tags survive for `parse.py`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from toolforge.core.errors import ConfigError
from toolforge.core.ids import digest
from toolforge.core.llm.checkpoint import checkpoint_fingerprint, load_checkpoint
from toolforge.evaluation.cases import EvalCase
from toolforge.evaluation.functions import tool_specs
from toolforge.evaluation.models import ModelOutput
from toolforge.evaluation.parse import parse_eval_output


class HFCheckpoint:
    def __init__(self, path: Path, max_new_tokens: int = 512, batch_size: int = 8) -> None:
        # core's loader checks the directory and the template, and shares the model with rollouts
        self._loaded = load_checkpoint(path, single_turn=True)
        self.path = self._loaded.path
        self.name = str(self.path)
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.tokenizer = self._loaded.tokenizer
        self.model = self._loaded.model
        self.stop_ids = set(self._loaded.stop_ids)
        self.pad_id = self.tokenizer.pad_token_id
        if self.pad_id is None:
            self.pad_id = self._loaded.stop_ids[0]

    @property
    def cache_key(self) -> str:
        return digest(["hf", str(self.path), checkpoint_fingerprint(self.path), self.max_new_tokens])

    def prompt(self, case: EvalCase) -> str:
        tools = [t.openai_function() for t in tool_specs(case.functions)]
        try:
            text = self.tokenizer.apply_chat_template(
                case.messages, tools=tools, add_generation_prompt=True, tokenize=False
            )
        except Exception as exc:  # a Jinja error from the checkpoint's own template
            raise ConfigError(
                f"{self.path}: its chat template cannot render case {case.id} with tools ({exc}); "
                "save a template that accepts `tools`"
            ) from exc
        return str(text)

    async def answer(self, cases: list[EvalCase]) -> list[ModelOutput]:
        prompts = [self.prompt(case) for case in cases]
        return await asyncio.to_thread(self._generate, prompts)

    def _generate(self, prompts: list[str]) -> list[ModelOutput]:
        import torch

        outputs: list[ModelOutput] = []
        for start in range(0, len(prompts), self.batch_size):
            chunk = prompts[start : start + self.batch_size]
            batch = self._left_padded(chunk)
            with self._loaded.lock, torch.inference_mode():
                generated = self.model.generate(
                    **{key: value.to(self.model.device) for key, value in batch.items()},
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    eos_token_id=sorted(self.stop_ids),
                    pad_token_id=self.pad_id,
                )
            for row in generated[:, batch["input_ids"].shape[1] :].tolist():
                outputs.append(self._output(row))
        return outputs

    def _left_padded(self, prompts: list[str]) -> dict[str, Any]:
        """Token ids padded on the left by hand: the tokenizer is shared with rollouts, so its own
        padding settings stay as they are."""
        import torch

        rows = [self.tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
        width = max(len(row) for row in rows)
        ids = [[self.pad_id] * (width - len(row)) + row for row in rows]
        mask = [[0] * (width - len(row)) + [1] * len(row) for row in rows]
        return {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}

    def _output(self, tokens: list[int]) -> ModelOutput:
        cut = next((i for i, t in enumerate(tokens) if t in self.stop_ids), len(tokens))
        text = self.tokenizer.decode(tokens[:cut], skip_special_tokens=False)
        parsed = parse_eval_output(text)
        return ModelOutput(raw=text, calls=parsed.calls, parse_error=parsed.error)
