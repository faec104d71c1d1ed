"""Code tasks in `toolforge generate`: played in a real local sandbox, graded by the tests check."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pipeline_configs import REPO, small

from toolforge.core.errors import ConfigError
from toolforge.core.store import Store
from toolforge.core.types import Verdict
from toolforge.export import read_openai_jsonl
from toolforge.pipeline import parse_config, run_pipeline
from toolforge.pipeline.stages import code_setup

# the test interpreter (a venv over pyenv, with pytest) must be visible inside bubblewrap
BINDS = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc", sys.prefix, sys.base_prefix]


async def test_gold_code_tasks_are_played_graded_and_exported_beside_tool_tasks(tmp_path: Path) -> None:
    data = small(tmp_path / "ws")
    data["agents"]["count"] = 1
    data["tasks"]["difficulties"] = ["single_call"]
    data["code_tasks"] = {
        "paths": [
            str(REPO / "examples" / "code_tasks" / "median"),
            str(REPO / "examples" / "code_tasks" / "slugify"),
        ],
        "policy": "gold",
        "backend": {"type": "local", "ro_binds": BINDS},
        "python": sys.executable,
    }
    cfg = parse_config(data)
    result = await run_pipeline(cfg)
    assert result.sampling.by_domain["code"].tasks == 2
    assert result.sampling.by_domain["code"].accepted == 2, result.sampling

    store = Store(cfg.store_url())
    code_verdicts = [v for v in store.list(Verdict) if any(c.check == "tests" for c in v.checks)]
    store.close()
    assert len(code_verdicts) == 2
    for verdict in code_verdicts:
        tests = next(c for c in verdict.checks if c.check == "tests")
        assert tests.passed and tests.details["status"] == "resolved"

    exported = list(read_openai_jsonl(result.export.files["openai"]))
    code = [c for c in exported if c.metadata["domain"] == "code"]
    assert len(code) == 2 and len(exported) == 4
    assert {t["function"]["name"] for t in code[0].tools} >= {"bash", "run_tests"}

    again = await run_pipeline(cfg)  # resumed: nothing played or graded twice
    rollouts = next(r for r in again.reports if r.name == "rollouts")
    assert rollouts.new == 0 and rollouts.done_before == 4


def test_code_tasks_need_a_gold_patch_or_an_agent_model(tmp_path: Path) -> None:
    data = small(tmp_path / "ws")
    data["code_tasks"] = {"paths": [str(REPO / "examples" / "code_tasks" / "median")], "policy": "llm"}
    with pytest.raises(ConfigError, match="set models.agent"):
        code_setup(parse_config(data))
