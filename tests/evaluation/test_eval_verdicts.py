"""How one output becomes a verdict: names mapped back, unreadable output, failed calls."""

from __future__ import annotations

from pathlib import Path

from toolforge.evaluation.cases import load_cases
from toolforge.evaluation.models import ModelOutput
from toolforge.evaluation.runner import judge

FIXTURES = Path(__file__).parent / "fixtures" / "bfcl"


def test_an_unreadable_output_fails_a_call_case_but_passes_irrelevance_as_bfcl_counts_it() -> None:
    simple = load_cases(FIXTURES / "BFCL_v3_simple.json")[0]
    irrelevant = load_cases(FIXTURES / "BFCL_v3_irrelevance.json")[0]
    broken = ModelOutput(raw="<tool_call>{oops", parse_error="<tool_call> 0 is not valid JSON")
    failed = judge(simple, broken, cached=False).verdict
    assert failed.error_type == "unreadable_output" and "not valid JSON" in failed.reason
    assert judge(irrelevant, broken, cached=False).verdict.valid


def test_underscored_names_are_read_back_as_the_dotted_originals() -> None:
    simple = load_cases(FIXTURES / "BFCL_v3_simple.json")[0]
    result = judge(simple, ModelOutput(raw="", calls=[("math_factorial", {"number": 5})]), cached=False)
    assert result.calls == [{"math.factorial": {"number": 5}}] and result.verdict.valid
    undotted = judge(simple, ModelOutput(raw="", calls=[("mathfactorial", {"number": 5})]), cached=False)
    assert undotted.verdict.error_type == "wrong_func_name"


def test_a_failed_model_call_is_its_own_verdict() -> None:
    irrelevant = load_cases(FIXTURES / "BFCL_v3_irrelevance.json")[0]
    result = judge(
        irrelevant, ModelOutput(raw="", parse_error="the model call failed: 500", failed=True), cached=False
    )
    assert result.verdict.error_type == "model_error" and not result.verdict.valid
