"""The fault probes of issue 15: a careless or hostile user's moves, each run through the real
`toolforge` command (a subprocess, real SQLite, real MCP servers, the loopback LLM server over
HTTP). Each returns a `ProbeResult`: was the fault handled (the clear message, the exit code),
how many stored rows it lost, how many times a planted secret leaked. `tests/faults/` asserts
them one by one; `bench/faults.py` runs them all and prints the tally."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toolforge.core.jsonschema_tools import instance_for
from toolforge_testing.llm_server import Reply, TestServer
from toolforge_testing.llm_server.replies import Request

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHOP = f"{REPO / 'examples' / 'domains' / 'shop' / 'toolkit.py'}:ShopToolkit"
KEY_ENV = "TOOLFORGE_FAULT_PROBE_KEY"
DEADLINE_S = 300


@dataclass
class ProbeResult:
    name: str
    handled: bool
    lost_rows: int = 0
    leaked_secrets: int = 0
    detail: str = ""
    checks: dict[str, bool] = field(default_factory=dict)

    def check(self, name: str, ok: bool) -> bool:
        self.checks[name] = bool(ok)
        return bool(ok)


# ---- helpers ----------------------------------------------------------------------------------


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = DEADLINE_S
) -> subprocess.CompletedProcess[str]:
    """`toolforge ARGS` from this tree, in a fresh process, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "toolforge.cli", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def small(workspace: Path, name: str = "probe", **overrides: Any) -> dict[str, Any]:
    """A fast config: the example shop toolkit, blueprint episodes, no model."""
    data: dict[str, Any] = {
        "name": name,
        "workspace": str(workspace),
        "tools": {"toolkits": [SHOP]},
        "agents": {"count": 2, "min_tools": 3, "max_tools": 4},
        "tasks": {"difficulties": ["single_call"], "per_difficulty": 2},
        "rollouts": {"policy": "blueprint", "user": "template", "simulator": "schema"},
        "sampling": {"attempts": 1, "stop_after_accepted": 1},
        "judges": {"rubric": {"enabled": False}},
        "export": {"formats": ["openai"]},
    }
    data.update(overrides)
    return data


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def with_judge(data: dict[str, Any], url: str, required_rubric: bool) -> dict[str, Any]:
    data["models"] = {
        "judge": {"model": "openai/probe-judge", "api_base": url, "api_key_env": KEY_ENV,
                  "max_retries": 2, "concurrency": 1, "timeout_s": 10},
    }  # fmt: skip
    required = ["rules", "grounding", "state", "tests"] + (["rubric"] if required_rubric else [])
    data["judges"] = {"rubric": {"enabled": True, "item_kinds": ["general"]}, "required": required}
    return data


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def row_counts(db: Path) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def lost(before: dict[str, int], after: dict[str, int]) -> int:
    return sum(max(0, n - after.get(t, 0)) for t, n in before.items())


def run_status(db: Path, name: str) -> str:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT status FROM runs WHERE id = ?", (f"pipeline:{name}",)).fetchone()
    return row[0] if row else ""


def occurrences(secret: str, *places: Path | str) -> int:
    """How many times `secret` occurs in these files (folders: every file under them) and texts."""
    count = 0
    needle = secret.encode()
    for place in places:
        if isinstance(place, Path):
            paths = [p for p in place.rglob("*") if p.is_file()] if place.is_dir() else [place]
            count += sum(p.read_bytes().count(needle) for p in paths if p.exists())
        else:
            count += place.count(secret)
    return count


def flat(text: str) -> str:
    return " ".join(text.split())


# ---- probes -----------------------------------------------------------------------------------


def probe_missing_server_resume(tmp: Path) -> ProbeResult:
    """A finished run on the three example MCP servers; one server removed from the servers file;
    the re-run must stop, name the server, and leave the dataset and the store as they were."""
    result = ProbeResult("missing_server_resume", handled=False)
    servers = json.loads((REPO / "examples" / "mcp_servers" / "servers.json").read_text())
    for spec in servers["mcpServers"].values():
        spec["cwd"] = str(REPO)
        spec.pop("world")  # harvest only: episodes on the schema simulator (fast, no containers)
    servers_file = tmp / "servers.json"
    servers_file.write_text(json.dumps(servers))
    ws = tmp / "ws"
    data = small(ws, name="mcp-probe", tools={"servers": str(servers_file)})
    data["agents"] = {"count": 2, "min_tools": 3, "max_tools": 4}
    config = write_config(tmp / "mcp.yaml", data)
    first = cli("generate", "--config", str(config), "--no-progress")
    if not result.check("first run exits 0", first.returncode == 0):
        result.detail = first.stderr[-1500:]
        return result
    dataset, db = ws / "dataset" / "mcp-probe", ws / "toolforge.db"
    files, rows = files_of(dataset), row_counts(db)
    del servers["mcpServers"]["agenda"]
    servers_file.write_text(json.dumps(servers))
    again = cli("generate", "--config", str(config), "--no-progress")
    message = flat(again.stderr)
    result.lost_rows = lost(rows, row_counts(db))
    result.check("exit non-zero", again.returncode != 0)
    result.check("names the server", "agenda" in message and "--allow-changes" in message)
    result.check("dataset byte for byte", files_of(dataset) == files)
    result.check("status still finished", run_status(db, "mcp-probe") == "finished")
    allowed = cli("generate", "--config", str(config), "--no-progress", "--allow-changes")
    result.check("--allow-changes goes on", allowed.returncode == 0 and "agenda" in flat(allowed.stdout))
    result.handled = all(result.checks.values())
    result.detail = message[:400]
    return result


def probe_auth_error_is_fatal(tmp: Path, server: TestServer) -> ProbeResult:
    """A rubric judge whose key is refused (401 on every call): one request, no retry, exit 2,
    a message naming the key's variable, run status failed."""
    result = ProbeResult("auth_401_fatal", handled=False)
    server.reset()
    server.responder = lambda _req: Reply.error(401)
    ws = tmp / "ws"
    config = write_config(tmp / "auth.yaml", with_judge(small(ws, name="auth-probe"), server.url, True))
    run = cli("generate", "--config", str(config), "--no-progress", env={KEY_ENV: "sk-refused-probe-0000"})
    server.responder = None
    message = flat(run.stderr)
    result.check("exit 2", run.returncode == 2)
    result.check("names the fix", "refused the credentials" in message and KEY_ENV in message)
    result.check("not retried", len(server.requests) == 1)
    result.check("status failed", run_status(ws / "toolforge.db", "auth-probe") == "failed")
    result.check("no traceback", "Traceback" not in run.stderr)
    result.handled = all(result.checks.values())
    result.detail = message[:400]
    return result


def _echoing(req: Request) -> Reply:
    """A valid rubric reply whose every string is the request's Authorization header."""
    header = req.headers.get("authorization", "")

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return f"echo {header}"
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    schema = req.schema
    if schema is None:
        return Reply.text(f"echo {header}")
    return Reply.json(fill(instance_for(schema, random.Random(0), optional_p=1.0)))


def probe_secret_echo(tmp: Path, server: TestServer) -> ProbeResult:
    """A key the judge endpoint echoes in every 200 reply: zero occurrences in the store file, the
    export folder and the command's output."""
    result = ProbeResult("secret_echo_200", handled=False)
    secret = f"sk-probe-{uuid.uuid4().hex}"
    server.reset()
    server.responder = _echoing
    ws = tmp / "ws"
    config = write_config(tmp / "echo.yaml", with_judge(small(ws, name="echo-probe"), server.url, False))
    run = cli("generate", "--config", str(config), "--no-progress", env={KEY_ENV: secret})
    server.responder = None
    out = tmp / "export"
    exported = cli("export", "--db", f"sqlite:///{ws / 'toolforge.db'}", "--run", "echo-probe", "--all",
                   "--out", str(out))  # fmt: skip
    result.check("run exits 0", run.returncode == 0)
    result.check(
        "the key was sent", any(r.headers.get("authorization") == f"Bearer {secret}" for r in server.requests)
    )
    result.check("the echo was kept masked", occurrences("Bearer ***", ws / "toolforge.db") > 0)
    result.leaked_secrets = occurrences(
        secret, ws, out, run.stdout, run.stderr, exported.stdout, exported.stderr
    )
    result.check("zero leaks", result.leaked_secrets == 0)
    result.handled = all(result.checks.values())
    result.detail = run.stderr[-400:]
    return result


def probe_non_required_judge(tmp: Path, server: TestServer) -> ProbeResult:
    """A broken rubric judge that is not required: the run accepts on the required checks, exits 0,
    and the summary lists the judge failures with a fix."""
    result = ProbeResult("non_required_judge", handled=False)
    server.reset()
    server.responder = lambda _req: Reply.error(500)
    ws = tmp / "ws"
    config = write_config(tmp / "judge.yaml", with_judge(small(ws, name="judge-probe"), server.url, False))
    run = cli("generate", "--config", str(config), "--no-progress", env={KEY_ENV: "sk-probe-nonrequired"})
    server.responder = None
    output = flat(run.stdout)
    lines = (
        (ws / "dataset" / "judge-probe" / "openai.jsonl").read_text().splitlines()
        if run.returncode == 0
        else []
    )
    result.check("exit 0", run.returncode == 0)
    result.check("dataset not empty", len(lines) > 0)
    result.check("failures summarised", "failures:" in output and "judge" in output and "rubric" in output)
    result.handled = all(result.checks.values())
    result.detail = (run.stderr or output)[-400:]
    return result


def probe_duplicate_key(tmp: Path) -> ProbeResult:
    result = ProbeResult("duplicate_yaml_key", handled=False)
    ws = tmp / "ws"
    text = yaml.safe_dump(small(ws, name="dup-probe"), sort_keys=False) + "agents:\n  count: 9\n"
    config = tmp / "dup.yaml"
    config.write_text(text)
    run = cli("generate", "--config", str(config), "--no-progress")
    message = flat(run.stderr)
    result.check("exit 2", run.returncode == 2)
    result.check("names the key and lines", "'agents' appears twice" in message and "line" in message)
    result.check("nothing made", not ws.exists())
    result.handled = all(result.checks.values())
    result.detail = message[:300]
    return result


def probe_lock_and_sigterm(tmp: Path, server: TestServer) -> ProbeResult:
    """A second process on a live run is refused naming the first's pid; SIGTERM then stops the
    first cleanly (exit 130, a message, status interrupted) and a re-run finishes it. The first
    run is held live by a judge endpoint that answers slowly."""
    result = ProbeResult("lock_and_sigterm", handled=False)
    server.reset()
    server.responder = lambda _req: Reply.auto(delay_s=20.0)
    ws = tmp / "ws"
    config = write_config(tmp / "lock.yaml", with_judge(small(ws, name="lock-probe"), server.url, False))
    env = {**os.environ, "PYTHONPATH": str(REPO), KEY_ENV: "sk-probe-lock-000000"}
    with subprocess.Popen(
        [sys.executable, "-m", "toolforge.cli", "generate", "--config", str(config), "--no-progress"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as first:  # fmt: skip
        try:
            deadline = time.monotonic() + DEADLINE_S
            while first.poll() is None and not server.requests and time.monotonic() < deadline:
                time.sleep(0.05)  # until the first run is inside its (slow) judge stage
            second = cli(
                "generate", "--config", str(config), "--no-progress", env={KEY_ENV: "sk-probe-lock-000000"}
            )
            still_live = first.poll() is None
            first.send_signal(signal.SIGTERM)
            _, err = first.communicate(timeout=120)
        finally:
            first.kill()  # a no-op once it has exited; after a failure above it must not outlive the probe
    server.responder = None
    db = ws / "toolforge.db"
    result.check("first was live", still_live)
    result.check("second refused", second.returncode == 2)
    result.check("names pid", f"pid {first.pid}" in flat(second.stderr))
    result.check("SIGTERM exit 130", first.returncode == 130)
    result.check("SIGTERM message", "interrupted" in flat(err))
    result.check("status interrupted", run_status(db, "lock-probe") == "interrupted")
    resumed = cli("generate", "--config", str(config), "--no-progress", env={KEY_ENV: "sk-probe-lock-000000"})
    result.check(
        "resume finishes", resumed.returncode == 0 and "last run interrupted" in flat(resumed.stdout)
    )
    result.check("status finished", run_status(db, "lock-probe") == "finished")
    result.handled = all(result.checks.values())
    result.detail = flat(second.stderr)[:300] + " | " + flat(err)[-300:]
    return result


def probe_shared_workspace(tmp: Path) -> ProbeResult:
    """Two run names in one workspace: two dataset folders; the second never touches the first's."""
    result = ProbeResult("shared_workspace", handled=False)
    ws = tmp / "ws"
    a = write_config(tmp / "a.yaml", small(ws, name="run-a"))
    b_data = small(ws, name="run-b")
    b_data["tasks"] = {"difficulties": ["single_call"], "per_difficulty": 1}
    b = write_config(tmp / "b.yaml", b_data)
    first = cli("generate", "--config", str(a), "--no-progress")
    files_a = files_of(ws / "dataset" / "run-a")
    second = cli("generate", "--config", str(b), "--no-progress")
    result.check("both exit 0", first.returncode == 0 and second.returncode == 0)
    result.check("two folders", (ws / "dataset" / "run-b" / "openai.jsonl").exists() and bool(files_a))
    result.check("first untouched", files_of(ws / "dataset" / "run-a") == files_a)
    result.handled = all(result.checks.values())
    result.detail = (first.stderr + second.stderr)[-300:]
    return result


def probe_export_current_only(tmp: Path) -> ProbeResult:
    """A run re-shaped (more tasks, then fewer): `export --run` holds the current items only."""
    result = ProbeResult("export_current_only", handled=False)
    ws = tmp / "ws"
    data = small(ws, name="shape-probe")
    data["tasks"]["per_difficulty"] = 3
    config = write_config(tmp / "shape.yaml", data)
    first = cli("generate", "--config", str(config), "--no-progress")
    data["tasks"]["per_difficulty"] = 1
    write_config(config, data)
    second = cli("generate", "--config", str(config), "--no-progress")
    current = [
        json.loads(line)["id"]
        for line in (ws / "dataset" / "shape-probe" / "openai.jsonl").read_text().splitlines()
    ]
    out = tmp / "export"
    exported = cli("export", "--db", f"sqlite:///{ws / 'toolforge.db'}", "--run", "shape-probe", "--out",
                   str(out), "-f", "openai")  # fmt: skip
    ids = (
        [json.loads(line)["id"] for line in (out / "openai.jsonl").read_text().splitlines()]
        if exported.returncode == 0
        else []
    )
    result.check("runs exit 0", first.returncode == 0 and second.returncode == 0)
    result.check("export exits 0", exported.returncode == 0)
    result.check("current items only", sorted(ids) == sorted(current) and len(ids) > 0)
    result.handled = all(result.checks.values())
    result.detail = f"run dataset {len(current)} rows, export {len(ids)} rows"
    return result


def probe_empty_dataset_exit(tmp: Path) -> ProbeResult:
    """Every attempt rejected: the command exits 1 and says the dataset is empty."""
    result = ProbeResult("empty_dataset_exit", handled=False)
    ws = tmp / "ws"
    data = small(ws, name="empty-probe")
    data["judges"] = {
        "rubric": {"enabled": False},
        "accept_threshold": 1.0,
        "rules": {"token_budget": {"single_call": 1}},
    }
    config = write_config(tmp / "empty.yaml", data)
    run = cli("generate", "--config", str(config), "--no-progress")
    result.check("exit 1", run.returncode == 1)
    result.check("says why", "dataset is empty" in flat(run.stderr))
    result.check("summary printed", "rejection sampling" in flat(run.stdout))
    result.handled = all(result.checks.values())
    result.detail = flat(run.stderr)[:300]
    return result


def probe_harvest_failures(tmp: Path) -> ProbeResult:
    """A harvest where 2 of 3 servers fail (one crashes, one prints garbage on stdout): exit 1
    naming both; the garbage gets a one-line reason, no library tracebacks."""
    result = ProbeResult("harvest_failures", handled=False)
    servers = {
        "mcpServers": {
            "shop": {"command": "python", "args": ["-m", "examples.mcp_servers.shop"], "cwd": str(REPO)},
            "crashy": {"command": "python", "args": [str(FIXTURES / "crash_server.py")]},
            "noisy": {"command": "python", "args": [str(FIXTURES / "noisy_server.py")], "startTimeout": 5},
        }
    }
    path = tmp / "servers.json"
    path.write_text(json.dumps(servers))
    run = cli(
        "tools",
        "harvest",
        "--servers",
        str(path),
        "--db",
        f"sqlite:///{tmp / 'h.db'}",
        "--start-timeout",
        "5",
    )
    both = run.stdout + run.stderr
    noisy = [line for line in both.splitlines() if line.startswith("noisy")]
    result.check("exit 1", run.returncode == 1)
    result.check("names the failed servers", "crashy" in flat(run.stderr) and "noisy" in flat(run.stderr))
    result.check(
        "one-line reason", len(noisy) == 1 and "not MCP JSON-RPC" in noisy[0] and "hangs?" not in both
    )
    result.check("no tracebacks", "Traceback" not in both and len(both.splitlines()) < 60)
    result.check("good server stored", row_counts(tmp / "h.db").get("tools", 0) >= 13)
    result.handled = all(result.checks.values())
    result.detail = flat(run.stderr)[:400]
    return result


def probe_sandbox_without_bubblewrap(tmp: Path) -> ProbeResult:
    """`--backend local` on a machine without bubblewrap refuses unless --unsafe-no-isolation."""
    result = ProbeResult("sandbox_without_bwrap", handled=False)
    bare = tmp / "bin"  # a PATH without bwrap; the sandbox's own commands are absolute paths
    bare.mkdir()
    env = {"PATH": str(bare)}
    refused = cli("sandbox", "exec", "--backend", "local", "/bin/echo hi", env=env)
    allowed = cli("sandbox", "exec", "--backend", "local", "--unsafe-no-isolation", "/bin/echo hi", env=env)
    result.check("refused exit 2", refused.returncode == 2)
    result.check("says how to install", "apt-get install bubblewrap" in flat(refused.stderr))
    result.check("flag runs it", allowed.returncode == 0 and allowed.stdout == "hi\n")
    result.handled = all(result.checks.values())
    result.detail = flat(refused.stderr)[:300]
    return result


def probe_lock_held_on_another_machine(tmp: Path) -> ProbeResult:
    """The run lock is a row in the store, so a holder on another machine (a shared store) is
    seen: a fresh one refuses `generate` naming its host and pid; one whose heartbeat stopped an
    hour ago is taken over with a message, and the run finishes."""
    result = ProbeResult("lock_other_machine", handled=False)
    ws = tmp / "ws"
    config = write_config(tmp / "remote.yaml", small(ws, name="remote-probe"))
    first = cli("generate", "--config", str(config), "--no-progress")
    db = ws / "toolforge.db"
    rows = row_counts(db) if first.returncode == 0 else {}

    def plant(age_s: float) -> None:
        with closing(sqlite3.connect(db)) as conn, conn:
            now = conn.execute("SELECT (julianday('now') - 2440587.5) * 86400.0").fetchone()[0]
            conn.execute(
                "INSERT OR REPLACE INTO run_locks VALUES (?, ?, ?, ?, ?, ?)",
                ("remote-probe", "f" * 32, "other-machine", 4242, now - age_s, now - age_s),
            )

    plant(age_s=1)
    refused = cli("generate", "--config", str(config), "--no-progress")
    plant(age_s=3600)
    taken = cli("generate", "--config", str(config), "--no-progress")
    result.lost_rows = lost(rows, row_counts(db)) if rows else 0
    result.check("first run exits 0", first.returncode == 0)
    result.check("live remote holder refuses: exit 2", refused.returncode == 2)
    result.check("names host and pid", "pid 4242 on host other-machine" in flat(refused.stderr))
    result.check("stale holder taken over", taken.returncode == 0)
    result.check(
        "says so",
        "took over the lock of pid 4242 on host other-machine: no heartbeat for" in flat(taken.stderr),
    )
    result.check("lock released", row_counts(db).get("run_locks", -1) == 0)
    result.handled = all(result.checks.values())
    result.detail = flat(refused.stderr)[:200] + " | " + flat(taken.stderr)[:200]
    return result


def probe_rollout_failures_summarised(tmp: Path, server: TestServer) -> ProbeResult:
    """`rollout` with a model that refuses every request (400): every episode ends in infra_error;
    the command groups them by reason with the fix and exits 1, and keeps the stored tasks."""
    result = ProbeResult("rollout_failures", handled=False)
    db = f"sqlite:///{tmp / 'r.db'}"
    agents = cli("agents", "generate", "--toolkit", SHOP, "--count", "2", "--db", db)
    tasks = cli("tasks", "generate", "--toolkit", SHOP, "--difficulty", "single_call", "--db", db)
    rows = row_counts(tmp / "r.db")
    server.reset()
    server.responder = lambda _req: Reply.error(400)
    run = cli("rollout", "--toolkit", SHOP, "--policy", "llm", "--agent-model", "openai/refusing",
              "--api-base", server.url, "--db", db)  # fmt: skip
    server.responder = None
    text = flat(run.stdout + run.stderr)
    result.lost_rows = lost(rows, row_counts(tmp / "r.db"))
    result.check("setup exits 0", agents.returncode == 0 and tasks.returncode == 0)
    result.check("exit 1", run.returncode == 1)
    result.check("grouped by reason", "failures: 2, by reason" in text and "2 × rollouts: LLMError" in text)
    result.check("says the stage made nothing", "stage rollouts produced nothing (2 failed)" in text)
    result.check("no traceback", "Traceback" not in text)
    result.handled = all(result.checks.values())
    result.detail = text[-400:]
    return result


def probe_import_over_threshold(tmp: Path) -> ProbeResult:
    """A catalog of mostly broken lines: the good tool imports, each bad line is grouped by reason,
    and the command exits 1 for passing max_failure_rate (and 0 when the threshold allows it)."""
    result = ProbeResult("import_over_threshold", handled=False)
    good = {
        "server": "probe",
        "tool": {"name": "good_one", "description": "Does a thing.", "inputSchema": {"type": "object"}},
    }
    lines = [json.dumps(good).encode(), b"{not json", b"\xff\xfe", b"[" * 3000 + b"]" * 3000]
    catalog = tmp / "catalog.jsonl"
    catalog.write_bytes(b"\n".join(lines) + b"\n")
    db = f"sqlite:///{tmp / 'i.db'}"
    strict = cli("tools", "import", str(catalog), "--db", db)
    lenient = cli("tools", "import", str(catalog), "--db", db, "--max-failure-rate", "1")
    text = flat(strict.stdout + strict.stderr)
    result.check("exit 1", strict.returncode == 1)
    result.check("failures grouped", "failures: 3, by reason" in text and "× tools.import:" in text)
    result.check("names the threshold", "3 of 4 failed (75% > max_failure_rate 50%)" in text)
    result.check("good tool stored", row_counts(tmp / "i.db").get("tools", 0) == 1)
    result.check("threshold is configurable", lenient.returncode == 0)
    result.handled = all(result.checks.values())
    result.detail = text[-400:]
    return result


def probe_eval_refused_key(tmp: Path, server: TestServer) -> ProbeResult:
    """`eval` against an endpoint that refuses the key (401): one request (one case at a time:
    the refusal is neither retried nor asked again for the next case), exit 2 naming the key's
    variable."""
    result = ProbeResult("eval_refused_key", handled=False)
    server.reset()
    server.responder = lambda _req: Reply.error(401)
    questions = REPO / "tests" / "evaluation" / "fixtures" / "bfcl" / "BFCL_v3_simple.json"
    run = cli("eval", str(questions), "--model", "openai/refused", "--api-base", server.url,
              "--api-key-env", KEY_ENV, "--out", str(tmp / "report.json"), "--batch-size", "1",
              env={KEY_ENV: "sk-probe-eval-refused"})  # fmt: skip
    server.responder = None
    message = flat(run.stderr)
    result.check("exit 2", run.returncode == 2)
    result.check("names the fix", "refused the credentials" in message and KEY_ENV in message)
    result.check("not retried", len(server.requests) == 1)
    result.check("no traceback", "Traceback" not in run.stdout + run.stderr)
    result.leaked_secrets = occurrences("sk-probe-eval-refused", run.stdout, run.stderr, tmp)
    result.handled = all(result.checks.values()) and result.leaked_secrets == 0
    result.detail = message[:300]
    return result


Probe = Callable[..., ProbeResult]
NEEDS_SERVER = {
    probe_auth_error_is_fatal,
    probe_secret_echo,
    probe_non_required_judge,
    probe_lock_and_sigterm,
    probe_rollout_failures_summarised,
    probe_eval_refused_key,
}
ALL_PROBES: list[Probe] = [
    probe_duplicate_key,
    probe_sandbox_without_bubblewrap,
    probe_auth_error_is_fatal,
    probe_secret_echo,
    probe_non_required_judge,
    probe_empty_dataset_exit,
    probe_shared_workspace,
    probe_export_current_only,
    probe_lock_and_sigterm,
    probe_harvest_failures,
    probe_missing_server_resume,
    probe_lock_held_on_another_machine,
    probe_rollout_failures_summarised,
    probe_import_over_threshold,
    probe_eval_refused_key,
]
