"""Helpers shared by the sandbox tests (a module of its own: `conftest` names collide across folders)."""

from __future__ import annotations

import os

from sandbox.base import Sandbox
from sandbox.models import DEFAULT_IMAGE, Limits

IMAGE = os.environ.get("TOOLFORGE_SANDBOX_IMAGE", DEFAULT_IMAGE)
# tight limits make the hostile battery quick
TIGHT = Limits(memory_mb=256, pids=64, workdir_mb=32, tmp_mb=16, output_bytes=64 * 1024)


def user_processes(sandbox: Sandbox) -> list[str]:
    """`state cmdline` of every process in the sandbox except PID 1 and this probe with its ancestors."""
    probe = (
        "import os\n"
        "def stat(p):\n"
        "    return open(f'/proc/{p}/stat').read().rsplit(')', 1)[1].split()\n"
        "mine, p = set(), os.getpid()\n"
        "while p > 1:\n"
        "    mine.add(p)\n"
        "    p = int(stat(p)[1])\n"
        "for p in os.listdir('/proc'):\n"
        "    if p.isdigit() and int(p) != 1 and int(p) not in mine:\n"
        "        try:\n"
        "            cmd = open(f'/proc/{p}/cmdline', 'rb').read().replace(b'\\0', b' ').decode().strip()\n"
        "            print(stat(p)[0], cmd)\n"
        "        except OSError:\n"
        "            pass\n"
    )
    result = sandbox.exec(["python3", "-c", probe], timeout_s=20)
    assert result.exit_code == 0, result
    return result.stdout.splitlines()
