"""`toolforge eval`: the tool-calling accuracy of a model on held-out cases (DESIGN §7).

    cases = load_cases(Path("data/BFCL_v3_simple.json"))        # + data/possible_answer/BFCL_v3_simple.json
    results = await evaluate(open_model("openai/gpt-4o-mini", client), cases, AnswerCache(cache_file))
    write_report(Path("report.json"), "openai/gpt-4o-mini", [...], results)

- `cases.py`: the Berkeley Function Calling Leaderboard's layout, read as BFCL ships it;
- `functions.py`: function docs → tools (BFCL's type mapping, dotted names underscored);
- `models.py`, `hf_model.py`: litellm model strings, the bundled model, HF checkpoint folders;
- `parse.py`: tool calls from raw text (K2 sections, `<tool_call>` tags, bare JSON);
- `checker.py`: BFCL's AST rules; `runner.py`: batches and the resumable cache; `report.py`;
- `holdout.py`: our own held-out domains written in the same layout.

BFCL's data is a held-out measure only: never train or tune prompts on it.
"""

from toolforge.evaluation.cases import EvalCase, load_cases
from toolforge.evaluation.checker import Check, check_case
from toolforge.evaluation.parse import ParsedOutput, parse_eval_output
from toolforge.evaluation.report import summary, write_report
from toolforge.evaluation.runner import AnswerCache, CaseResult, cache_path_for, evaluate

__all__ = [
    "AnswerCache",
    "CaseResult",
    "Check",
    "EvalCase",
    "ParsedOutput",
    "cache_path_for",
    "check_case",
    "evaluate",
    "load_cases",
    "parse_eval_output",
    "summary",
    "write_report",
]
