"""LLM client throughput against the loopback server (issue #2's bar).

    .venv/bin/python bench/llm_throughput.py                 # 5,000 structured calls at 64, 256, 1024,
                                                             # each variant, 3 rounds, medians side by side
    .venv/bin/python bench/llm_throughput.py --transport openai_compatible   # one transport only
    .venv/bin/python bench/llm_throughput.py --faults        # the fault run: 2,000 calls, injected faults
    .venv/bin/python bench/llm_throughput.py --mode litellm  # bare litellm.acompletion (its own overhead)
    .venv/bin/python bench/llm_throughput.py --mode http     # bare aiohttp POSTs
    .venv/bin/python bench/llm_throughput.py --mode floor    # raw sockets, no client: the machine's bound

The server runs in its own process with 100 ms latency; the bound at concurrency C is C / 0.1 s.
Client CPU is this process's CPU time (all threads: the store writer too) per call. In client mode
`--transport both` (the default) measures three variants, each in a process of its own, `--repeats`
rounds in turn: the litellm transport, the direct (openai_compatible) transport on aiohttp, and the
direct transport on its own hand-written client (what it ships with); it prints each round's line,
then the medians side by side and the ratios of the shipped direct transport to the other two. The
last line is `ratio_to_bound=<achieved calls/s / bound at 256>` of the shipped direct transport
(of the one run, with a single --transport; in --faults mode: `fault_run_ok=<bool>`).
"""

# ruff: noqa: E402  (the imports follow the sys.path line below)
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

# toolforge_testing (the loopback server and other fixtures benches share with tests) lives in tests/support.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from toolforge.core.aio import run
from toolforge.core.errors import LLMError, StructuredOutputError
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.llm._litellm import litellm
from toolforge.core.llm.direct import DirectTransport
from toolforge.core.llm.http import HTTPError, Response
from toolforge.core.runtime import tune_gc
from toolforge.core.store import FailureRow, LLMCallRow, Store
from toolforge_testing.llm_server import Faults, spawn_server


class Item(BaseModel):
    title: str
    score: int
    tags: list[str]


SCHEMA = {"type": "json_schema", "json_schema": {"name": "Item", "schema": Item.model_json_schema()}}


class Timed:
    """What one row measured inside its event loop: the calls alone, then the client's close."""

    def __init__(self) -> None:
        self.wall_s = self.cpu_s = self.close_s = 0.0
        self.latencies: list[float] = []

    def start(self) -> None:
        self._wall0, self._cpu0 = time.perf_counter(), time.process_time()

    def stop(self) -> None:
        self.wall_s = time.perf_counter() - self._wall0
        self.cpu_s = time.process_time() - self._cpu0


async def submit(calls: int, concurrency: int, call: Any, how: str) -> None:
    """Run `call(i)` for every i: `workers` — `concurrency` callers, each making its calls one after
    another (a load generator's concurrency); `gather` — every call submitted at once, the client's
    own limit holding all but `concurrency` of them in its queue."""
    if how == "gather":
        await asyncio.gather(*(call(i) for i in range(calls)))
        return
    numbers = iter(range(calls))

    async def worker() -> None:
        for i in numbers:
            await call(i)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, calls))))


async def run_client(
    url: str, calls: int, concurrency: int, store: Store, run_id: str, transport: str, how: str
) -> Timed:
    cfg = LLMConfig(
        model="openai/bench", api_base=url, concurrency=concurrency, timeout_s=300, transport=transport
    )
    timed = Timed()

    async def one(i: int, client: LLMClient) -> None:
        await client.structured(cfg, [{"role": "user", "content": f"{run_id} item {i}"}], Item, role="bench")

    client = LLMClient(store, run_id=run_id, transports=direct_variant())
    timed.start()
    await submit(calls, concurrency, lambda i: one(i, client), how)
    timed.stop()
    closing = time.perf_counter()
    await client.aclose()  # commits the last buffered accounting and cache rows
    timed.close_s = time.perf_counter() - closing
    # the client's own latency per call (from its slot in the concurrency limit to the reply)
    timed.latencies = [row.latency_s for row in store.rows(LLMCallRow, run_id=run_id)]
    return timed


class AiohttpPool:
    """The direct transport's `Pool` on aiohttp (the well-kept library it is measured against):
    one session per event loop, no connection limit, gzip/deflate decoded."""

    def __init__(self) -> None:
        import aiohttp

        self.aiohttp = aiohttp
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=15))

    async def post(self, api_base: str, path: str, headers: Any, body: bytes, timeout_s: float) -> Response:
        timeout = self.aiohttp.ClientTimeout(total=timeout_s)
        try:
            async with self.session.post(
                api_base + path, data=body, headers=dict(headers), timeout=timeout
            ) as r:
                return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, await r.read())
        except TimeoutError:
            raise
        except self.aiohttp.ClientError as exc:
            raise HTTPError(f"{type(exc).__name__}: {exc}") from None

    async def aclose(self) -> None:
        await self.session.close()


def direct_variant() -> dict[str, Any] | None:
    """The direct transport on aiohttp when `BENCH_DIRECT_POOL=aiohttp` (set by `--transport both`)."""
    if os.environ.get("BENCH_DIRECT_POOL") == "aiohttp":
        return {"openai_compatible": DirectTransport(pool_factory=AiohttpPool)}
    return None


async def run_litellm(url: str, calls: int, concurrency: int, run_id: str) -> Timed:
    semaphore = asyncio.Semaphore(concurrency)
    timed = Timed()

    async def one(i: int) -> None:
        async with semaphore:
            start = time.perf_counter()
            response = await litellm.acompletion(
                model="openai/bench",
                api_base=url,
                api_key="none",
                messages=[{"role": "user", "content": f"{run_id} item {i}"}],
                response_format=SCHEMA,
                max_retries=0,
                timeout=300,
            )
            Item.model_validate_json(response.choices[0].message.content)
            timed.latencies.append(time.perf_counter() - start)

    timed.start()
    await asyncio.gather(*(one(i) for i in range(calls)))
    timed.stop()
    return timed


async def run_http(url: str, calls: int, concurrency: int, run_id: str) -> Timed:
    import aiohttp

    semaphore = asyncio.Semaphore(concurrency)
    timed = Timed()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def one(i: int) -> None:
            body = {
                "model": "bench",
                "messages": [{"role": "user", "content": f"{run_id} {i}"}],
                "response_format": SCHEMA,
            }
            async with semaphore:
                start = time.perf_counter()
                async with session.post(f"{url}/chat/completions", json=body) as response:
                    data: Any = await response.json()
                Item.model_validate_json(data["choices"][0]["message"]["content"])
                timed.latencies.append(time.perf_counter() - start)

        timed.start()
        await asyncio.gather(*(one(i) for i in range(calls)))
        timed.stop()
    return timed


class _FloorConnection(asyncio.Protocol):
    """The least a client can do per call: one write, replies framed by Content-Length alone."""

    def __init__(self) -> None:
        self.buffer = b""
        self.waiter: asyncio.Future[bytes] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return
        at = self.buffer.index(b"Content-Length: ") + 16
        end = head_end + 4 + int(self.buffer[at : self.buffer.index(b"\r", at)])
        if len(self.buffer) >= end and self.waiter is not None:
            body, self.buffer = self.buffer[head_end + 4 : end], self.buffer[end:]
            self.waiter.set_result(body)


async def run_floor(url: str, calls: int, concurrency: int, run_id: str) -> Timed:
    """No client at all: `concurrency` raw connections, each sending a structured request and
    validating the reply, with no cache, store, retries or HTTP parser. What this reaches is the
    bound of the machine (server, kernel and one event loop) for any client."""
    import orjson

    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    loop = asyncio.get_running_loop()
    numbers = iter(range(calls))
    timed = Timed()

    async def worker() -> None:
        _, conn = await loop.create_connection(_FloorConnection, host, int(port))
        for i in numbers:
            body = orjson.dumps(
                {"model": "bench", "messages": [{"role": "user", "content": f"{run_id} {i}"}],
                 "response_format": SCHEMA}
            )  # fmt: skip
            conn.waiter = loop.create_future()
            start = time.perf_counter()
            conn.transport.write(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (host.encode(), len(body), body)
            )
            reply = orjson.loads(await conn.waiter)
            Item.model_validate_json(reply["choices"][0]["message"]["content"])
            timed.latencies.append(time.perf_counter() - start)
        conn.transport.close()

    timed.start()  # connections are opened inside the timing, as the client's pool opens its own
    await asyncio.gather(*(worker() for _ in range(min(concurrency, calls))))
    timed.stop()
    return timed


VARIANTS = (  # (label, LLMConfig.transport, environment): each measured in a process of its own
    ("litellm", "litellm", {}),
    ("direct/aiohttp", "openai_compatible", {"BENCH_DIRECT_POOL": "aiohttp"}),
    ("direct/hand-written", "openai_compatible", {"BENCH_DIRECT_POOL": "hand-written"}),
)


def each_transport_alone(args: argparse.Namespace) -> None:
    """`--transport both`: every variant in a process of its own (litellm leaves a logging worker
    behind that it revives on every later event loop, which took CPU from whatever the same process
    measured next), `--repeats` rounds of all variants in turn, then the medians side by side and
    their ratios."""
    by_variant: dict[str, dict[int, list[tuple[float, float]]]] = {label: {} for label, _, _ in VARIANTS}
    for round_ in range(args.repeats):
        for label, transport, env in VARIANTS:
            argv = [sys.executable, __file__, "--transport", transport, "--calls", str(args.calls),
                    "--latency-ms", str(args.latency_ms), "--loop", args.loop, "--submit", args.submit,
                    "--concurrency", *map(str, args.concurrency)]  # fmt: skip
            out = (
                subprocess.run(argv, capture_output=True, text=True, check=True, env={**os.environ, **env})
                .stdout.rstrip()
                .splitlines()
            )
            summary = out[-2]
            print(f"round {round_ + 1} {label}: {summary.split(': ', 1)[1]}", flush=True)
            for part in summary.split(": ", 1)[1].split():
                name, value = part.split("=")
                what, c = name.split("@")
                cell = by_variant[label].setdefault(int(c), [])
                if what == "ratio":
                    cell.append((float(value), 0.0))
                else:
                    cell[-1] = (cell[-1][0], float(value))
    print(f"\nmedians of {args.repeats} rounds ({args.calls} calls a row, {args.latency_ms:g} ms latency):")
    header = "".join(f"  ratio@{c:<5} cpu_ms@{c:<5}" for c in args.concurrency)
    print(f"{'variant':<22}{header}")
    medians: dict[str, dict[int, tuple[float, float]]] = {}
    for label, cells in by_variant.items():
        medians[label] = {
            c: (statistics.median(r for r, _ in v), statistics.median(m for _, m in v))
            for c, v in cells.items()
        }
        row = "".join(f"  {r:<11.3f} {m:<11.3f}" for r, m in medians[label].values())
        print(f"{label:<22}{row}")
    for a, b in (("direct/hand-written", "litellm"), ("direct/hand-written", "direct/aiohttp")):
        ratios = " ".join(f"@{c}={medians[a][c][0] / medians[b][c][0]:.2f}x" for c in args.concurrency)
        print(f"throughput {a} / {b}: {ratios}")
    print(f"ratio_to_bound={medians['direct/hand-written'].get(256, (float('nan'), 0.0))[0]:.3f}")


def throughput(args: argparse.Namespace, console: Console) -> None:
    transports = [args.transport]
    if args.mode != "client":
        transports = [args.mode]
    results: dict[str, dict[int, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, spawn_server(latency_ms=args.latency_ms) as server:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        for transport in transports:
            results[transport] = measure(args, console, server, store, transport)
        store.close()
    for transport, by_c in results.items():
        print(
            f"{transport}: "
            + " ".join(f"ratio@{c}={r:.3f} cpu_ms/call@{c}={cpu:.2f}" for c, (r, cpu) in by_c.items())
        )
    last = results.get("openai_compatible") or next(iter(results.values()))
    print(f"ratio_to_bound={last.get(256, (float('nan'), 0.0))[0]:.3f}")


def measure(
    args: argparse.Namespace, console: Console, server: Any, store: Store, transport: str
) -> dict[int, tuple[float, float]]:
    """One table (one transport, or a bare mode): {concurrency: (ratio to bound, client CPU ms/call)}."""
    table = Table(
        title=f"{args.calls} structured calls per row, server latency {args.latency_ms:g} ms, "
        + (f"transport {transport}" if args.mode == "client" else f"mode {args.mode}")
        + f", {args.loop} loop, calls submitted by {args.submit}"
    )
    for column in ("concurrency", "calls wall s", "close s", "calls/s", "bound/s", "ratio",
                   "client CPU ms/call", "server CPU ms/call", "p50 ms", "p99 ms"):  # fmt: skip
        table.add_column(column, justify="right")
    out: dict[int, tuple[float, float]] = {}
    for concurrency in args.concurrency:
        run_id = f"bench-{transport}-{args.loop}-{args.submit}-{concurrency}"
        server0 = server.cpu_s()
        if args.mode == "client":
            timed = run(
                run_client(server.url, args.calls, concurrency, store, run_id, transport, args.submit),
                args.loop,
            )
            assert store.count(LLMCallRow, run_id=run_id) == args.calls
        elif args.mode == "litellm":
            timed = run(run_litellm(server.url, args.calls, concurrency, run_id), args.loop)
        elif args.mode == "floor":
            timed = run(run_floor(server.url, args.calls, concurrency, run_id), args.loop)
        else:
            timed = run(run_http(server.url, args.calls, concurrency, run_id), args.loop)
        server_cpu = server.cpu_s() - server0  # includes the client's close: an upper bound
        rate = args.calls / timed.wall_s
        bound = concurrency / (args.latency_ms / 1000)
        cpu_ms = timed.cpu_s / args.calls * 1000
        out[concurrency] = (rate / bound, cpu_ms)
        q = statistics.quantiles(timed.latencies, n=100)
        table.add_row(
            str(concurrency), f"{timed.wall_s:.2f}", f"{timed.close_s:.2f}", f"{rate:.0f}", f"{bound:.0f}",
            f"{rate / bound:.3f}", f"{cpu_ms:.3f}", f"{server_cpu / args.calls * 1000:.3f}",
            f"{q[49] * 1000:.0f}", f"{q[98] * 1000:.0f}",
        )  # fmt: skip
    console.print(table)
    return out


def faults(args: argparse.Namespace, console: Console) -> None:
    mix = Faults(
        rate_429=0.20, rate_500=0.05, rate_malformed=0.05, rate_timeout=0.02, retry_after_ms=20, hang_s=6
    )
    outcomes: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp, spawn_server(latency_ms=args.latency_ms, faults=mix) as server:
        store = Store(f"sqlite:///{Path(tmp) / 'faults.db'}")
        cfg = LLMConfig(
            model="openai/faults", api_base=server.url, concurrency=64, timeout_s=4, max_retries=4
        )

        async def main() -> Any:
            async with LLMClient(store, run_id="faults", retry_base_s=0.005, retry_max_s=0.05) as client:

                async def one(i: int) -> None:
                    try:
                        await client.structured(
                            cfg, [{"role": "user", "content": f"f{i}"}], Item, role="bench"
                        )
                        outcomes["validated"] += 1
                    except StructuredOutputError:
                        outcomes["invalid after repair (stored)"] += 1
                    except LLMError:
                        outcomes["gave up after retries (stored)"] += 1

                await asyncio.gather(*(one(i) for i in range(args.fault_calls)))
                return client.usage

        wall0 = time.perf_counter()
        usage = run(main(), args.loop)
        wall = time.perf_counter() - wall0
        counts = server.stats()["counts"]
        rows = store.rows(LLMCallRow, run_id="faults")
        failures = store.count(FailureRow, run_id="faults")
        totals = store.llm_totals("faults")
        store.close()
    table = Table(
        title=f"fault run: {args.fault_calls} structured calls, 20% 429 / 5% 500 / 5% malformed / 2% timeout"
    )
    table.add_column("what")
    table.add_column("value", justify="right")
    for name, value in sorted(outcomes.items()):
        table.add_row(name, str(value))
    table.add_row("stored failures", str(failures))
    table.add_row("server replies by kind", ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    table.add_row("max retries of a call", str(max(r.retries for r in rows)))
    table.add_row(
        "attempts (rows) == requests (server)",
        f"{sum(r.retries + 1 for r in rows)} == {sum(counts.values())}",
    )
    table.add_row(
        "run totals == client usage",
        f"{totals['prompt_tokens']}+{totals['completion_tokens']} tokens, {totals['calls']} calls",
    )
    table.add_row("wall s", f"{wall:.1f}")
    console.print(table)
    ok = (
        sum(outcomes.values()) == args.fault_calls
        and failures == args.fault_calls - outcomes["validated"]
        and max(r.retries for r in rows) <= 4
        and sum(r.retries + 1 for r in rows) == sum(counts.values())
        and totals["calls"] == usage.calls
        and totals["prompt_tokens"] == usage.prompt_tokens
        and totals["completion_tokens"] == usage.completion_tokens
    )
    print(f"fault_run_ok={ok}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--mode", choices=["client", "litellm", "http", "floor"], default="client")
    parser.add_argument(
        "--transport", choices=["litellm", "openai_compatible", "both"], default="both",
        help="the client's transport (client mode; both: one table each)",
    )  # fmt: skip
    parser.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default="uvloop",
        help="the client's event loop (uvloop: what toolforge's commands run on)",
    )  # fmt: skip
    parser.add_argument(
        "--submit", choices=["workers", "gather"], default="workers",
        help="workers: `concurrency` callers in a loop; gather: all calls at once behind the client's limit",
    )  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3, help="rounds of every variant (--transport both)")
    parser.add_argument("--faults", action="store_true", help="run the fault mix instead")
    parser.add_argument("--fault-calls", type=int, default=2000)
    args = parser.parse_args()
    tune_gc()  # as the CLI does at its entry
    console = Console(width=150)
    if args.faults:
        faults(args, console)
    elif args.transport == "both" and args.mode == "client":
        each_transport_alone(args)
    else:
        throughput(args, console)


if __name__ == "__main__":
    main()
