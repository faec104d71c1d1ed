"""A refused key is fatal at once (one request, no retry), and a key a provider echoes in a 200
reply is masked before the reply is kept, returned or cached."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from toolforge.core.errors import AuthError
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.store import LLMCacheRow, Store
from toolforge_testing.llm_server import Reply, TestServer
from toolforge_testing.llm_server.replies import Request


@pytest.mark.parametrize("status", [401, 403])
async def test_a_refused_key_raises_auth_error_after_one_request(
    server: TestServer, transport: str, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLFORGE_AUTH_PROBE_KEY", "sk-refused-0123456789")
    cfg = LLMConfig(
        model="openai/auth-model",
        api_base=server.url,
        api_key_env="TOOLFORGE_AUTH_PROBE_KEY",
        max_retries=4,
        transport=transport,
    )
    server.enqueue(*[Reply.error(status)] * 5)
    async with LLMClient(retry_base_s=0.001) as client:
        with pytest.raises(AuthError) as caught:
            await client.complete(cfg, [{"role": "user", "content": "hi"}], role="judge")
        with pytest.raises(AuthError):  # later calls are refused without a request
            await client.complete(cfg, [{"role": "user", "content": "again"}], role="judge")
    assert len(server.requests) == 1
    assert "TOOLFORGE_AUTH_PROBE_KEY" in str(caught.value) and "sk-refused" not in str(caught.value)


async def test_a_key_echoed_in_a_200_body_is_masked_everywhere(
    server: TestServer, transport: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"sk-echo-{uuid.uuid4().hex}"
    monkeypatch.setenv("TOOLFORGE_ECHO_KEY", secret)

    def echo(req: Request) -> Reply:
        return Reply.text(f"your header was {req.headers.get('authorization')}")

    server.responder = echo
    db = tmp_path / "echo.db"
    store = Store(f"sqlite:///{db}")
    cfg = LLMConfig(
        model="openai/echo-model", api_base=server.url, api_key_env="TOOLFORGE_ECHO_KEY", transport=transport
    )
    async with LLMClient(store, run_id="echo") as client:
        completion = await client.complete(cfg, [{"role": "user", "content": "hi"}], role="agent")
    assert server.requests[0].headers["authorization"] == f"Bearer {secret}"
    assert completion.text == "your header was Bearer ***"
    assert store.count(LLMCacheRow) == 1
    store.close()
    for path in tmp_path.iterdir():
        assert secret.encode() not in path.read_bytes(), path
