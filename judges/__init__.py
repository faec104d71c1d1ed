"""judges: verdicts on a trajectory, cheapest check first, and the rejection sampler (DESIGN §7).

Checks — each returns a `CheckResult {check, passed, score, reason}`:

- `rules`  (`judges.rules`): calls name offered tools with schema-valid arguments, no empty turns,
  a proper end, tool errors not ignored, the rubric's required tools used, the calls of a
  multi-call trajectory serve one task (`judges.chain`), and K2-style budget control (needless
  length is penalised, padding fails);
- `grounding` (`judges.grounding`): ids, numbers and names the agent says or sends were shown to
  it; the reply uses the last results; no success claim after an error, no blind repeat of a
  failed call; the user does not recite tool descriptions;
- `state`  (`judges.state`): the blueprint replayed on a fresh schema simulator, end states compared;
- `tests`  (`judges.tests_check.SandboxGrader`): code tasks graded by the sandbox;
- `rubric` (`judges.rubric`): an LLM judge, one structured verdict per rubric item plus K2's core
  criteria; prompts live in `judges/prompts/`.

`Judge` (`judges.judge`) runs them in order and combines them as `JudgeConfig` says;
`judges.sampling` holds the one rejection sampler (`rejection_sample`, in rounds; tool episodes and
code tasks alike) and its statistics.
"""

from judges.config import (
    GroundingConfig,
    JudgeConfig,
    RubricConfig,
    RulesConfig,
    StateConfig,
    TestsConfig,
)
from judges.grounding import check_grounding
from judges.judge import Judge, TestsGrader, TrajectoryJudge
from judges.rules import check_rules
from judges.sampling import AttemptOutcome, SamplingConfig, SamplingStats, rejection_sample, sampling_stats
from judges.state import check_state

__all__ = [
    "AttemptOutcome",
    "GroundingConfig",
    "Judge",
    "JudgeConfig",
    "RubricConfig",
    "RulesConfig",
    "SamplingConfig",
    "SamplingStats",
    "StateConfig",
    "TestsConfig",
    "TestsGrader",
    "TrajectoryJudge",
    "check_grounding",
    "check_rules",
    "check_state",
    "rejection_sample",
    "sampling_stats",
]
