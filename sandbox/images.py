"""Sandbox images: built once, found by tag, never pulled at sandbox start.

Two builds give the same contract (python3 with pytest, git, coreutils `timeout`, procps):
- `offline`: debootstrap a minimal Debian from an apt mirror, then `docker import` the root
  filesystem — needs root and `debootstrap`, but no container registry;
- `dockerfile`: `images/Dockerfile` from the public `python:3.11-slim-bookworm` base — needs a registry.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import docker
import docker.errors

from sandbox.errors import SandboxError

DOCKERFILE_DIR = Path(__file__).parent / "images"
OFFLINE_PACKAGES = ("python3", "python3-pytest", "git", "procps")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
TRIM = ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info")
IMPORT_CHANGES = [
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    "WORKDIR /workspace",
    'LABEL toolforge.sandbox.image="offline"',
    'CMD ["python3"]',
]
Method = Literal["auto", "offline", "dockerfile"]
# The registry the Dockerfile's base comes from; any HTTP answer (401 included) means it is reachable.
REGISTRY_PROBE = "https://registry-1.docker.io/v2/"
DOCKERFILE_BASE = "python:3.11-slim-bookworm"


def image_present(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def apt_mirror() -> str:
    """The Debian mirror this host's apt uses (deb822 or one-line sources), else deb.debian.org."""
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        try:
            text = path.read_text()
        except OSError:
            continue
        match = re.search(r"(?:URIs:|^deb)\s+(?:\[[^\]]*\]\s+)?(https?://\S+/debian)\s", text, re.M)
        if match:
            return match.group(1)
    return DEFAULT_MIRROR


def can_build_offline() -> bool:
    return os.geteuid() == 0 and shutil.which("debootstrap") is not None


def registry_answers(url: str = REGISTRY_PROBE, timeout_s: float = 5.0) -> bool:
    """Whether the container registry at `url` answers HTTP at all within `timeout_s`."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s):
            return True
    except urllib.error.HTTPError:
        return True  # a refusal (401 without a token) is an answer
    except (urllib.error.URLError, TimeoutError, OSError):
        return False


def choose_method(method: Method, *, offline_possible: bool, base_present: bool, registry_up: bool) -> str:
    """`auto`: the offline build when it can run; else the Dockerfile when its base is here or a
    registry answers; else the offline build anyway, whose error names what to install."""
    if method != "auto":
        return method
    if offline_possible:
        return "offline"
    return "dockerfile" if base_present or registry_up else "offline"


def build_offline(
    client: docker.DockerClient,
    tag: str,
    *,
    suite: str = "bookworm",
    mirror: str | None = None,
    packages: tuple[str, ...] = OFFLINE_PACKAGES,
    log: Callable[[str], None] = print,
) -> str:
    """debootstrap a minimal Debian with `packages`, then `docker import` it as `tag`."""
    if os.geteuid() != 0:
        raise SandboxError("the offline image build runs debootstrap, which needs root: run it with sudo")
    if shutil.which("debootstrap") is None:
        raise SandboxError(
            "debootstrap is not installed: `apt-get install debootstrap` (or use --method dockerfile)"
        )
    mirror = mirror or apt_mirror()
    with tempfile.TemporaryDirectory(prefix="tf-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        log(f"debootstrap {suite} from {mirror} with {', '.join(packages)}")
        proc = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(packages)}",
                suite,
                str(rootfs),
                mirror,
            ],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SandboxError(
                f"debootstrap failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-2000:]}"
            )
        for rel in TRIM:
            for child in (rootfs / rel).glob("*"):
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        tar_path = Path(tmp) / "rootfs.tar"
        log(f"packing the root filesystem into {tar_path.name}")
        subprocess.run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(tar_path), "."], check=True)
        repository, _, version = tag.rpartition(":") if ":" in tag.split("/")[-1] else (tag, "", "latest")
        log(f"docker import as {tag}")
        with open(tar_path, "rb") as fh:
            client.api.import_image(src=fh, repository=repository, tag=version, changes=IMPORT_CHANGES)
    return client.images.get(tag).id or tag


def build_dockerfile(client: docker.DockerClient, tag: str, *, log: Callable[[str], None] = print) -> str:
    """Build `images/Dockerfile` (its base image comes from a registry)."""
    log(f"docker build {DOCKERFILE_DIR} as {tag}")
    try:
        image, _ = client.images.build(path=str(DOCKERFILE_DIR), tag=tag, rm=True)
    except docker.errors.BuildError as exc:
        raise SandboxError(
            f"the Dockerfile build failed ({exc}); without a registry use --method offline"
        ) from exc
    return image.id or tag


def build_image(
    client: docker.DockerClient,
    tag: str,
    *,
    method: Method = "auto",
    force: bool = False,
    log: Callable[[str], None] = print,
) -> str:
    """Build the sandbox image unless `tag` exists. `auto` prefers the offline build when possible."""
    if not force and image_present(client, tag):
        log(f"{tag} is present; nothing to build (--force rebuilds)")
        return client.images.get(tag).id or tag
    offline_possible = can_build_offline()
    base_present = image_present(client, DOCKERFILE_BASE)
    # The probe only matters when both builds are in question.
    registry_up = method == "auto" and not offline_possible and not base_present and registry_answers()
    chosen = choose_method(
        method, offline_possible=offline_possible, base_present=base_present, registry_up=registry_up
    )
    if method == "auto" and chosen == "offline" and not offline_possible:
        log(f"no container registry answers at {REGISTRY_PROBE}: building offline")
    if chosen == "offline":
        return build_offline(client, tag, log=log)
    return build_dockerfile(client, tag, log=log)
