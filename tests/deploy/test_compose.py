"""docker-compose.yml: the workers join one Ray cluster and share one PostgreSQL store; only the
driver runs the config (four workers used to run it four times over)."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_workers_join_the_cluster_and_one_driver_runs_the_config() -> None:
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    worker, head, driver = services["ray-worker"], services["ray-head"], services["driver"]
    assert worker["entrypoint"] == ["ray"] and worker["command"][:3] == [
        "start",
        "--address",
        "ray-head:6379",
    ]
    assert "generate" not in worker["command"]
    assert head["command"][:2] == ["start", "--head"]
    assert driver["command"][0] == "generate" and driver["command"][-2:] == ["--ray", "ray-head:6379"]
    db = "postgresql://toolforge:toolforge@postgres:5432/toolforge"
    assert worker["environment"]["TOOLFORGE_DB"] == driver["environment"]["TOOLFORGE_DB"] == db
    assert "/var/run/docker.sock:/var/run/docker.sock" in worker["volumes"]  # each node's own sandboxes
    dockerfile = (REPO / "deploy" / "worker.Dockerfile").read_text()
    assert '".[local,ray]"' in dockerfile  # one image, one Ray version, for head, workers and driver
