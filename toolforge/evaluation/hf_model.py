"""A local Hugging Face checkpoint run in-process with transformers, as an eval model.

The model runs on the GPU when there is one, else on the CPU. The prompt is the checkpoint's own
chat template rendered with `tools=` (BFCL's functions as OpenAI tools); generation is greedy,
batched with left padding, and stops at the tokenizer's end tokens (and K2's `<|im_end|>`). The new tokens are decoded with their special tokens kept, so
K2 sections and tool-call tags survive for `parse.py`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from toolforge.core.errors import ConfigError
from toolforge.core.ids import digest
from toolforge.evaluation.cases import EvalCase
from toolforge.evaluation.functions import tool_specs
from toolforge.evaluation.models import ModelOutput
from toolforge.evaluation.parse import parse_tool_calls

_WEIGHTS = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
_TOKENIZER = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json")
_EXTRA_STOPS = ("<|im_end|>", "<|eot_id|>", "<|end|>")


def check_checkpoint(path: Path) -> None:
    """A clear error when `path` is not a loadable checkpoint with its tokenizer."""
    if not (path / "config.json").exists():
        raise ConfigError(
            f"{path}: no config.json, so not a Hugging Face checkpoint; pass the folder that "
            "`save_pretrained` wrote (e.g. the --out of `toolforge train sft`)"
        )
    if not any((path / name).exists() for name in _WEIGHTS):
        raise ConfigError(
            f"{path}: no weights ({' or '.join(_WEIGHTS[::2])}); save the model there with "
            "`model.save_pretrained(path)` or point --model at the folder that has them"
        )
    if not any((path / name).exists() for name in _TOKENIZER):
        raise ConfigError(
            f"{path}: no tokenizer ({', '.join(_TOKENIZER)}); save it beside the weights with "
            "`tokenizer.save_pretrained(path)`"
        )


class HFCheckpoint:
    def __init__(self, path: Path, max_new_tokens: int = 512, batch_size: int = 8) -> None:
        check_checkpoint(path)
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise ConfigError(
                "a checkpoint folder needs transformers: `pip install 'toolforge[train]'`"
            ) from exc
        self.path = path.resolve()
        self.name = str(self.path)
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        if not getattr(self.tokenizer, "chat_template", None):
            raise ConfigError(
                f"{self.path}: the tokenizer has no chat template; save one with the tokenizer "
                "(tokenizer_config.json `chat_template` or chat_template.jinja) that renders `tools`"
            )
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        # the same command on a GPU box: the model goes where the accelerator is
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model = AutoModelForCausalLM.from_pretrained(self.path).to(self.device)
        self.model.eval()
        self.stop_ids = self._stop_ids()

    @property
    def cache_key(self) -> str:
        files = sorted(p for p in self.path.iterdir() if p.is_file())
        stamp = [(p.name, p.stat().st_size, int(p.stat().st_mtime)) for p in files]
        return digest(["hf", str(self.path), stamp, self.max_new_tokens])

    def _stop_ids(self) -> set[int]:
        ids: set[int] = set()
        eos = self.model.generation_config.eos_token_id
        ids.update(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        vocab = self.tokenizer.get_vocab()
        ids.update(vocab[token] for token in _EXTRA_STOPS if token in vocab)
        return ids

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
        missing = [t["function"]["name"] for t in tools if t["function"]["name"] not in text]
        if missing:
            raise ConfigError(
                f"{self.path}: its chat template ignores `tools` (the prompt does not name {missing[0]!r}); "
                "save a template that renders tools, e.g. the one `toolforge train sft` writes"
            )
        return str(text)

    async def answer(self, cases: list[EvalCase]) -> list[ModelOutput]:
        prompts = [self.prompt(case) for case in cases]
        return await asyncio.to_thread(self._generate, prompts)

    def _generate(self, prompts: list[str]) -> list[ModelOutput]:
        torch = self._torch
        outputs: list[ModelOutput] = []
        for start in range(0, len(prompts), self.batch_size):
            chunk = prompts[start : start + self.batch_size]
            batch = self.tokenizer(chunk, return_tensors="pt", padding=True, add_special_tokens=False).to(
                self.device
            )
            with torch.inference_mode():
                generated = self.model.generate(
                    **batch,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    eos_token_id=sorted(self.stop_ids) or None,
                    pad_token_id=self.tokenizer.pad_token_id,
                )
            for row in generated[:, batch["input_ids"].shape[1] :].tolist():
                outputs.append(self._output(row))
        return outputs

    def _output(self, tokens: list[int]) -> ModelOutput:
        cut = next((i for i, t in enumerate(tokens) if t in self.stop_ids), len(tokens))
        text = self.tokenizer.decode(tokens[:cut], skip_special_tokens=False)
        parsed = parse_tool_calls(text)
        return ModelOutput(raw=text, calls=parsed.calls, parse_error=parsed.error)
