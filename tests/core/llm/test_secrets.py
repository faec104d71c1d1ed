"""A planted API key value must never reach the store file, a log line or an exception."""

from __future__ import annotations

import logging
import traceback
import uuid
from pathlib import Path

import pytest
from pydantic import BaseModel

from toolforge.core.errors import LLMError, StructuredOutputError
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.store import FailureRow, LLMCallRow, Store
from toolforge_testing.llm_server import Reply, TestServer


class Out(BaseModel):
    value: int


async def test_planted_key_never_leaks(
    server: TestServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd,
    transport: str,
) -> None:
    secret = f"sk-planted-{uuid.uuid4().hex}"
    monkeypatch.setenv("TOOLFORGE_PLANTED_KEY", secret)
    caplog.set_level(logging.DEBUG)
    db = tmp_path / "secrets.db"
    store = Store(f"sqlite:///{db}")
    cfg = LLMConfig(
        model="openai/secret-model",
        api_base=server.url,
        api_key_env="TOOLFORGE_PLANTED_KEY",
        timeout_s=0.3,
        max_retries=1,
        transport=transport,
    )
    errors: list[BaseException] = []
    server.enqueue(
        Reply.json({"value": 1}),  # ok
        Reply.error(429, retry_after="0"),
        Reply.error(500),  # gave up
        Reply.hang(2.0),
        Reply.hang(2.0),  # timeouts
        Reply.malformed(),
        Reply.truncated(),  # invalid after repair
        Reply.bad_body(),
        Reply.bad_body(),
        Reply.error(401),  # not retried, and fatal for the model: so it comes last
    )
    async with LLMClient(store, run_id="secret-run", retry_base_s=0.001) as client:
        for i in range(6):
            try:
                await client.structured(cfg, [{"role": "user", "content": f"q{i}"}], Out, role="judge")
            except (LLMError, StructuredOutputError) as exc:
                errors.append(exc)
    assert store.count(LLMCallRow, run_id="secret-run") >= 6
    assert store.count(FailureRow, run_id="secret-run") == 5
    store.close()

    assert len(errors) == 5
    # the key really was used: it reached the server in the Authorization header
    assert server.requests[0].headers["authorization"] == f"Bearer {secret}"
    texts = [str(e) + "".join(traceback.format_exception(e)) + repr(getattr(e, "raw", "")) for e in errors]
    texts += [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    captured = capfd.readouterr()
    texts += [captured.out, captured.err]
    for text in texts:
        assert secret not in text
    files = [p for p in tmp_path.iterdir() if p.name.startswith("secrets.db")]
    assert files
    for path in files:
        assert secret.encode() not in path.read_bytes()
