"""The pipeline with the LLM rubric judge, through litellm and the loopback server."""

from __future__ import annotations

from pathlib import Path

from pipeline_configs import small

from toolforge.core.store import FailureRow, LLMCallRow, Store
from toolforge.core.types import Verdict
from toolforge.pipeline import parse_config, run_pipeline
from toolforge_testing.llm_server import Reply, TestServer


async def test_rubric_verdicts_are_parsed_stored_and_reach_the_card(tmp_path: Path) -> None:
    data = small(tmp_path / "ws")
    data["tasks"]["difficulties"] = ["single_call", "recovery"]
    data["judges"] = {"required": ["rules", "state"], "accept_threshold": 0.0}
    server = await TestServer().astart()
    try:
        data["models"] = {"judge": {"model": "openai/judge", "api_base": server.url, "timeout_s": 10}}
        result = await run_pipeline(parse_config(data))
        requests = len(server.requests)
    finally:
        await server.aclose()

    store = Store(parse_config(data).store_url())
    verdicts = store.list(Verdict)
    assert len(verdicts) == 12 and requests == 12  # 3 agents x 2 difficulties x 2, all accepted at once
    for verdict in verdicts:
        rubric = next(c for c in verdict.checks if c.check == "rubric")
        items = rubric.details["items"]
        # one success criterion per task here, the pattern item, 4 general criteria, checkpoints
        assert len(items) >= 5 and {i["kind"] for i in items} >= {"success", "general"}
        met = sum(i["met"] for i in items)
        assert (rubric.score == 1.0) == (met == len(items))
        assert verdict.accepted  # rules and state gate; the rubric only scores here
    assert store.count(LLMCallRow, role="judge") == 12
    store.close()
    assert "rubric" in result.export.stats["check_pass_rate"]


async def test_a_failing_judge_is_stored_not_fatal_and_retried_on_the_next_run(tmp_path: Path) -> None:
    data = small(tmp_path / "ws")
    data["agents"]["count"] = 1
    data["tasks"]["difficulties"] = ["single_call"]
    data["sampling"]["attempts"] = 1
    data["judges"] = {"required": ["rules", "state", "rubric"]}
    server = await TestServer(responder=lambda request: Reply.malformed()).astart()
    try:
        data["models"] = {
            "judge": {"model": "openai/judge", "api_base": server.url, "timeout_s": 10, "max_retries": 0}
        }
        cfg = parse_config(data)
        failed = await run_pipeline(cfg)
        judges = next(r for r in failed.reports if r.name == "judges")
        assert judges.failed == judges.total == 2 and failed.export.stats["exported"] == 0
        assert failed.sampling.failures_by_check == {"judge_error": 2, "rubric": 2}

        store = Store(cfg.store_url())
        assert all(
            v.error and v.error.startswith("rubric: StructuredOutputError") for v in store.list(Verdict)
        )
        assert {row.stage for row in store.rows(FailureRow)} >= {"judge", "llm.judge"}
        store.close()

        server.responder = None  # the judge works again: schema-valid replies
        again = await run_pipeline(cfg)
    finally:
        await server.aclose()
    judges = next(r for r in again.reports if r.name == "judges")
    assert judges.new == 2 and judges.failed == 0 and again.sampling.judge_errors == 0
