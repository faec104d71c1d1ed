"""What the judges check and how their results combine. Every model forbids unknown keys."""

from __future__ import annotations

from typing import Literal, TypeGuard

from pydantic import BaseModel, ConfigDict, Field

from toolforge.core.ids import digest

CheckName = Literal["rules", "grounding", "state", "tests", "rubric"]
CHECK_ORDER: tuple[CheckName, ...] = ("rules", "grounding", "state", "tests", "rubric")


def is_check_name(name: str) -> TypeGuard[CheckName]:
    """`name` is one of the judge's checks (a CheckResult's `check` is any string)."""
    return name in CHECK_ORDER


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RulesConfig(_Strict):
    enabled: bool = True
    # End reasons that count as a proper end; the rest (max_turns, timeout, ...) fail.
    proper_end_reasons: list[str] = Field(default_factory=lambda: ["user_stop", "agent_stop", "graded"])
    # Every non-optional tool of the rubric's expected pattern must be called at least once.
    require_expected_tools: bool = True
    # The calls of a multi-call trajectory share an entity or pass data along (judges/chain.py).
    require_coherent_chain: bool = True
    # Budget control (K2 §3.2.3): a token budget per task type; over it the attempt fails.
    # Tokens are estimated as characters / 4 over what the agent wrote (text and arguments).
    token_budget: dict[str, int] = Field(
        default_factory=lambda: {
            "single_call": 1500,
            "multi_call": 3000,
            "clarification": 3000,
            "recovery": 4000,
            "code": 16000,
        }
    )
    default_token_budget: int = 4000
    # Needless length: calls beyond the expected pattern cost `extra_call_penalty` each; beyond
    # `max_call_factor` × expected + `call_slack` the attempt fails.
    extra_call_penalty: float = Field(default=0.1, ge=0, le=1)
    max_call_factor: float = Field(default=2.0, ge=1)
    call_slack: int = Field(default=2, ge=0)
    # An identical call (same tool, same arguments) repeated after it succeeded is padding.
    allow_repeated_calls: bool = False
    # A sentence (four words or more) the agent says more often than this is padding.
    max_sentence_repeats: int = Field(default=2, ge=1)


class GroundingConfig(_Strict):
    enabled: bool = True
    # A user turn holding this many consecutive words of an offered tool's description pasted it.
    description_words: int = Field(default=6, ge=3)
    # Each violation costs this much score (every violation fails the check).
    violation_penalty: float = Field(default=0.25, ge=0, le=1)


class StateConfig(_Strict):
    enabled: bool = True
    # "hash": the whole end state must equal the replayed one; "subset": every value the
    # replayed state holds must be present and equal (extra keys in the attempt's state allowed).
    mode: Literal["hash", "subset"] = "hash"
    ignore_keys: list[str] = Field(default_factory=list, description="keys dropped at any depth")


class TestsConfig(_Strict):
    enabled: bool = True


class RubricConfig(_Strict):
    enabled: bool = True
    role: str = "judge"
    # K2's core rubrics (App. F.1), judged next to the task's own rubric items.
    general_criteria: list[Literal["clarity", "relevance", "fluency", "objectivity"]] = Field(
        default_factory=lambda: ["clarity", "relevance", "fluency", "objectivity"]
    )
    # Weights of the item kinds in the rubric score.
    weights: dict[str, float] = Field(
        default_factory=lambda: {"success": 2.0, "pattern": 1.0, "checkpoint": 1.0, "general": 0.5}
    )
    # Which kinds of item the judge is asked about (a small local judge may take only some: each
    # item costs it seconds of CPU).
    item_kinds: list[Literal["success", "pattern", "checkpoint", "general"]] = Field(
        default_factory=lambda: ["success", "pattern", "checkpoint", "general"]
    )
    # Passed when every success criterion is met and the weighted score reaches this.
    pass_score: float = Field(default=0.6, ge=0, le=1)
    max_transcript_chars: int = Field(default=6000, ge=500)
    max_message_chars: int = Field(default=600, ge=50)
    max_reasoning_chars: int = Field(default=240, ge=20)


class JudgeConfig(_Strict):
    rules: RulesConfig = Field(default_factory=RulesConfig)
    grounding: GroundingConfig = Field(default_factory=GroundingConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    tests: TestsConfig = Field(default_factory=TestsConfig)
    rubric: RubricConfig = Field(default_factory=RubricConfig)
    # Checks that must pass for acceptance (when they apply to the task).
    required: list[CheckName] = Field(
        default_factory=lambda: ["rules", "grounding", "state", "tests", "rubric"]
    )
    # Stop at the first failed required check: the expensive ones are not paid for a reject.
    short_circuit: bool = True
    # The overall score is the weighted mean of the checks that ran; accepted needs >= threshold.
    weights: dict[CheckName, float] = Field(
        default_factory=lambda: {"rules": 1.0, "grounding": 1.0, "state": 1.0, "tests": 1.0, "rubric": 1.0}
    )
    accept_threshold: float = Field(default=0.7, ge=0, le=1)

    def enabled(self, check: CheckName) -> bool:
        return bool(getattr(self, check).enabled)

    def key(self, judge_model: str = "") -> str:
        """Fingerprint of this config (and of the judge model): a verdict's `judge_key`."""
        return digest({"config": self.model_dump(mode="json"), "model": judge_model})
