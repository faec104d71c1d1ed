"""`toolforge export --push-to-hub` against a loopback server standing in for the Hub (HF_ENDPOINT),
with the real huggingface_hub client, in a fresh process (the client reads its endpoint at import)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from export_fixtures import build
from fake_hub import fake_hub

from toolforge.core.store import Store

pytestmark = pytest.mark.slow  # each push is a fresh toolforge process

TOKEN = "hf_test_secret_token_123"


def _push(
    store: Store, out: Path, endpoint: str, *extra: str, token: str | None = TOKEN
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "TOOLFORGE_HUB_TOKEN")}
    env.update(
        HF_ENDPOINT=endpoint,
        HF_HUB_OFFLINE="0",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HOME=str(out.parent / "hf-home"),
    )
    if token is not None:
        env["TOOLFORGE_HUB_TOKEN"] = token
    args = ["export", "--db", str(store.url), "--out", str(out), "--judge-key", "j1"]
    args += ["--push-to-hub", "someone/weather-calls", "--token-env", "TOOLFORGE_HUB_TOKEN", *extra]
    command = [sys.executable, "-c", "from toolforge.cli import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_push_uploads_the_folder_with_the_named_token(sqlite_store: Store, tmp_path: Path) -> None:
    build(sqlite_store)
    out = tmp_path / "dataset"
    with fake_hub() as (endpoint, hub):
        done = _push(sqlite_store, out, endpoint)
    assert done.returncode == 0, done.stderr
    assert "published to" in done.stdout
    uploaded = hub.repos["someone/weather-calls"]
    local = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert uploaded == local
    assert {"README.md", "data/train.parquet", "data/k2/train.parquet", "figures/tools.png"} <= set(uploaded)
    assert set(hub.authorizations) == {f"Bearer {TOKEN}"}
    assert hub.unknown == []
    # The token reaches the Hub only: not the output, not a file of the export, not the HF home.
    assert TOKEN not in done.stdout + done.stderr
    assert not any(TOKEN.encode() in data for data in local.values())
    assert not any(TOKEN.encode() in p.read_bytes() for p in (tmp_path / "hf-home").rglob("*") if p.is_file())


def test_push_without_the_token_or_refused_names_the_fix(sqlite_store: Store, tmp_path: Path) -> None:
    build(sqlite_store)
    with fake_hub() as (endpoint, hub):
        missing = _push(sqlite_store, tmp_path / "a", endpoint, token=None)
        hub.refuse_token = "hf_wrong"
        refused = _push(sqlite_store, tmp_path / "b", endpoint, token="hf_wrong")
    assert missing.returncode == 2
    assert "$TOOLFORGE_HUB_TOKEN" in missing.stderr and "--token-env" in missing.stderr
    assert refused.returncode == 2
    refusal = " ".join(refused.stderr.split())
    assert "HTTP 401" in refusal and "write token" in refusal
    assert "hf_wrong" not in refused.stdout + refused.stderr
    assert hub.repos == {}
