"""The models `toolforge eval` can run: one interface, three backends.

- any litellm model string (`openai/gpt-4o-mini`, `hosted_vllm/…` with an api_base): the case's
  functions go as `tools=` and the calls come back through the provider's tool API;
- the bundled model (`local/smollm2`): json tool mode, its reply constrained to
  `{"tool_calls": […]}` or `{"reply": …}` (DESIGN §4), read back by `parse.py`;
- a local Hugging Face checkpoint folder: run in-process (`hf_model.py`).

Every backend turns a batch of cases into `ModelOutput`s: the raw output kept for the report and
the calls under the names the model was offered (underscored, see `functions.py`).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from toolforge.core.errors import AuthError, LLMError
from toolforge.core.ids import digest
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.llm.actions import action_schema, json_mode_messages
from toolforge.core.llm.config import ToolMode
from toolforge.core.types import Message
from toolforge.evaluation.cases import EvalCase
from toolforge.evaluation.functions import tool_specs
from toolforge.evaluation.parse import parse_eval_output


@dataclass(frozen=True)
class ModelOutput:
    raw: str
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    parse_error: str | None = None
    # the call itself failed (network, budget): reported, never cached, retried by a re-run
    failed: bool = False


class EvalModel(Protocol):
    name: str

    @property
    def cache_key(self) -> str:
        """Everything about the model and its decoding that changes its answers."""
        ...

    async def answer(self, cases: list[EvalCase]) -> list[ModelOutput]: ...


class LiteLLMModel:
    """A litellm model string or the bundled `local/…` model, through the project's LLMClient."""

    def __init__(self, cfg: LLMConfig, client: LLMClient) -> None:
        self.cfg = cfg
        self.client = client
        self.name = cfg.model

    @property
    def cache_key(self) -> str:
        cfg = self.cfg
        return digest(
            [
                "litellm",
                cfg.model,
                cfg.api_base,
                cfg.temperature,
                cfg.max_tokens,
                cfg.effective_tool_mode,
                cfg.extra,
            ]
        )

    async def answer(self, cases: list[EvalCase]) -> list[ModelOutput]:
        return list(await asyncio.gather(*(self._one(case) for case in cases)))

    async def _one(self, case: EvalCase) -> ModelOutput:
        tools = tool_specs(case.functions)
        try:
            if self.cfg.effective_tool_mode == "native":
                completion = await self.client.complete(
                    self.cfg, case.messages, role="eval", tools=[t.openai_function() for t in tools]
                )
                raw = json.dumps(
                    {
                        "content": completion.text,
                        "tool_calls": [
                            {"name": c.function.name, "arguments": c.function.arguments}
                            for c in completion.tool_calls
                        ],
                    },
                    ensure_ascii=False,
                )
                calls, error = [], None
                for index, call in enumerate(completion.tool_calls):
                    try:
                        calls.append((call.name, call.parsed_arguments()))
                    except ValueError as exc:
                        error = f"tool call {index} ({call.name}): arguments are not a JSON object ({exc})"
                return ModelOutput(raw=raw, calls=[] if error else calls, parse_error=error)
            messages = [Message(role=m["role"], content=m["content"]) for m in case.messages]
            schema = action_schema(tools)
            completion = await self.client.complete(
                self.cfg,
                json_mode_messages(messages, tools),
                role="eval",
                response_format={"type": "json_schema", "json_schema": {"name": "action", "schema": schema}},
            )
        except AuthError:
            raise  # a refused key fails every case alike: the command stops at once and says so
        except LLMError as exc:
            return ModelOutput(raw="", parse_error=f"the model call failed: {exc}", failed=True)
        text = completion.text or ""
        parsed = parse_eval_output(text)
        return ModelOutput(raw=text, calls=parsed.calls, parse_error=parsed.error)


def open_model(
    model: str,
    client: LLMClient,
    *,
    api_base: str | None = None,
    api_key_env: str | None = None,
    max_tokens: int = 512,
    tool_mode: ToolMode = "native",
    concurrency: int = 8,
    timeout_s: float = 120.0,
) -> EvalModel:
    """A checkpoint folder when `model` is one, else a litellm (or `local/…`) model string.

    `concurrency` is the calls in flight for a served model, the generation batch for a checkpoint."""
    path = Path(model).expanduser()
    if path.is_dir():
        from toolforge.evaluation.hf_model import HFCheckpoint

        return HFCheckpoint(path, max_new_tokens=max_tokens, batch_size=concurrency)
    cfg = LLMConfig(
        model=model,
        api_base=api_base,
        api_key_env=api_key_env,
        max_tokens=max_tokens,
        tool_mode=tool_mode,
        concurrency=concurrency,
        timeout_s=timeout_s,
    )
    return LiteLLMModel(cfg, client)
