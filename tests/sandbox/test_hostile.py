"""The hostile battery: each attack runs in a real container, is contained, and the same sandbox
still works afterwards with nothing of the attack left running."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from sandbox_helpers import TIGHT, user_processes

from sandbox.base import Sandbox
from sandbox.docker_backend import DockerBackend
from sandbox.errors import SandboxBrokenError
from sandbox.models import DockerBackendConfig, SandboxSpec

pytestmark = pytest.mark.docker


def assert_still_works(box: Sandbox) -> None:
    result = box.exec("echo alive && touch still-writable && rm still-writable", timeout_s=20)
    assert result.ok and result.stdout == "alive\n", result
    assert user_processes(box) == []


def test_fork_bomb_is_capped_by_pids_and_swept(box: Sandbox) -> None:
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    started = time.monotonic()
    result = box.exec(["python3", "-c", bomb], timeout_s=3)
    assert result.timed_out
    assert time.monotonic() - started < 3 + 5
    assert_still_works(box)


def test_shell_fork_bomb_in_background(box: Sandbox) -> None:
    result = box.exec(["bash", "-c", ":(){ :|:& };:"], timeout_s=5)
    assert not result.timed_out
    assert_still_works(box)


def test_memory_bomb_is_killed_not_the_sandbox(box: Sandbox) -> None:
    result = box.exec(["python3", "-c", "x = bytearray(1 << 30)"], timeout_s=30)
    assert result.exit_code == 137 and not result.timed_out  # the OOM killer, not the timeout
    assert_still_works(box)


def test_cpu_spin_past_the_timeout(box: Sandbox) -> None:
    result = box.exec(["python3", "-c", "while True: pass"], timeout_s=1)
    assert result.timed_out and result.exit_code == 137
    assert 1.0 <= result.duration_s < 4.0
    assert_still_works(box)


def test_setsid_child_does_not_outlive_its_command(box: Sandbox) -> None:
    result = box.exec("setsid sleep 300 & setsid sh -c 'sleep 301' & echo started", timeout_s=10)
    assert result.ok and result.stdout == "started\n"
    assert user_processes(box) == []
    timed = box.exec("setsid sleep 302 & sleep 100", timeout_s=1)
    assert timed.timed_out
    assert_still_works(box)


def test_disk_fill_of_the_workdir_and_tmp(box: Sandbox) -> None:
    fill = box.exec("dd if=/dev/zero of=fill bs=1M count=200; dd if=/dev/zero of=/tmp/fill bs=1M count=200")
    assert "No space left on device" in fill.stderr
    usage = box.exec("du -sm fill /tmp/fill | cut -f1")
    sizes = [int(x) for x in usage.stdout.split()]
    assert sizes[0] <= TIGHT.workdir_mb and sizes[1] <= TIGHT.tmp_mb
    assert box.exec("rm fill /tmp/fill").ok
    assert_still_works(box)


def test_network_egress_is_impossible(box: Sandbox) -> None:
    probe = (
        "import socket\n"
        "for host, port in [('1.1.1.1', 53), ('8.8.8.8', 443)]:\n"
        "    try:\n"
        "        socket.create_connection((host, port), timeout=2)\n"
        "        print('CONNECTED')\n"
        "    except OSError as exc:\n"
        "        print('blocked', exc.errno)\n"
        "try:\n"
        "    socket.getaddrinfo('example.com', 80)\n"
        "    print('RESOLVED')\n"
        "except OSError:\n"
        "    print('no dns')\n"
    )
    result = box.exec(["python3", "-c", probe], timeout_s=20)
    assert "CONNECTED" not in result.stdout and "RESOLVED" not in result.stdout
    assert result.stdout.count("blocked") == 2
    assert box.exec("ls /sys/class/net").stdout.split() == ["lo"]
    assert_still_works(box)


def test_writes_outside_the_workdir_fail(box: Sandbox) -> None:
    for path in ["/etc/passwd", "/usr/bin/evil", "/evil", "/root/evil", "/var/evil"]:
        result = box.exec(["sh", "-c", f"echo x >> {path}"])
        assert result.exit_code != 0, path
        assert "Read-only file system" in result.stderr or "Permission denied" in result.stderr, result
    status = box.exec("id -u; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status").stdout.split()
    assert status == ["65534", "CapEff:", "0000000000000000", "NoNewPrivs:", "1"]
    assert_still_works(box)


def test_host_files_are_not_readable(box: Sandbox, tmp_path: Path) -> None:
    secret = Path("/tmp") / f"tf-host-secret-{uuid.uuid4().hex}"
    secret.write_text("host secret")
    try:
        result = box.exec(["cat", str(secret), "/var/run/docker.sock", "/etc/shadow"])
        assert "host secret" not in result.stdout
        assert result.stderr.count("No such file") == 2 and "Permission denied" in result.stderr
        # nothing of the host is mounted: only our own tmpfs and the (read-only) image root
        mounts = box.exec("cut -d' ' -f2 /proc/mounts").stdout.split()
        assert not any(
            m == "/work" or m.startswith(("/work/", "/root", "/home", "/var/run")) for m in mounts
        ), mounts
    finally:
        secret.unlink()
    assert_still_works(box)


def test_zombie_storm_is_reaped(box: Sandbox) -> None:
    storm = (
        "import os, time\n"
        "for _ in range(40):\n"
        "    if os.fork() == 0:\n"
        "        os._exit(0)\n"  # children exit, the parent never waits: 40 zombies
        "time.sleep(0.3)\n"
        "zombies = sum(1 for p in os.listdir('/proc') if p.isdigit()\n"
        "              and open(f'/proc/{p}/stat').read().rsplit(')', 1)[1].split()[0] == 'Z')\n"
        "print(zombies)\n"
    )
    result = box.exec(["python3", "-c", storm], timeout_s=20)
    assert int(result.stdout) >= 40
    orphans = box.exec("for i in $(seq 40); do (sleep 0.05 &); done; echo done", timeout_s=20)
    assert orphans.ok
    assert user_processes(box) == []
    assert_still_works(box)


def test_output_flood_is_truncated(box: Sandbox) -> None:
    result = box.exec("yes flood", timeout_s=2)
    assert result.timed_out
    assert len(result.stdout.encode()) <= TIGHT.output_bytes and result.truncated_bytes > 0
    assert_still_works(box)


def test_signals_to_pid1_are_ignored(box: Sandbox) -> None:
    result = box.exec("kill -INT 1; kill -TERM 1; kill -KILL 1; kill -HUP 1; echo sent")
    assert "sent" in result.stdout
    assert_still_works(box)


def test_client_deadline_destroys_a_sandbox_that_stops_answering(spec: SandboxSpec) -> None:
    owner = f"tf-test-deadline-{uuid.uuid4().hex[:6]}"
    backend = DockerBackend(DockerBackendConfig(owner=owner, deadline_grace_s=1.0))
    box = backend.start(spec)
    try:
        assert box.healthy()  # answered once: now only the command's own deadline applies
        box.container.pause()  # the exec server can no longer answer
        started = time.monotonic()
        with pytest.raises(SandboxBrokenError, match="deadline"):
            box.exec("true", timeout_s=1)
        assert time.monotonic() - started < 10
        assert backend.list(owner) == []
    finally:
        box.close()
        backend.gc(owner=owner)
        backend.close()
