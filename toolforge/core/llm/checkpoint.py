"""A local Hugging Face checkpoint directory as a model, run in-process with transformers.

The checkpoint's own chat template renders the conversation with its tools (a `toolforge train sft`
checkpoint carries one that does); the reply is generated greedily (or sampled when the request's
temperature is above 0) and its tool calls are parsed from the output tags (`tool_tags.py`). The reply
comes back in the same plain OpenAI form as a litellm response, so the client caches and accounts it
like any other. A model is loaded once per process (`load_checkpoint`, shared with `toolforge eval`'s
batched generation) and generates one reply or batch at a time.

torch and transformers (the `train` extra) are imported when a checkpoint is first loaded.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolforge.core.errors import ConfigError
from toolforge.core.llm.tool_tags import parse_tool_calls, template_gaps, template_messages

__all__ = [
    "WEIGHT_FILES",
    "check_checkpoint_dir",
    "checkpoint_fingerprint",
    "checkpoint_reply",
    "load_checkpoint",
]

WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json")


@dataclass
class LoadedCheckpoint:
    path: Path
    model: Any
    tokenizer: Any
    stop_ids: list[int]
    template_gaps: list[str]
    lock: threading.Lock = field(default_factory=threading.Lock)


_loaded: dict[Path, LoadedCheckpoint] = {}
_load_lock = threading.Lock()


def check_checkpoint_dir(path: Path) -> None:
    """Raise ConfigError naming the file and the fix when `path` is not a usable checkpoint directory."""
    if not path.is_dir():
        raise ConfigError(f"{path} is not a directory; pass a checkpoint directory (config.json + weights)")
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"{path / 'config.json'} is missing: {path} is not a Hugging Face checkpoint; pass the --out "
            "directory of `toolforge train sft` (or a directory written by save_pretrained)"
        )
    if not any((path / name).is_file() for name in WEIGHT_FILES):
        hint = (
            " (it holds a LoRA adapter only: use the merged model that `toolforge train sft --lora` "
            "writes to --out)"
            if (path / "adapter_config.json").is_file()
            else ""
        )
        raise ConfigError(
            f"{path} holds no weights ({' or '.join(WEIGHT_FILES[:3])}){hint}; save the model there "
            "with save_pretrained, or point at the directory that has them"
        )
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise ConfigError(
            f"{path} holds no tokenizer ({' or '.join(TOKENIZER_FILES)}); save the tokenizer the "
            "model was trained with there (tokenizer.save_pretrained)"
        )


def checkpoint_fingerprint(path: Path) -> str:
    """Names, sizes and modification times of the directory's files: a retrained checkpoint (or a new
    chat template) at the same path gets new cache keys, so no cache answers for the old one."""
    parts = []
    for file in sorted(p for p in path.iterdir() if p.is_file()):
        stat = file.stat()
        parts.append(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return ";".join(parts)


def _template_file(path: Path) -> Path:
    jinja = path / "chat_template.jinja"
    return jinja if jinja.is_file() else path / "tokenizer_config.json"


def _stop_ids(tokenizer: Any, model: Any) -> list[int]:
    """End-of-turn ids: the model's and tokenizer's eos and, for ChatML templates, `<|im_end|>`."""
    ids: set[int] = set()
    eos = model.generation_config.eos_token_id
    ids.update(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    for marker in ("<|im_end|>", "<|eot_id|>", "<|end|>"):
        encoded = tokenizer.encode(marker, add_special_tokens=False)
        if len(encoded) == 1 and tokenizer.convert_ids_to_tokens(encoded[0]) == marker:
            ids.add(encoded[0])
    return sorted(ids)


# What a single-turn caller (`toolforge eval`) can do without: its prompts hold no earlier calls.
_HISTORY_GAPS = ("assistant tool calls", "tool results")


def load_checkpoint(path: Path, *, single_turn: bool = False) -> LoadedCheckpoint:
    """The checkpoint at `path`, loaded on first use (thread-safe) after its files are checked.

    Its chat template must render tools, and (unless `single_turn`) earlier tool calls and results."""
    path = path.expanduser().resolve()
    with _load_lock:
        loaded = _loaded.get(path) or _load(path)
        _loaded[path] = loaded
    if loaded.template_gaps and not single_turn:
        raise _template_error(path, loaded.template_gaps)
    return loaded


def _template_error(path: Path, gaps: list[str]) -> ConfigError:
    return ConfigError(
        f"the chat template in {_template_file(path)} does not render {', '.join(gaps)}, so the "
        "model cannot be given tools; train the checkpoint with `toolforge train sft` (it saves a "
        "template that renders tools), or add a chat template with tools to that file"
    )


def _load(path: Path) -> LoadedCheckpoint:
    check_checkpoint_dir(path)
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ConfigError(
            f"running the checkpoint {path} needs the train extra ({exc.name} is missing): "
            "pip install 'toolforge[train]'"
        ) from exc
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    gaps = template_gaps(tokenizer)
    if any(gap not in _HISTORY_GAPS for gap in gaps):  # refused before the weights are read
        raise _template_error(path, gaps)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    # transformers types `PreTrainedModel.to` through its generate mixin, which rejects a device
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype).to(device).eval()  # pyright: ignore[reportArgumentType]
    return LoadedCheckpoint(path, model, tokenizer, _stop_ids(tokenizer, model), gaps)


def _strip_special(text: str, tokenizer: Any) -> str:
    for token in tokenizer.all_special_tokens:
        text = text.replace(token, "")
    return text.strip()


def checkpoint_reply(path: Path, request: dict[str, Any]) -> dict[str, Any]:
    """One chat completion from the checkpoint, in plain OpenAI response form (blocking)."""
    import torch

    loaded = load_checkpoint(path)
    tokenizer, model = loaded.tokenizer, loaded.model
    tools = request.get("tools") or None
    inputs = tokenizer.apply_chat_template(
        template_messages(request["messages"]),
        tools=tools,
        add_generation_prompt=True,
        return_dict=True,
        return_tensors="pt",
    ).to(model.device)
    prompt_tokens = int(inputs["input_ids"].shape[1])
    temperature = float(request.get("temperature") or 0.0)
    max_new = int(request.get("max_tokens") or 512)
    sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
    with loaded.lock, torch.no_grad():
        output = model.generate(
            **inputs,
            max_new_tokens=max_new,
            eos_token_id=loaded.stop_ids,
            pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else loaded.stop_ids[0],
            **sampling,
        )
    new = output[0, prompt_tokens:].tolist()
    stopped = bool(new) and new[-1] in loaded.stop_ids
    if stopped:
        new = new[:-1]
    parsed = parse_tool_calls(tokenizer.decode(new, skip_special_tokens=False))
    content = _strip_special(parsed.text, tokenizer)
    tool_calls = [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
        }
        for i, (name, arguments) in enumerate(parsed.calls)
    ]
    finish = "tool_calls" if tool_calls else "stop" if stopped else "length"
    return {
        "id": f"ckpt-{uuid.uuid4().hex[:16]}",
        "model": str(loaded.path),
        "choices": [
            {
                "message": {"role": "assistant", "content": content or None, "tool_calls": tool_calls},
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(new) + int(stopped)},
    }
