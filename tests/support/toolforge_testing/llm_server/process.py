"""The test server in its own process (its own core): for benchmarks and heavy fault runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolforge_testing.llm_server.replies import Faults

# The folder that holds `toolforge_testing`: the child process imports the server from it.
SUPPORT_DIR = Path(__file__).resolve().parents[2]


@dataclass
class ServerProcess:
    url: str
    process: subprocess.Popen[str]

    def stats(self) -> dict[str, Any]:
        """`{"counts": {kind: n}, "max_open": n}` from the server's GET /stats."""
        with urllib.request.urlopen(self.url.removesuffix("/v1") + "/stats", timeout=10) as response:
            return json.loads(response.read())

    def cpu_s(self) -> float:
        """CPU seconds the server process has used (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def spawn_server(
    latency_ms: float = 0.0, faults: Faults | None = None, seed: int = 0
) -> Iterator[ServerProcess]:
    """Start `python -m toolforge_testing.llm_server` on a free port; stop it on exit."""
    f = faults or Faults()
    args = [
        sys.executable, "-m", "toolforge_testing.llm_server", "--port", "0",
        "--latency-ms", str(latency_ms), "--seed", str(seed),
        "--fault-429", str(f.rate_429), "--fault-500", str(f.rate_500),
        "--fault-malformed", str(f.rate_malformed), "--fault-truncated", str(f.rate_truncated),
        "--fault-timeout", str(f.rate_timeout), "--hang-s", str(f.hang_s),
        "--retry-after", f.retry_after or "", "--retry-after-ms", str(f.retry_after_ms or -1),
    ]  # fmt: skip
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SUPPORT_DIR), os.environ.get("PYTHONPATH")])),
    }
    with subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env) as process:  # closes the pipe
        try:
            line = process.stdout.readline() if process.stdout is not None else ""
            if not line.startswith("listening on "):
                raise RuntimeError(f"the test server did not start (exit code {process.poll()})")
            yield ServerProcess(line.split()[-1], process)
        finally:
            process.terminate()
            process.wait(10)
