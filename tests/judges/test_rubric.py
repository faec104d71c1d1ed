"""The rubric judge through the real LLM client and the loopback server: scores parsed and stored."""

from __future__ import annotations

from collections.abc import Iterator

import planted_defects as planted
import pytest

from judges import Judge, JudgeConfig
from judges.rubric import rubric_items
from toolforge.core.errors import AuthError
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.store import FailureRow, Store
from toolforge.core.types import Verdict
from toolforge_testing.llm_server import Reply, TestServer


@pytest.fixture(scope="module")
def server() -> Iterator[TestServer]:
    with TestServer() as server:
        yield server


@pytest.fixture
def cfg(server: TestServer) -> LLMConfig:
    server.reset()
    return LLMConfig(model="openai/judge-model", api_base=server.url, timeout_s=5.0, max_retries=1)


def reply_for(met: dict[str, bool]) -> Reply:
    return Reply.json({key: {"reasoning": f"{key} judged", "met": value} for key, value in met.items()})


def keys() -> list[str]:
    return [item.key for item in rubric_items(planted.task(), JudgeConfig().rubric)]


async def test_rubric_scores_are_parsed_and_stored(
    server: TestServer, cfg: LLMConfig, sqlite_store: Store
) -> None:
    items = keys()
    # 2 success criteria, the pattern, 1 checkpoint, 4 general criteria
    assert len(items) == 8
    met = dict.fromkeys(items, True) | {items[-1]: False}  # objectivity unmet
    server.enqueue(reply_for(met))
    async with LLMClient(sqlite_store, run_id="r") as client:
        judge = Judge(JudgeConfig(), llm=client, llm_cfg=cfg, judge_model=cfg.model, store=sqlite_store)
        verdict = await judge.judge(planted.good(), planted.task())
    sqlite_store.put([verdict])

    stored = sqlite_store.get(Verdict, verdict.id)
    assert stored == verdict
    rubric = next(c for c in stored.checks if c.check == "rubric")
    assert [c.check for c in stored.checks] == ["rules", "grounding", "state", "rubric"]
    # weights: success 2+2, pattern 1, checkpoint 1, general 4 x 0.5 -> 7.5 of 8 met
    assert rubric.score == pytest.approx(7.5 / 8, abs=1e-4)
    assert rubric.passed and stored.accepted
    assert [i["met"] for i in rubric.details["items"]] == list(met.values())
    assert rubric.details["items"][0]["reasoning"] == "item_1 judged"

    request = server.requests[-1].body
    schema = request["response_format"]["json_schema"]["schema"]
    assert sorted(schema["required"]) == sorted(items)
    prompt = request["messages"][1]["content"]
    assert "ASSISTANT CALLS cancel_order" in prompt and "Cancel order ord_1" in prompt


async def test_an_unmet_success_criterion_fails_the_rubric(server: TestServer, cfg: LLMConfig) -> None:
    items = keys()
    server.enqueue(reply_for(dict.fromkeys(items, True) | {items[0]: False}))
    async with LLMClient() as client:
        verdict = await Judge(JudgeConfig(), llm=client, llm_cfg=cfg).judge(planted.good(), planted.task())
    rubric = verdict.checks[-1]
    assert not rubric.passed and not verdict.accepted
    assert rubric.reason.startswith("unmet: success: Order ord_1 is cancelled")


async def test_a_failed_judge_is_stored_not_fatal(
    server: TestServer, cfg: LLMConfig, sqlite_store: Store
) -> None:
    server.enqueue(Reply.malformed(), Reply.malformed())
    async with LLMClient(sqlite_store, run_id="r") as client:
        judge = Judge(JudgeConfig(), llm=client, llm_cfg=cfg, store=sqlite_store, run_id="r")
        verdict = await judge.judge(planted.good(), planted.task())
    assert verdict.error is not None and verdict.error.startswith("rubric: StructuredOutputError")
    assert not verdict.accepted and verdict.checks[-1].check == "rubric" and not verdict.checks[-1].passed
    stages = {row.stage for row in sqlite_store.rows(FailureRow)}
    assert {"judge", "llm.judge"} <= stages
    judge_row = next(r for r in sqlite_store.rows(FailureRow) if r.stage == "judge")
    assert judge_row.item_id == planted.good().id and judge_row.raw


async def test_short_circuit_skips_the_rubric_after_a_failed_rule(server: TestServer, cfg: LLMConfig) -> None:
    traj = planted.defects()["tool_not_offered"][0]
    async with LLMClient() as client:
        verdict = await Judge(JudgeConfig(), llm=client, llm_cfg=cfg).judge(traj, planted.task())
    assert [c.check for c in verdict.checks] == ["rules"] and not verdict.accepted
    assert server.requests == []


async def test_without_short_circuit_every_check_runs(server: TestServer, cfg: LLMConfig) -> None:
    traj = planted.defects()["wrong_end_state"][0]
    server.enqueue(reply_for(dict.fromkeys(keys(), True)))
    # The chain rule also sees this mix-up (cancel_order takes ord_2 from the lookup of ord_1:
    # tests/judges/test_chain.py); off here, so the state check is the one check that fails.
    no_chain_rule = JudgeConfig(short_circuit=False, rules={"require_coherent_chain": False})
    async with LLMClient() as client:
        judge = Judge(no_chain_rule, llm=client, llm_cfg=cfg)
        verdict = await judge.judge(traj, planted.task())
    assert [c.check for c in verdict.checks] == ["rules", "grounding", "state", "rubric"]
    assert verdict.failed_checks() == ["state"] and not verdict.accepted
    assert verdict.score == pytest.approx(3 / 4, abs=1e-3)


def test_the_rubric_needs_a_client_unless_disabled() -> None:
    with pytest.raises(ValueError, match="disable judges.rubric"):
        Judge(JudgeConfig())
    judge = Judge(JudgeConfig.model_validate({"rubric": {"enabled": False}}))
    assert (
        judge.key
        != Judge(JudgeConfig.model_validate({"rubric": {"enabled": False}, "accept_threshold": 0.9})).key
    )


NOT_REQUIRED = ["rules", "grounding", "state", "tests"]


async def test_a_rubric_that_is_not_required_never_vetoes(server: TestServer, cfg: LLMConfig) -> None:
    # an unmet rubric, then a broken one: both reported in the verdict, neither rejects
    server.enqueue(reply_for(dict.fromkeys(keys(), False)), Reply.malformed(), Reply.malformed())
    weights = {"rules": 1.0, "grounding": 1.0, "state": 1.0, "tests": 1.0, "rubric": 3.0}
    judge_cfg = JudgeConfig(required=NOT_REQUIRED, weights=weights)  # type: ignore[arg-type]
    async with LLMClient() as client:
        judge = Judge(judge_cfg, llm=client, llm_cfg=cfg)
        unmet = await judge.judge(planted.good(), planted.task())
        broken = await judge.judge(planted.good(), planted.task())
    assert not unmet.checks[-1].passed and unmet.score < judge_cfg.accept_threshold and unmet.accepted
    assert broken.error is not None and broken.error.startswith("rubric:") and broken.accepted
    assert "rubric" in JudgeConfig().required  # by default the rubric decides too


async def test_a_refused_judge_key_is_raised_not_stored_as_a_verdict(
    server: TestServer, cfg: LLMConfig
) -> None:
    server.enqueue(Reply.error(401), Reply.error(401))
    async with LLMClient() as client:
        with pytest.raises(AuthError):
            await Judge(JudgeConfig(), llm=client, llm_cfg=cfg).judge(planted.good(), planted.task())
    assert len(server.requests) == 1
