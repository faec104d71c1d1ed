"""Sandbox benchmark: our docker backend beside the same operations done with the `docker` CLI.

    .venv/bin/python bench/sandbox.py [--cold 20] [--warm 200] [--rounds 5] [--pool 8]

Measures, in one run on one engine, with the same image and the same hardening flags:
- cold start: `backend.start` (create + start + attach + first answer) vs `docker run -d`;
  and a whole one-shot command (start, `true`, remove) vs `docker run --rm ... true`;
- warm exec of `true` in a started sandbox: our exec channel vs `docker exec`;
- grading throughput: every example code task graded `--rounds` times with the gold patch
  applied (prepare, apply, grade: the same `sandbox.grading` code), `--pool` jobs at once —
  through a warm `SandboxPool` of that size vs a sandbox driven only by `docker` CLI calls.
Ratios are CLI time / our time (above 1: we are faster). Time on a shared machine is noisy:
compare medians and ratios, not absolute numbers. The last line is machine-readable.
"""

# ruff: noqa: E402  (the imports follow the sys.path fix below)
from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the package it measures: keep its own folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from sandbox import (
    DEFAULT_IMAGE,
    DockerBackendConfig,
    ExecRequest,
    ExecResult,
    SandboxPool,
    SandboxSpec,
    load_tasks,
)
from sandbox.base import Sandbox
from sandbox.code_tasks import CodeTask
from sandbox.docker_backend import LABEL, LABEL_OWNER, SERVER_SOURCE, DockerBackend
from sandbox.grading import apply_patch, grade, prepare
from sandbox.models import SANDBOX_UID, WORKDIR
from sandbox.tarfiles import pack

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "code_tasks"


def cli_flags(spec: SandboxSpec, owner: str) -> list[str]:
    """The `docker run` flags equal to DockerBackend.container_kwargs."""
    lim = spec.limits
    return [
        "--label", f"{LABEL}=1", "--label", f"{LABEL_OWNER}={owner}",
        "--user", f"{SANDBOX_UID}:{SANDBOX_UID}", "--workdir", WORKDIR, "--network", "none",
        "--memory", f"{lim.memory_mb}m", "--memory-swap", f"{lim.memory_mb}m", "--cpus", str(lim.cpus),
        "--pids-limit", str(lim.pids), "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true",
        "--read-only", "--tmpfs", f"/tmp:rw,exec,nosuid,nodev,size={lim.tmp_mb}m,mode=1777",
        "--tmpfs", f"{WORKDIR}:rw,exec,nosuid,nodev,size={lim.workdir_mb}m,uid={SANDBOX_UID},gid={SANDBOX_UID}",
        "--ulimit", f"nofile={lim.nofile}:{lim.nofile}", "--log-driver", "none", "--env", f"HOME={WORKDIR}",
    ]  # fmt: skip


def docker(*args: str, stdin: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["docker", *args], input=stdin, capture_output=True, check=check)


class CliSandbox(Sandbox):
    """The same Sandbox interface driven only through `docker` CLI calls (the baseline)."""

    def __init__(self, spec: SandboxSpec, owner: str) -> None:
        self.workdir = WORKDIR
        self.id = f"tf-bench-cli-{uuid.uuid4().hex[:10]}"
        docker("run", "-d", "--name", self.id, *cli_flags(spec, owner), spec.image, "sleep", "infinity")

    def run(self, request: ExecRequest) -> ExecResult:
        workdir = f"{WORKDIR}/{request.workdir}" if request.workdir else WORKDIR
        env = [x for k, v in request.env.items() for x in ("--env", f"{k}={v}")]
        argv = ["timeout", "-s", "KILL", f"{request.timeout_s:g}", *request.argv()]
        started = time.perf_counter()
        done = docker(
            "exec", *(["-i"] if request.stdin else []), "-u", f"{SANDBOX_UID}:{SANDBOX_UID}", "-w", workdir,
            *env, self.id, *argv, stdin=request.stdin, check=False,
        )  # fmt: skip
        return ExecResult(
            exit_code=done.returncode,
            stdout=done.stdout.decode(errors="replace"),
            stderr=done.stderr.decode(errors="replace"),
            duration_s=time.perf_counter() - started,
        )

    def write_files(self, files: Mapping[str, bytes | str]) -> None:
        data = pack(files, SANDBOX_UID, SANDBOX_UID)
        docker(
            "exec",
            "-i",
            "-u",
            f"{SANDBOX_UID}:{SANDBOX_UID}",
            self.id,
            "tar",
            "-x",
            "-C",
            WORKDIR,
            stdin=data,
        )

    def read_file(self, path: str, max_bytes: int = 1 << 20) -> bytes:
        done = docker(
            "exec", "-u", f"{SANDBOX_UID}:{SANDBOX_UID}", "-w", WORKDIR, self.id, "cat", path, check=False
        )
        if done.returncode != 0:
            raise FileNotFoundError(path)
        return done.stdout[:max_bytes]

    def healthy(self) -> bool:
        return docker("exec", self.id, "true", check=False).returncode == 0

    def close(self) -> None:
        docker("rm", "-f", self.id, check=False)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def grade_gold(box: Sandbox, task: CodeTask) -> bool:
    prepare(box, task)
    assert apply_patch(box, task.gold_patch or "").ok
    return grade(box, task).resolved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default=DEFAULT_IMAGE)
    parser.add_argument("--cold", type=int, default=20)
    parser.add_argument("--warm", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pool", type=int, default=8)
    args = parser.parse_args()

    owner = f"tf-bench-{uuid.uuid4().hex[:6]}"
    backend = DockerBackend(DockerBackendConfig(owner=owner))
    backend.require_image(args.image)
    spec = SandboxSpec(image=args.image)
    flags = cli_flags(spec, owner)
    rows: list[tuple[str, str, str, str]] = []
    try:
        # cold start: create + start, ready for a command
        ours_cold: list[float] = []
        for _ in range(args.cold):
            started = time.perf_counter()
            box = backend.start(spec)
            ours_cold.append(time.perf_counter() - started)
            box.close()
        cli_cold: list[float] = []
        for _ in range(args.cold):
            name = f"tf-bench-cold-{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            docker("run", "-d", "-i", "--name", name, *flags, args.image, "python3", "-c", SERVER_SOURCE)
            cli_cold.append(time.perf_counter() - started)
            docker("rm", "-f", name)
        rows.append(_row("cold start (create+start)", ours_cold, "docker run -d", cli_cold))

        def ours_oneshot() -> None:
            with backend.start(spec) as box:
                box.exec(["true"])

        ours_once = timed(ours_oneshot, args.cold)
        cli_once = timed(lambda: docker("run", "--rm", *flags, args.image, "true"), args.cold)
        rows.append(_row("one-shot `true` (start, run, remove)", ours_once, "docker run --rm", cli_once))

        # warm exec of `true`
        with SandboxPool(backend, spec, size=1, max_size=1) as pool, pool.lease() as box:
            for _ in range(10):
                box.exec(["true"])
            ours_warm = timed(lambda: box.exec(["true"]), args.warm)
            cid = box.id
            cli_warm = timed(
                lambda: docker("exec", "-u", f"{SANDBOX_UID}:{SANDBOX_UID}", cid, "true"), args.warm
            )
        rows.append(_row("warm exec `true`", ours_warm, "docker exec", cli_warm))

        # grading throughput: every example task x rounds, gold patch, `pool` jobs at once
        tasks = load_tasks(EXAMPLES) * args.rounds
        with SandboxPool(backend, spec, size=args.pool, max_size=args.pool) as pool:

            def ours_job(task: CodeTask) -> bool:
                with pool.lease() as box:
                    return grade_gold(box, task)

            started = time.perf_counter()
            with ThreadPoolExecutor(args.pool) as ex:
                ours_ok = list(ex.map(ours_job, tasks))
            ours_wall = time.perf_counter() - started

        def cli_job(task: CodeTask) -> bool:
            box = CliSandbox(spec, owner)
            try:
                return grade_gold(box, task)
            finally:
                box.close()

        started = time.perf_counter()
        with ThreadPoolExecutor(args.pool) as ex:
            cli_ok = list(ex.map(cli_job, tasks))
        cli_wall = time.perf_counter() - started
        assert all(ours_ok) and all(cli_ok), "a gold patch failed to resolve its task"
        rows.append(
            (
                f"grading {len(tasks)} tasks, {args.pool} at once (tasks/s)",
                f"{len(tasks) / ours_wall:.2f} (pool)",
                f"{len(tasks) / cli_wall:.2f} (docker CLI)",
                f"{cli_wall / ours_wall:.2f}x",
            )
        )
    finally:
        backend.gc(owner=owner)
        backend.close()

    width = max(len(r[0]) for r in rows)
    print(f"{'operation':<{width}}  {'ours p50 / p95':<22}  {'docker CLI p50 / p95':<34}  speedup (p50)")
    for name, ours, cli, ratio in rows:
        print(f"{name:<{width}}  {ours:<22}  {cli:<34}  {ratio}")
    warm_p50 = statistics.median(ours_warm) * 1000
    print(
        f"warm_exec_p50_ms={warm_p50:.2f} ratio_vs_cli={statistics.median(cli_warm) / statistics.median(ours_warm):.2f}"
    )


def _row(name: str, ours: list[float], cli_name: str, cli: list[float]) -> tuple[str, str, str, str]:
    ms = lambda xs, q: pct(xs, q) * 1000  # noqa: E731
    return (
        name,
        f"{ms(ours, 0.5):.1f} / {ms(ours, 0.95):.1f} ms",
        f"{ms(cli, 0.5):.1f} / {ms(cli, 0.95):.1f} ms ({cli_name})",
        f"{statistics.median(cli) / statistics.median(ours):.2f}x",
    )


if __name__ == "__main__":
    sys.exit(main())
