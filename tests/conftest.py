"""Fixtures shared by the whole suite: stores on SQLite and on PostgreSQL, both for real; the
loopback LLM server; the Docker backend."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

from sandbox.docker_backend import DockerBackend
from sandbox.errors import EngineUnavailableError
from sandbox.images import image_present
from sandbox.models import DEFAULT_IMAGE, DockerBackendConfig
from toolforge.core.store import Store
from toolforge_testing.llm_server import TestServer

REPO = Path(__file__).resolve().parents[1]
POSTGRES_URL_ENV = "TOOLFORGE_TEST_POSTGRES_URL"
SANDBOX_IMAGE = os.environ.get("TOOLFORGE_SANDBOX_IMAGE", DEFAULT_IMAGE)

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# `datasets` caches what it loads by path; tmp paths recur between runs, so a shared cache can hand
# back an earlier run's rows. Each test session gets its own.
os.environ["HF_DATASETS_CACHE"] = tempfile.mkdtemp(prefix="toolforge-hf-datasets-")


def _set_torch_threads() -> None:
    # Two threads on a busy 2-core box run many times slower than one.
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


_set_torch_threads()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The server's URL from the environment, or a local server started by our script."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        done = subprocess.run(
            ["bash", str(REPO / "scripts" / "start_postgres.sh")], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            pytest.fail(
                f"PostgreSQL is needed: set {POSTGRES_URL_ENV} or let scripts/start_postgres.sh start one "
                f"(it failed: {done.stderr.strip()[-500:]})"
            )
        url = done.stdout.strip().splitlines()[-1]
        os.environ[POSTGRES_URL_ENV] = url
    return url


@pytest.fixture
def postgres_store(postgres_url: str) -> Iterator[Store]:
    """A store in a fresh PostgreSQL database, dropped afterwards."""
    name = f"tf_{uuid.uuid4().hex[:12]}"
    admin = postgres_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    store = Store(postgres_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield store
    finally:
        store.close()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'toolforge.db'}")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Store:
    """The same test against both backends."""
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
async def llm_server() -> AsyncIterator[TestServer]:
    """The loopback OpenAI-compatible server, started for one test (episode and judge tests)."""
    server = TestServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def docker_backend() -> Iterator[DockerBackend]:
    """One labelled Docker backend for every test that needs real containers; the image must exist
    (built once before the tests), and no container with its label may outlive the session."""
    owner = f"tf-test-{uuid.uuid4().hex[:8]}"
    try:
        backend = DockerBackend(DockerBackendConfig(owner=owner))
    except EngineUnavailableError as exc:
        pytest.fail(f"the docker tests need a running Docker engine: {exc}")
    if not image_present(backend.client, SANDBOX_IMAGE):
        pytest.fail(
            f"sandbox image {SANDBOX_IMAGE!r} is missing: build it once before the tests with "
            f"`toolforge sandbox build-image` (needs root + debootstrap, or a registry with --method dockerfile)"
        )
    yield backend
    leftovers = backend.gc(owner=owner)
    backend.close()
    assert not leftovers, f"the tests left labelled containers behind: {leftovers}"
