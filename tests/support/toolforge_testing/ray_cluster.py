"""A Ray cluster of several nodes on this one machine, for tests and `bench/scale_out.py`.

`ray start` is run for a head and each worker, with small resources (one CPU, a 100 MB object
store, no dashboard), free ports and a temporary directory of its own. Processes are found by
that directory (or their node's port) and stopped by their ids — never with a machine-wide
`ray stop`, which would stop every other Ray on the machine too.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# Nodes found dead quickly, so a killed worker's units move on within seconds.
FAST_FAILURE = {
    "RAY_health_check_initial_delay_ms": "0",
    "RAY_health_check_period_ms": "500",
    "RAY_health_check_timeout_ms": "1000",
    "RAY_health_check_failure_threshold": "3",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process, read from /proc (`ps` cuts long lines)."""
    rows = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        rows.append((int(entry.name), ppid, args))
    return rows


def _with_descendants(roots: set[int]) -> set[int]:
    rows = _processes()
    found = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, ppid, _ in rows:
            if ppid in found and pid not in found:
                found.add(pid)
                grew = True
    return found


def _kill(pids: set[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


@dataclass
class LocalCluster:
    workers: int = 2
    pythonpath: str = ""
    temp_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tfray-")))
    port: int = field(default_factory=free_port)
    worker_env: dict[str, str] = field(default_factory=dict)  # for the worker nodes only
    worker_ports: list[int] = field(default_factory=list)
    head_cpus: int = 1  # 0: the head only schedules (as in compose), and every node is a worker

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _ray(self, *args: str, env: dict[str, str] | None = None, cpus: int = 1) -> None:
        ray_cli = Path(sys.executable).with_name("ray")
        environ = {**os.environ, **(env or {}), "RAY_USAGE_STATS_ENABLED": "0"}
        if self.pythonpath:
            environ["PYTHONPATH"] = os.pathsep.join(
                filter(None, [self.pythonpath, environ.get("PYTHONPATH")])
            )
        common = ["--num-cpus", str(cpus), "--object-store-memory", "100000000", "--disable-usage-stats"]
        done = subprocess.run(
            [str(ray_cli), "start", *args, *common], env=environ, capture_output=True, text=True, timeout=180
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"ray start {' '.join(args)} failed: {done.stdout[-1500:]}{done.stderr[-1500:]}"
            )

    def start(self) -> LocalCluster:
        self._ray(
            "--head", "--node-ip-address", "127.0.0.1", "--port", str(self.port),
            "--include-dashboard", "false", "--temp-dir", str(self.temp_dir),
            "--ray-client-server-port", str(free_port()), "--node-manager-port", str(free_port()),
            env=FAST_FAILURE, cpus=self.head_cpus,
        )  # fmt: skip
        for _ in range(self.workers):
            self.add_worker()
        return self

    def add_worker(self) -> int:
        """Start one more worker node (one at a time: parallel starts time out a busy GCS)."""
        port = free_port()
        self._ray(
            "--address", self.address, "--node-ip-address", "127.0.0.1",
            "--node-manager-port", str(port), "--temp-dir", str(self.temp_dir),
            env=self.worker_env,
        )  # fmt: skip
        self.worker_ports.append(port)
        return port

    def worker_pids(self, index: int) -> set[int]:
        """Worker node `index`'s raylet and every process it started (its actors among them)."""
        needle = f"--node_manager_port={self.worker_ports[index]}"
        raylets = {pid for pid, _, args in _processes() if "raylet" in args and needle in args}
        if not raylets:
            raise RuntimeError(f"no raylet of worker {index} (port {self.worker_ports[index]}) is running")
        return _with_descendants(raylets)

    def kill_worker(self, index: int) -> set[int]:
        """SIGKILL worker node `index`, as a machine that loses power would stop."""
        pids = self.worker_pids(index)
        _kill(pids, signal.SIGKILL)
        return pids

    def own_pids(self) -> set[int]:
        """This cluster's processes: those naming its directory or its head's address (the
        client server names only that), and their children; never this process or its parents."""
        markers = (str(self.temp_dir), f":{self.port} ")
        rows = _processes()
        mine = {pid for pid, _, args in rows if any(m in args for m in markers)}
        ancestors, pid = set(), os.getpid()
        by_pid = {p: pp for p, pp, _ in rows}
        while pid in by_pid and pid not in ancestors:
            ancestors.add(pid)
            pid = by_pid[pid]
        return _with_descendants(mine - ancestors) - ancestors

    def stop(self) -> None:
        pids = self.own_pids()
        _kill(pids, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (pids := pids & self.own_pids()):
            time.sleep(0.2)
        _kill(pids, signal.SIGKILL)
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
