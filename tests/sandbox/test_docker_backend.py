"""The docker backend against a real engine: exec, files, hardening, no implicit pull, labels and gc."""

from __future__ import annotations

import io
import tarfile
import time
import uuid

import pytest

from sandbox.base import Sandbox
from sandbox.docker_backend import LABEL, LABEL_OWNER, DockerBackend, DockerSandbox
from sandbox.errors import ImageMissingError, SandboxBrokenError, SandboxError
from sandbox.models import DockerBackendConfig, SandboxSpec

pytestmark = pytest.mark.docker


def test_exec_reports_streams_exit_code_env_and_workdir(box: Sandbox) -> None:
    result = box.exec("echo out; echo err >&2; echo $GREETING; pwd; exit 3", env={"GREETING": "hi"})
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\nhi\n/workspace\n", "err\n")
    assert not result.timed_out and not result.ok
    assert box.exec("mkdir -p sub/dir").ok
    assert box.exec(["pwd"], workdir="sub/dir").stdout == "/workspace/sub/dir\n"
    assert box.exec(["cat"], stdin=b"piped\x00bytes").stdout == "piped\x00bytes"
    missing = box.exec(["definitely-not-a-command"])
    assert missing.exit_code == 127


def test_files_round_trip_through_tar(box: Sandbox) -> None:
    box.write_files({"pkg/mod.py": "X = 1\n", "run.sh": "echo ran\n", "data.bin": bytes(range(256))})
    assert box.read_file("pkg/mod.py") == b"X = 1\n"
    assert box.read_file("/workspace/data.bin") == bytes(range(256))
    assert box.exec("./run.sh").stdout == "ran\n"
    assert box.exec("stat -c '%u %a' pkg/mod.py").stdout == "65534 644\n"
    assert box.read_file("data.bin", max_bytes=10) == bytes(range(10))
    with pytest.raises(FileNotFoundError):
        box.read_file("nope.txt")
    with pytest.raises(ValueError, match="relative path"):
        box.write_files({"../escape.txt": "x"})


def test_container_is_hardened(box: Sandbox) -> None:
    assert isinstance(box, DockerSandbox)
    box.container.reload()
    host = box.container.attrs["HostConfig"]
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert host["SecurityOpt"] == ["no-new-privileges:true"]
    assert host["Memory"] == host["MemorySwap"] == 256 << 20
    assert host["PidsLimit"] == 64 and host["NanoCpus"] == 10**9
    assert set(host["Tmpfs"]) == {"/tmp", "/workspace"}
    assert box.container.attrs["Config"]["User"] == "65534:65534"
    assert box.container.labels[LABEL] == "1"


def test_missing_image_is_a_clear_error_and_never_pulled(docker_backend: DockerBackend) -> None:
    image = f"registry.invalid/toolforge/none-{uuid.uuid4().hex[:6]}:latest"
    started = time.monotonic()
    with pytest.raises(ImageMissingError, match="toolforge sandbox build-image"):
        docker_backend.start(SandboxSpec(image=image))
    assert time.monotonic() - started < 5  # no registry round trip
    assert docker_backend.list(docker_backend.config.owner) == []


def test_gc_removes_leftovers_by_label(spec: SandboxSpec) -> None:
    owner = f"tf-test-gc-{uuid.uuid4().hex[:6]}"
    backend = DockerBackend(DockerBackendConfig(owner=owner))
    boxes = []
    try:
        boxes += [backend.start(spec) for _ in range(2)]  # "crashed" owners never close these
        assert {c.name for c in backend.list(owner)} == {b.id for b in boxes}
        assert all(c.labels[LABEL_OWNER] == owner for c in backend.list(owner))
        assert backend.gc(owner=owner, older_than_s=3600) == []  # too young
        assert sorted(backend.gc(owner=owner)) == sorted(b.id for b in boxes)
        assert backend.list(owner) == []
        with pytest.raises(SandboxBrokenError):
            boxes[0].exec("true")
    finally:
        backend.gc(owner=owner)
        for box in boxes:  # their containers are gone; this closes the attach streams
            box.close()
        backend.close()


def test_close_is_idempotent_and_removes_the_container(
    docker_backend: DockerBackend, spec: SandboxSpec
) -> None:
    box = docker_backend.start(spec)
    name = box.id
    box.close()
    box.close()
    assert name not in {c.name for c in docker_backend.list()}


def test_sandbox_that_died_is_reported_and_not_healthy(
    docker_backend: DockerBackend, spec: SandboxSpec
) -> None:
    box = docker_backend.start(spec)
    assert box.healthy()
    box.container.kill()
    assert not box.healthy()
    assert box.id not in {c.name for c in docker_backend.list()}


def test_an_image_without_python_fails_with_a_clear_error(docker_backend: DockerBackend) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("hello.txt")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"hi"))
    tag = f"tf-test-nopython:{uuid.uuid4().hex[:6]}"
    repository, version = tag.split(":")
    docker_backend.client.api.import_image_from_data(buf.getvalue(), repository=repository, tag=version)
    try:
        with pytest.raises(SandboxError, match="python3"):
            docker_backend.start(SandboxSpec(image=tag))
        assert docker_backend.list(docker_backend.config.owner) == []
    finally:
        docker_backend.client.images.remove(tag, force=True)


def test_only_internal_networks_are_accepted(docker_backend: DockerBackend, spec: SandboxSpec) -> None:
    suffix = uuid.uuid4().hex[:6]
    internal = docker_backend.client.networks.create(f"tf-test-int-{suffix}", driver="bridge", internal=True)
    open_net = docker_backend.client.networks.create(f"tf-test-open-{suffix}", driver="bridge")
    try:
        with pytest.raises(ValueError, match="not internal"):
            docker_backend.start(spec.model_copy(update={"network": open_net.name}))
        with docker_backend.start(spec.model_copy(update={"network": internal.name})) as box:
            probe = "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    print('OUT')\nexcept OSError:\n    print('blocked')\n"
            assert box.exec(["python3", "-c", probe], timeout_s=20).stdout == "blocked\n"
            assert "eth0" in box.exec("ls /sys/class/net").stdout.split()
    finally:
        internal.remove()
        open_net.remove()
