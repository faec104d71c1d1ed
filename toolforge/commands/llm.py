"""`toolforge llm test --model M`: one structured call through the real client; latency, tokens, cost."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from pydantic import BaseModel, Field
from rich.table import Table

from toolforge.commands.common import console, fail
from toolforge.core import aio

app = typer.Typer(
    help="The LLM layer: check that a model answers through toolforge's client.", no_args_is_help=True
)


class Probe(BaseModel):
    """What `llm test` asks for: a tiny structured reply that any model can give."""

    colour: str = Field(description="one primary colour, one word")
    confidence: float = Field(ge=0, le=1)


PROMPT = (
    "Name one primary colour and say how sure you are that it is a primary colour, as JSON with "
    'the keys "colour" (one word) and "confidence" (a number from 0 to 1).'
)


@app.command()
def test(
    model: Annotated[
        str, typer.Option(help="A litellm model string, or local/smollm2 for the bundled model.")
    ],
    api_base: Annotated[
        str | None, typer.Option(help="The server's base URL (OpenAI-compatible: …/v1).")
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="NAME of the environment variable holding the API key.")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds before one attempt times out.")] = 120.0,
    max_retries: Annotated[int, typer.Option(help="Retries on 429/5xx/timeouts.")] = 2,
) -> None:
    """Make one structured call and print its latency, tokens and cost."""
    from toolforge.core.errors import ConfigError, LLMError, StructuredOutputError
    from toolforge.core.llm import LLMClient, LLMConfig  # litellm is slow to import: only here

    try:
        cfg = LLMConfig(
            model=model, api_base=api_base, api_key_env=api_key_env, timeout_s=timeout,
            max_retries=max_retries, max_tokens=200,
        )  # fmt: skip
    except ValueError as exc:
        fail(f"bad option: {exc}")

    async def call() -> tuple[Probe, LLMClient]:
        async with LLMClient() as client:
            reply = await client.structured(cfg, [{"role": "user", "content": PROMPT}], Probe, role="test")
        return reply, client

    start = time.perf_counter()
    try:
        reply, client = aio.run(call())
    except ConfigError as exc:
        fail(str(exc))
    except StructuredOutputError as exc:
        fail(
            f"{model} answered, but not with valid JSON even after a repair: {exc}. Raw reply: {exc.raw[:200]!r}",
            1,
        )
    except LLMError as exc:
        fail(f"{exc}. Check --model, --api-base and --api-key-env (and that the server is up).", 1)
    elapsed = time.perf_counter() - start
    usage = client.usage
    table = Table(title=f"toolforge llm test — {model}", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("reply", reply.model_dump_json())
    table.add_row("latency", f"{elapsed:.2f} s")
    table.add_row("calls", f"{usage.calls} (a repair counts as one more)")
    table.add_row("tokens", f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion")
    table.add_row(
        "cost", f"${usage.cost_usd:.6f}" + ("" if usage.cost_usd else " (free, or not in litellm's cost map)")
    )
    console.print(table)
