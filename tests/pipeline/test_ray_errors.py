"""`generate --ray` refuses what cannot work before any work: a local SQLite store, an address
nobody answers on, a Ray version other than the cluster's — each with the fix in the message."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import ray._private.utils as ray_utils
from pipeline_configs import small, write
from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.errors import ConfigError
from toolforge.pipeline import parse_config, run_pipeline
from toolforge.pipeline.cluster.connect import version_fix

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_sqlite_store_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TOOLFORGE_DB", raising=False)
    config = write(tmp_path / "p.yaml", small(tmp_path / "ws"))
    result = runner.invoke(app, ["generate", "--config", str(config), "--ray", "auto", "--no-progress"])
    assert result.exit_code == 2
    message = flat(result.output)
    assert "--ray needs a store every node can reach" in message and "postgresql://" in message
    assert "TOOLFORGE_DB" in message
    assert not (tmp_path / "ws").exists()  # no store file, no dataset


async def test_an_unreachable_address_names_the_fix_quickly(tmp_path: Path, postgres_url: str) -> None:
    cfg = parse_config(small(tmp_path / "ws"))
    started = time.monotonic()
    with pytest.raises(
        ConfigError, match=r"cannot reach the Ray cluster at ray://127\.0\.0\.1:1 .*ray start --head"
    ):
        await run_pipeline(cfg, db=postgres_url, ray="ray://127.0.0.1:1")
    assert time.monotonic() - started < 30  # Ray alone would retry for a minute
    with pytest.raises(ConfigError, match="expected auto or ray://HOST:PORT"):
        await run_pipeline(cfg, db=postgres_url, ray="ray://head:port")


def test_the_config_can_name_the_cluster_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOOLFORGE_DB", raising=False)
    config = write(tmp_path / "p.yaml", {**small(tmp_path / "ws"), "ray": "ray://127.0.0.1:1"})
    result = runner.invoke(app, ["generate", "--config", str(config), "--no-progress"])
    assert result.exit_code == 2 and "--ray needs a store" in flat(result.output)


def test_rays_version_mismatch_becomes_a_fix() -> None:
    # Ray's own check, given a cluster that runs another Ray: the error it raises on ray.init
    with pytest.raises(RuntimeError) as raised:
        ray_utils.check_version_info(
            {"ray_version": "2.9.0", "python_version": ray_utils.compute_version_info()[1]},
            this_process_address="driver",
        )
    fix = version_fix(str(raised.value))
    assert (
        fix is not None and "pip install 'ray==2.9.0'" in fix and ray_utils.compute_version_info()[0] in fix
    )
    assert version_fix("some other failure") is None
