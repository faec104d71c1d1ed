"""The test server in its own process (its own core): for benchmarks and heavy fault runs."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from toolforge.core.llm.testserver.replies import Faults


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
        import os

        fields = open(f"/proc/{self.process.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def spawn_server(
    latency_ms: float = 0.0, faults: Faults | None = None, seed: int = 0
) -> Iterator[ServerProcess]:
    """Start `python -m toolforge.core.llm.testserver` on a free port; stop it on exit."""
    f = faults or Faults()
    args = [
        sys.executable, "-m", "toolforge.core.llm.testserver", "--port", "0",
        "--latency-ms", str(latency_ms), "--seed", str(seed),
        "--fault-429", str(f.rate_429), "--fault-500", str(f.rate_500),
        "--fault-malformed", str(f.rate_malformed), "--fault-truncated", str(f.rate_truncated),
        "--fault-timeout", str(f.rate_timeout), "--hang-s", str(f.hang_s),
        "--retry-after", f.retry_after or "", "--retry-after-ms", str(f.retry_after_ms or -1),
    ]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if process.stdout is not None else ""
        if not line.startswith("listening on "):
            raise RuntimeError(f"the test server did not start (exit code {process.poll()})")
        yield ServerProcess(line.split()[-1], process)
    finally:
        process.terminate()
        process.wait(10)
