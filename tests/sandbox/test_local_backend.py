"""The local backend (no container engine): bubblewrap when installed, else rlimited process groups."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.code_tasks import load_task
from sandbox.errors import IsolationUnavailableError
from sandbox.grading import apply_patch, grade, prepare
from sandbox.local_backend import LocalBackend, LocalSandbox, bwrap_works
from sandbox.models import Limits, LocalBackendConfig, SandboxSpec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "code_tasks"
# the test interpreter (a venv over pyenv) must be visible inside bwrap to run pytest
BINDS = [*LocalBackendConfig().ro_binds, sys.prefix, sys.base_prefix]


@pytest.fixture(params=["bwrap", "process"])
def local(request: pytest.FixtureRequest) -> Iterator[LocalSandbox]:
    if request.param == "bwrap" and not bwrap_works():
        pytest.fail("bubblewrap is not usable: `apt-get install bubblewrap` (CI installs it)")
    unsafe = request.param == "process"  # the unisolated mode runs only when asked for
    backend = LocalBackend(
        LocalBackendConfig(isolation=request.param, ro_binds=BINDS, unsafe_no_isolation=unsafe)
    )
    box = backend.start(SandboxSpec(limits=Limits(memory_mb=512, output_bytes=4096)))
    yield box
    box.close()
    assert not box.host_dir.exists()


def test_exec_env_workdir_stdin(local: LocalSandbox) -> None:
    result = local.exec("echo $A; echo e >&2; exit 4", env={"A": "1"})
    assert (result.exit_code, result.stdout, result.stderr) == (4, "1\n", "e\n")
    local.exec("mkdir -p d")
    assert local.exec(["pwd"], workdir="d").stdout.strip() == f"{local.workdir}/d"
    assert local.exec(["cat"], stdin=b"in").stdout == "in"


def test_timeout_kills_the_command_and_its_group(local: LocalSandbox) -> None:
    started = time.monotonic()
    result = local.exec("sleep 30 & sleep 30", timeout_s=1)
    assert result.timed_out and time.monotonic() - started < 5
    assert local.exec("echo ok").stdout == "ok\n"


def test_output_is_capped(local: LocalSandbox) -> None:
    result = local.exec("yes | head -c 100000")
    assert len(result.stdout) == 4096 and result.truncated_bytes == 100000 - 4096


def test_memory_rlimit(local: LocalSandbox) -> None:
    result = local.exec([sys.executable, "-c", "x = bytearray(2 << 30)"])
    assert result.exit_code != 0 and "MemoryError" in result.stderr


def test_files_and_escapes(local: LocalSandbox) -> None:
    local.write_files({"a/b.txt": "hi", "x.sh": "echo x"})
    assert local.read_file("a/b.txt") == b"hi"
    assert local.exec("cat a/b.txt; ./x.sh").stdout == "hix\n"
    with pytest.raises(ValueError):
        local.write_files({"../out.txt": "x"})
    with pytest.raises(PermissionError):
        local.read_file("/etc/passwd")
    local.exec("ln -s /etc/passwd link")
    with pytest.raises(PermissionError):
        local.read_file("link")
    with pytest.raises(FileNotFoundError):
        local.read_file("missing")


def test_bwrap_isolates_network_processes_and_the_filesystem() -> None:
    if not bwrap_works():
        pytest.fail("bubblewrap is not usable: `apt-get install bubblewrap` (CI installs it)")
    with LocalBackend(LocalBackendConfig(isolation="bwrap")).start(SandboxSpec()) as box:
        assert box.exec("id -u").stdout == "65534\n"
        assert box.exec("touch /usr/evil").exit_code != 0
        assert box.exec(["ls", "/root"]).exit_code != 0  # not bound
        net = box.exec(
            ["python3", "-c", "import socket; socket.create_connection(('1.1.1.1', 53), timeout=2)"]
        )
        assert "Network is unreachable" in net.stderr
        assert box.exec("setsid sleep 300 & echo bg").stdout == "bg\n"
        # the command's pid namespace died with it: a fresh one sees only itself
        listing = box.exec("cat /proc/[0-9]*/cmdline | tr '\\0' ' '").stdout
        assert "sleep 300" not in listing and "cat /proc" in listing


def test_local_grading_of_an_example_task(local: LocalSandbox) -> None:
    task = load_task(EXAMPLES / "median").model_copy(update={"python": sys.executable})
    prepare(local, task)
    assert grade(local, task).status == "not_resolved"
    assert apply_patch(local, task.gold_patch or "").ok
    report = grade(local, task)
    assert report.status == "resolved", report.log_tail


def test_without_bubblewrap_untrusted_code_is_refused_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on this PATH
    assert not bwrap_works()
    with pytest.raises(IsolationUnavailableError) as caught:
        LocalBackend(LocalBackendConfig())
    assert "apt-get install bubblewrap" in str(caught.value) and "--unsafe-no-isolation" in str(caught.value)
    with pytest.raises(IsolationUnavailableError, match="apt-get install bubblewrap"):
        LocalBackend(LocalBackendConfig(isolation="bwrap"))
    backend = LocalBackend(LocalBackendConfig(unsafe_no_isolation=True))
    assert backend.isolation == "process"
    with backend.start(SandboxSpec()) as box:
        assert box.exec(["/bin/echo", "ran"]).stdout == "ran\n"
