"""Reading BFCL's layout: categories from ids, answers from possible_answer/, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolforge.core.errors import ConfigError
from toolforge.evaluation.cases import category_of, find_question_files, load_cases

FIXTURES = Path(__file__).parent / "fixtures" / "bfcl"


def test_every_fixture_category_loads_with_its_answers() -> None:
    cases = [c for f in find_question_files(FIXTURES) for c in load_cases(f)]
    by_id = {c.id: c for c in cases}
    assert {c.category for c in cases} == {
        "simple",
        "multiple",
        "parallel",
        "parallel_multiple",
        "irrelevance",
    }
    assert by_id["simple_0"].messages == [{"role": "user", "content": "What is the factorial of 5?"}]
    assert by_id["simple_0"].ground_truth == [{"math.factorial": {"number": [5]}}]
    assert by_id["parallel_0"].ground_truth[1] == {"get_weather": {"city": ["Rome"], "days": [""]}}
    assert by_id["irrelevance_0"].ground_truth == []


@pytest.mark.parametrize(
    ("case_id", "category"),
    [
        ("simple_3", "simple"),
        ("simple_python_3", "simple"),
        ("live_simple_0-0-0", "simple"),
        ("multiple_2", "multiple"),
        ("live_multiple_9-3-1", "multiple"),
        ("parallel_1", "parallel"),
        ("parallel_multiple_1", "parallel_multiple"),
        ("live_parallel_multiple_0-0-0", "parallel_multiple"),
        ("irrelevance_4", "irrelevance"),
        ("live_irrelevance_4-0-0", "irrelevance"),
        ("live_relevance_1-1-0", "relevance"),
    ],
)
def test_category_from_the_id_prefix(case_id: str, category: str) -> None:
    assert category_of(case_id, Path("f.json")) == category


@pytest.mark.parametrize(
    "case_id", ["multi_turn_base_0", "simple_java_1", "simple_javascript_2", "exec_simple_0"]
)
def test_unsupported_categories_are_refused_by_name(case_id: str) -> None:
    with pytest.raises(ConfigError, match=f"f.json: case '{case_id}' is of no supported category"):
        category_of(case_id, Path("f.json"))


def _write(path: Path, rows: list[object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


QUESTION = {
    "id": "simple_0",
    "question": [[{"role": "user", "content": "5!?"}]],
    "function": [{"name": "f", "parameters": {"type": "dict", "properties": {"n": {"type": "integer"}}}}],
}


def test_a_file_in_another_layout_names_the_file_and_the_expected_layout(tmp_path: Path) -> None:
    path = _write(tmp_path / "data.json", [{"messages": [], "tools": []}])
    with pytest.raises(
        ConfigError, match=r"data.json:1: unknown layout, no id, question, function .*BFCL layout"
    ):
        load_cases(path)
    text = tmp_path / "text.json"
    text.write_text("not json\n")
    with pytest.raises(ConfigError, match=r"text.json:1: not a JSON line"):
        load_cases(text)


def test_missing_possible_answer_file_names_where_it_was_looked_for(tmp_path: Path) -> None:
    path = _write(tmp_path / "BFCL_v3_simple.json", [QUESTION])
    with pytest.raises(
        ConfigError, match=r"no possible_answer file at .*possible_answer/BFCL_v3_simple.json"
    ):
        load_cases(path)


def test_possible_answer_ids_that_do_not_match_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "BFCL_v3_simple.json", [QUESTION])
    _write(
        tmp_path / "possible_answer" / "BFCL_v3_simple.json",
        [{"id": "simple_7", "ground_truth": [{"f": {"n": [5]}}]}],
    )
    with pytest.raises(
        ConfigError, match=r"ids do not match .*no answer for \['simple_0'\].*unknown ids \['simple_7'\]"
    ):
        load_cases(path)


def test_a_malformed_answer_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "BFCL_v3_simple.json", [QUESTION])
    _write(
        tmp_path / "possible_answer" / "BFCL_v3_simple.json",
        [{"id": "simple_0", "ground_truth": [{"f": {"n": 5}}]}],
    )
    with pytest.raises(ConfigError, match=r"possible_answer/BFCL_v3_simple.json:1: each call is"):
        load_cases(path)


def test_a_question_string_is_one_user_message(tmp_path: Path) -> None:
    path = _write(tmp_path / "q.json", [{**QUESTION, "id": "irrelevance_0", "question": "hello"}])
    assert load_cases(path)[0].messages == [{"role": "user", "content": "hello"}]


def test_an_answer_calling_a_function_the_question_does_not_offer_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "BFCL_v3_simple.json", [QUESTION])
    _write(
        tmp_path / "possible_answer" / "BFCL_v3_simple.json",
        [{"id": "simple_0", "ground_truth": [{"g": {"n": [5]}}]}],
    )
    with pytest.raises(
        ConfigError, match=r"the answer to 'simple_0' calls 'g', which its question does not offer"
    ):
        load_cases(path)
