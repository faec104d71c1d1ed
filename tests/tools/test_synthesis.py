"""Synthetic evolution through the real LLM client and the loopback server (scripted replies over
HTTP), and one small run with the bundled local model."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.store import FailureRow, Store
from toolforge.tools.library import load_tools
from toolforge.tools.synthesis import LOCAL_SAMPLING, SynthesisConfig, Synthesizer
from toolforge.tools.validate import rejection
from toolforge_testing.llm_server import Reply, Request, TestServer
from toolforge_testing.synthesis_fake import responder


async def run(store: Store, server: TestServer, cfg: SynthesisConfig, run_id: str = "r") -> object:
    llm = LLMConfig(model="openai/test", api_base=server.url, timeout_s=10, max_retries=1)
    async with LLMClient(store, run_id=run_id, retry_base_s=0.01) as client:
        return await Synthesizer(store, client, llm, cfg).run()


async def test_evolution_reaches_the_target_with_valid_novel_tools(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "t.db"))
    server = await TestServer(responder=responder).astart()
    try:
        cfg = SynthesisConfig(target=60, n_categories=3, tools_per_domain=6, tools_per_call=4)
        report = await run(store, server, cfg)
    finally:
        await server.aclose()
    tools = load_tools(store, source="synthetic")
    assert len(tools) == 60 and report.accepted == 60  # type: ignore[attr-defined]
    assert {t.category for t in tools} == {"finance", "travel", "healthcare"}
    assert all(rejection(t) is None for t in tools)
    by_domain: dict[str, set[str]] = {}
    for t in tools:
        assert t.semantics is not None and t.output_schema is not None and t.domain
        names = by_domain.setdefault(f"{t.category}/{t.domain}", set())
        assert t.name not in names  # novelty within a domain
        names.add(t.name)
        if t.semantics.effect == "read":
            assert t.annotations.read_only is True and not t.semantics.writes
        if t.semantics.effect == "delete":
            assert t.annotations.destructive is True
    assert max(len(v) for v in by_domain.values()) <= 6
    assert sum(c["ok"] for c in report.by_category.values()) == 60  # type: ignore[attr-defined]


async def test_a_rerun_resumes_from_the_store_and_the_cache(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "t.db"))
    server = await TestServer(responder=responder).astart()
    try:
        small = SynthesisConfig(
            target=20, categories=["retail", "legal"], tools_per_domain=5, tools_per_call=5
        )
        await run(store, server, small)
        first_ids = {t.id for t in load_tools(store)}
        calls_before = len(server.requests)
        again = await run(store, server, small, run_id="r2")  # nothing left to do
        assert again.accepted == 0 and again.already == 20  # type: ignore[attr-defined]
        assert {t.id for t in load_tools(store)} == first_ids
        assert len(server.requests) == calls_before  # categories given, domains answered from the cache
        bigger = small.model_copy(update={"target": 35})
        grown = await run(store, server, bigger, run_id="r3")
    finally:
        await server.aclose()
    assert grown.accepted == 15  # type: ignore[attr-defined]
    assert first_ids < {t.id for t in load_tools(store)} and len(load_tools(store)) == 35


async def test_a_model_that_keeps_failing_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "t.db"))

    doomed: list[str] = []

    def flaky(request: Request) -> Reply | None:
        text = str(request.body["messages"])
        if "Domain: " in text:
            domain = text.split("Domain: ", 1)[1].split(" —", 1)[0]
            doomed[:] = doomed or [domain]
            if domain == doomed[0]:
                return Reply.malformed()  # every call for the first domain, repair included
        return responder(request)

    server = await TestServer(responder=flaky).astart()
    try:
        report = await run(
            store, server, SynthesisConfig(target=40, categories=["energy"], tools_per_domain=4)
        )
    finally:
        await server.aclose()
    assert report.failed_calls > 0  # type: ignore[attr-defined]
    assert store.count(FailureRow) >= report.failed_calls  # type: ignore[attr-defined]
    assert len(load_tools(store)) == 40  # the second pass filled the gap from other domains


@pytest.mark.local_model
@pytest.mark.slow
async def test_the_bundled_model_gives_schema_valid_tools(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "t.db"))
    llm = LLMConfig(model="local/smollm2", timeout_s=240, max_retries=0, **LOCAL_SAMPLING)
    cfg = SynthesisConfig(
        target=1,
        categories=["travel"],
        tools_per_domain=1,
        tools_per_call=1,
        domains_per_call=1,
        max_rounds=1,
    )
    async with LLMClient(store, run_id="local") as client:
        report = await Synthesizer(store, client, llm, cfg).run()
    # The domain list is small: the schema-constrained model answers it validly.
    assert report.domains >= 1
    # Quality aside, the tool call either produced a tool that went through validation and was
    # stored (ok or rejected with a reason), or failed and was stored as a failure row.
    rows = store.tool_rows(source="synthetic")
    if rows:
        assert all(r.status == "ok" or r.reason for r in rows)
        assert all(r.data["input_schema"]["type"] == "object" for r in rows)
    else:
        assert report.failed_calls >= 1 and store.count(FailureRow) >= 1
