"""Tool library at scale: synthesize N tools through the loopback server, dedup them, build the graph.

    .venv/bin/python bench/tools_scale.py [--tools 20000] [--latency-ms 50] [--threads 2]

1. synthesize: `Synthesizer` → the real `LLMClient` (litellm over HTTP) → the loopback test server
   answering with `synthesis_fake.responder` after `--latency-ms`; tools stored in SQLite.
2. dedup: a cold embedder (no vector cache) over every tool — model load, embedding of the
   descriptions, blockwise cosine, leader clustering — then the links written to the store.
3. graph: `ToolGraph.build` over the kept tools, then 100 toolset and chain samples.
4. quality: dedup of the planted paraphrase sets (3 seeds): recall and false-merge rate.

Prints one table (phase, seconds, what it did), the quality figures, and as the last line
``tools=<n> dedup_s=<s>``. Goals (issue 3): whole run ≤ 10 min, dedup of 20,000 ≤ 120 s,
recall ≥ 0.95 and false merges ≤ 0.01 on the planted set.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# toolforge_testing (the loopback server and other fixtures benches share with tests) lives in tests/support.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

import torch  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from toolforge.core import aio
from toolforge.core.llm import LLMClient, LLMConfig  # noqa: E402
from toolforge.core.store import Store  # noqa: E402
from toolforge.tools.dedup import apply, dedup  # noqa: E402
from toolforge.tools.embed import MiniLMEmbedder  # noqa: E402
from toolforge.tools.graph import ToolGraph  # noqa: E402
from toolforge.tools.library import load_tools  # noqa: E402
from toolforge.tools.synthesis import SynthesisConfig, Synthesizer  # noqa: E402
from toolforge_testing.llm_server import TestServer  # noqa: E402
from toolforge_testing.planted_tools import planted_set, score  # noqa: E402
from toolforge_testing.synthesis_fake import responder  # noqa: E402


async def synthesize(store: Store, n: int, latency_ms: int, concurrency: int) -> tuple[int, int]:
    server = await TestServer(responder=responder, latency_ms=latency_ms, record=False).astart()
    try:
        llm = LLMConfig(model="openai/bench", api_base=server.url, concurrency=concurrency, timeout_s=60)
        cfg = SynthesisConfig(
            target=n, n_categories=20, tools_per_domain=10, tools_per_call=10, concurrency=concurrency
        )
        async with LLMClient(store, run_id="bench") as client:
            report = await Synthesizer(store, client, llm, cfg).run()
        return report.accepted, sum(server.counts.values())
    finally:
        await server.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads for the embedder (1 is fastest on a busy 2-core box)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    console = Console()
    rows: list[tuple[str, float, str]] = []
    load_before = os.getloadavg()[0]
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(str(Path(tmp) / "bench.db"))

        t0 = time.perf_counter()
        accepted, calls = aio.run(synthesize(store, args.tools, args.latency_ms, args.concurrency))
        rows.append(("synthesize", time.perf_counter() - t0, f"{accepted} tools, {calls} model calls"))

        tools = load_tools(store)
        t0 = time.perf_counter()
        embedder = MiniLMEmbedder(None)  # cold: no vector cache
        result = dedup(tools, embedder)
        changed = apply(store, tools, result)
        dedup_s = time.perf_counter() - t0
        embedded = embedder.misses
        rows.append(
            (
                "dedup",
                dedup_s,
                f"{len(tools)} tools: {len(result.exact)} exact + {len(result.near)} near duplicates, "
                f"{changed} rows linked; {embedded} texts embedded",
            )
        )

        kept = load_tools(store)
        t0 = time.perf_counter()
        graph = ToolGraph.build(kept)
        stats = graph.stats()
        build_s = time.perf_counter() - t0
        rows.append(
            (
                "graph build",
                build_s,
                f"{stats['tools']} nodes, {stats['feed_edges']} feed + {stats['domain_edges']} domain edges, "
                f"{stats['components']} components",
            )
        )
        t0 = time.perf_counter()
        sizes = []
        for seed in range(100):
            toolset = graph.sample_toolset(seed, 4, 10)
            sizes.append(len(graph.sample_chain(toolset, 4, seed)))
        rows.append(
            ("graph sample x100", time.perf_counter() - t0, f"chains of 4 found: {sizes.count(4)}/100")
        )

        t0 = time.perf_counter()
        quality = [score(dedup(p.tools, embedder), p) for p in (planted_set(s) for s in range(3))]
        rows.append(("planted quality", time.perf_counter() - t0, "3 planted sets"))
        store.close()
    total = time.perf_counter() - t_all
    rows.append(("total", total, f"goal: ≤ 600 s; dedup goal ≤ 120 s (threads={args.threads})"))
    load = f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"

    table = Table(title=f"tools_scale: {args.tools} tools, {args.latency_ms} ms latency")
    table.add_column("phase")
    table.add_column("s", justify="right")
    table.add_column("what")
    for name, seconds, what in rows:
        table.add_row(name, f"{seconds:.1f}", what)
    console.print(table)
    print(load)
    for seed, q in enumerate(quality):
        print(
            f"planted seed={seed}: planted={int(q['planted'])} distinct={int(q['distinct'])} "
            f"recall={q['recall']:.4f} false_merge_rate={q['false_merge_rate']:.4f} false_merges={int(q['false_merges'])}"
        )
    mean_recall = sum(q["recall"] for q in quality) / len(quality)
    mean_fmr = sum(q["false_merge_rate"] for q in quality) / len(quality)
    print(f"planted mean: recall={mean_recall:.4f} false_merge_rate={mean_fmr:.4f}")
    sys.stdout.flush()
    print(f"tools={len(tools)} dedup_s={dedup_s:.1f}")


if __name__ == "__main__":
    main()
