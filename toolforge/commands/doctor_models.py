"""`toolforge doctor --config FILE`: each model the config names answers one tiny structured call
(its key variable set, its local GGUF file valid, its endpoint reachable)."""

from __future__ import annotations

from pathlib import Path

from toolforge.commands.llm import PROMPT, Probe
from toolforge.core import aio
from toolforge.core.errors import ConfigError, LLMError, StructuredOutputError, ToolforgeError

Check = tuple[bool, str, str]  # ok, detail, fix

PROBE_TIMEOUT_S = 120.0


def config_models(path: Path) -> dict[str, object]:
    """The distinct models of a pipeline config's `models` section, by the roles that use them."""
    from toolforge.pipeline.loader import load_config

    roles = load_config(path).models
    found: dict[str, object] = {}
    for role in type(roles).model_fields:
        cfg = getattr(roles, role)
        if cfg is None:
            continue
        key = f"{cfg.model} @ {cfg.api_base}" if cfg.api_base else cfg.model
        found.setdefault(key, cfg)
    return found


def check_model(cfg: object) -> Check:
    from toolforge.core.llm import LLMClient, LLMConfig
    from toolforge.core.llm.local import local_gguf

    assert isinstance(cfg, LLMConfig)
    try:
        if cfg.is_local:
            local_gguf(cfg.model)
        cfg.api_key()
    except ConfigError as exc:
        return False, str(exc), "see the message"
    probe = cfg.model_copy(
        update={"max_retries": 0, "timeout_s": min(cfg.timeout_s, PROBE_TIMEOUT_S), "max_tokens": 200}
    )

    async def call() -> Probe:
        async with LLMClient() as client:
            return await client.structured(probe, [{"role": "user", "content": PROMPT}], Probe, role="doctor")

    try:
        reply = aio.run(call())
    except StructuredOutputError as exc:
        return (
            False,
            f"answered, but not valid JSON: {exc.raw[:80]!r}",
            "use a model that follows a JSON schema",
        )
    except (LLMError, ToolforgeError) as exc:
        return False, str(exc)[:300], "check model, api_base and api_key_env, and that the server is up"
    return True, f"answered {reply.model_dump_json()}", ""
