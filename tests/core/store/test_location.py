"""The store URL comes from one rule: --db, then TOOLFORGE_DB, then the config, then the workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from toolforge.cli import app
from toolforge.core.store import DB_ENV, Store, resolve_store_url, store_source
from toolforge.core.types import Agent

SHOP = Path(__file__).resolve().parents[3] / "examples" / "domains" / "shop" / "toolkit.py"


def test_each_place_wins_over_the_ones_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)
    assert resolve_store_url(None, None, "sqlite:///ws.db") == "sqlite:///ws.db"
    assert resolve_store_url(None, "cfg.db", "sqlite:///ws.db") == "cfg.db"
    assert store_source(None, "cfg.db") == "config db"
    monkeypatch.setenv(DB_ENV, "env.db")
    assert resolve_store_url(None, "cfg.db", "sqlite:///ws.db") == "env.db"
    assert store_source(None, "cfg.db") == DB_ENV
    assert resolve_store_url("flag.db", "cfg.db", "sqlite:///ws.db") == "flag.db"
    assert store_source("flag.db", "cfg.db") == "--db"


def test_generate_and_the_other_commands_read_toolforge_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_db = tmp_path / "from-env.db"
    monkeypatch.setenv(DB_ENV, str(env_db))
    config = tmp_path / "p.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "name": "envdb",
                "workspace": str(tmp_path / "ws"),
                "db": str(tmp_path / "from-config.db"),
                "tools": {"toolkits": [f"{SHOP}:ShopToolkit"]},
                "agents": {"count": 1, "min_tools": 3, "max_tools": 4},
                "tasks": {"difficulties": ["single_call"], "per_difficulty": 1},
                "rollouts": {"policy": "blueprint", "user": "template", "simulator": "schema"},
                "sampling": {"attempts": 1},
                "judges": {"rubric": {"enabled": False}},
                "export": {"formats": ["openai"]},
            }
        )
    )
    runner = CliRunner()
    result = runner.invoke(app, ["generate", "--config", str(config), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert env_db.exists() and not (tmp_path / "from-config.db").exists()
    assert not (tmp_path / "ws" / "toolforge.db").exists()
    store = Store(str(env_db))
    assert len(store.ids(Agent)) == 1
    store.close()
    # `stats` (any command with --db) reads the same place without being told
    stats = runner.invoke(app, ["stats"])
    assert stats.exit_code == 0 and "agent" in stats.output.lower()
    # and --db beats the environment
    flag_db = tmp_path / "from-flag.db"
    result = runner.invoke(app, ["generate", "--config", str(config), "--no-progress", "--db", str(flag_db)])
    assert result.exit_code == 0, result.output
    assert flag_db.exists()
