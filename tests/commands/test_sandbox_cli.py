"""`toolforge sandbox ...` through the real CLI against the real engine."""

from __future__ import annotations

import os
import uuid

import pytest
from typer.testing import CliRunner

from sandbox import DEFAULT_IMAGE, DockerBackendConfig, SandboxSpec
from sandbox.docker_backend import DockerBackend
from toolforge.cli import app

pytestmark = pytest.mark.docker
runner = CliRunner()
IMAGE = os.environ.get("TOOLFORGE_SANDBOX_IMAGE", DEFAULT_IMAGE)


def test_exec_prints_output_and_passes_the_exit_code() -> None:
    result = runner.invoke(app, ["sandbox", "exec", "--image", IMAGE, "--", "python3", "-c", "print(6 * 7)"])
    assert result.exit_code == 0 and result.stdout.strip() == "42"
    failed = runner.invoke(app, ["sandbox", "exec", "--image", IMAGE, "echo nope >&2; exit 3"])
    assert failed.exit_code == 3 and "nope" in failed.stderr


def test_exec_times_out_and_local_backend_works() -> None:
    slow = runner.invoke(app, ["sandbox", "exec", "--image", IMAGE, "--timeout", "1", "sleep 30"])
    assert slow.exit_code == 137 and "killed after 1s" in slow.stderr
    local = runner.invoke(app, ["sandbox", "exec", "--backend", "local", "echo local"])
    assert local.exit_code == 0 and local.stdout == "local\n"


def test_missing_image_names_the_build_command() -> None:
    result = runner.invoke(app, ["sandbox", "exec", "--image", "toolforge-none:missing", "true"])
    assert result.exit_code == 2 and "toolforge sandbox build-image" in result.stderr


def test_gc_removes_leftovers_of_an_owner() -> None:
    owner = f"tf-test-cli-{uuid.uuid4().hex[:6]}"
    backend = DockerBackend(DockerBackendConfig(owner=owner))
    leftover = backend.start(SandboxSpec(image=IMAGE))  # never closed: a crashed run
    try:
        result = runner.invoke(app, ["sandbox", "gc", "--owner", owner])
        assert result.exit_code == 0 and f"removed 1 sandbox container(s): {leftover.id}" in result.stdout
        assert backend.list(owner) == []
    finally:
        backend.gc(owner=owner)
        leftover.close()  # its container is gone; this closes the attach stream
        backend.close()


def test_build_image_finds_the_existing_tag_and_doctor_passes() -> None:
    built = runner.invoke(app, ["sandbox", "build-image", "--tag", IMAGE])
    assert built.exit_code == 0 and "nothing to build" in built.stdout
    bad = runner.invoke(app, ["sandbox", "build-image", "--method", "magic"])
    assert bad.exit_code == 2
    doctor = runner.invoke(app, ["sandbox", "doctor", "--image", IMAGE])
    assert doctor.exit_code == 0, doctor.stdout
    assert "sandbox round trip" in doctor.stdout and "checks passed" in doctor.stdout
