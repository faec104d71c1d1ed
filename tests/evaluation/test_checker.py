"""BFCL's AST rules, one at a time: each rule with a call that passes and one that fails."""

from __future__ import annotations

from typing import Any

import pytest

from toolforge.evaluation.cases import EvalCase
from toolforge.evaluation.checker import check_case, normalise

FACTORIAL = {
    "name": "math.factorial",
    "description": "n!",
    "parameters": {"type": "dict", "properties": {"number": {"type": "integer"}}, "required": ["number"]},
}
AREA = {
    "name": "circle_area",
    "description": "area",
    "parameters": {
        "type": "dict",
        "properties": {
            "radius": {"type": "float"},
            "units": {"type": "string"},
            "exact": {"type": "boolean"},
        },
        "required": ["radius"],
    },
}
ROUTE = {
    "name": "route",
    "description": "route",
    "parameters": {
        "type": "dict",
        "properties": {
            "stops": {"type": "array", "items": {"type": "string"}},
            "legs": {"type": "array", "items": {"type": "integer"}},
            "options": {
                "type": "dict",
                "properties": {"avoid_tolls": {"type": "boolean"}, "mode": {"type": "string"}},
            },
            "waypoints": {"type": "array", "items": {"type": "dict"}},
            "tag": {"type": "any"},
        },
        "required": ["stops"],
    },
}


def case(category: str, functions: list[dict[str, Any]], truth: list[dict[str, Any]]) -> EvalCase:
    return EvalCase(
        id=f"{category}_0",
        category=category,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": "q"}],
        functions=functions,
        ground_truth=truth,
    )


def simple(function: dict[str, Any], answer: dict[str, list[Any]]) -> EvalCase:
    return case("simple", [function], [{function["name"]: answer}])


def verdict(c: EvalCase, *calls: dict[str, dict[str, Any]]):
    return check_case(c, list(calls))


def test_function_name_must_match_the_docs_name() -> None:
    c = simple(FACTORIAL, {"number": [5]})
    assert verdict(c, {"math.factorial": {"number": 5}}).valid
    wrong = verdict(c, {"math.fact": {"number": 5}})
    assert not wrong.valid and wrong.error_type == "wrong_func_name"


def test_required_argument_must_be_present() -> None:
    c = simple(AREA, {"radius": [2.0], "units": [""], "exact": [""]})
    assert verdict(c, {"circle_area": {"radius": 2.0}}).valid
    missing = verdict(c, {"circle_area": {"units": "cm"}})
    assert missing.error_type == "missing_required" and "radius" in missing.reason


def test_unexpected_argument_fails() -> None:
    c = simple(AREA, {"radius": [2.0], "units": [""], "exact": [""]})
    extra = verdict(c, {"circle_area": {"radius": 2.0, "colour": "red"}})
    assert extra.error_type == "unexpected_param" and "colour" in extra.reason


def test_an_int_is_accepted_for_a_float_but_not_a_float_for_an_int() -> None:
    assert verdict(
        simple(AREA, {"radius": [2.0], "units": [""], "exact": [""]}), {"circle_area": {"radius": 2}}
    ).valid
    c = simple(FACTORIAL, {"number": [5]})
    wrong = verdict(c, {"math.factorial": {"number": 5.0}})
    assert wrong.error_type == "type_error:simple"


def test_a_boolean_must_be_a_boolean() -> None:
    c = simple(AREA, {"radius": [2.0], "units": [""], "exact": [True]})
    assert verdict(c, {"circle_area": {"radius": 2.0, "exact": True}}).valid
    assert verdict(c, {"circle_area": {"radius": 2.0, "exact": 1}}).error_type == "type_error:simple"


def test_strings_compare_as_bfcl_standardises_them() -> None:
    assert normalise("Paris, France") == normalise("paris france") == "parisfrance"
    c = simple(AREA, {"radius": [2.0], "units": ["square-meters"], "exact": [""]})
    assert verdict(c, {"circle_area": {"radius": 2.0, "units": "Square Meters"}}).valid
    wrong = verdict(c, {"circle_area": {"radius": 2.0, "units": "square feet"}})
    assert wrong.error_type == "value_error:string"


def test_an_argument_with_an_empty_string_among_its_values_may_be_left_out() -> None:
    optional = simple(AREA, {"radius": [2.0], "units": ["", "cm"], "exact": [""]})
    assert verdict(optional, {"circle_area": {"radius": 2.0}}).valid
    needed = simple(AREA, {"radius": [2.0], "units": ["cm"], "exact": [""]})
    assert verdict(needed, {"circle_area": {"radius": 2.0}}).error_type == "missing_optional"


def test_a_value_outside_the_acceptable_ones_fails() -> None:
    c = simple(FACTORIAL, {"number": [5, 6]})
    assert verdict(c, {"math.factorial": {"number": 6}}).valid
    assert verdict(c, {"math.factorial": {"number": 7}}).error_type == "value_error:others"


def test_lists_compare_in_order_with_strings_standardised() -> None:
    c = simple(
        ROUTE,
        {"stops": [["New York", "Boston"]], "legs": [""], "options": [""], "waypoints": [""], "tag": [""]},
    )
    assert verdict(c, {"route": {"stops": ["new york", "boston"]}}).valid
    assert verdict(c, {"route": {"stops": ["Boston", "New York"]}}).error_type == "value_error:list/tuple"


def test_list_items_are_type_checked() -> None:
    c = simple(ROUTE, {"stops": [["A"]], "legs": [[1, 2]], "options": [""], "waypoints": [""], "tag": [""]})
    assert verdict(c, {"route": {"stops": ["A"], "legs": [1, 2]}}).valid
    assert verdict(c, {"route": {"stops": ["A"], "legs": ["1", "2"]}}).error_type == "type_error:nested"


def test_dicts_compare_key_by_key() -> None:
    c = simple(
        ROUTE,
        {
            "stops": [["A"]],
            "legs": [""],
            "options": [{"avoid_tolls": [True], "mode": ["", "car"]}],
            "waypoints": [""],
            "tag": [""],
        },
    )
    assert verdict(c, {"route": {"stops": ["A"], "options": {"avoid_tolls": True}}}).valid
    assert (
        verdict(c, {"route": {"stops": ["A"], "options": {"avoid_tolls": False}}}).error_type
        == "value_error:dict_value"
    )
    assert (
        verdict(c, {"route": {"stops": ["A"], "options": {"speed": 3}}}).error_type == "value_error:dict_key"
    )


def test_a_list_of_dicts_compares_dict_by_dict() -> None:
    answer = {
        "stops": [["A"]],
        "legs": [""],
        "options": [""],
        "waypoints": [[{"x": [1]}, {"x": [2]}]],
        "tag": [""],
    }
    c = simple(ROUTE, answer)
    assert verdict(c, {"route": {"stops": ["A"], "waypoints": [{"x": 1}, {"x": 2}]}}).valid
    assert not verdict(c, {"route": {"stops": ["A"], "waypoints": [{"x": 2}, {"x": 1}]}}).valid
    assert (
        verdict(c, {"route": {"stops": ["A"], "waypoints": [{"x": 1}]}}).error_type
        == "value_error:list_dict_count"
    )


def test_a_value_of_the_answers_own_type_is_a_variable_compared_as_is() -> None:
    c = simple(ROUTE, {"stops": [["A"]], "legs": [""], "options": [""], "waypoints": [""], "tag": [7]})
    assert verdict(c, {"route": {"stops": ["A"], "tag": 7}}).valid
    assert verdict(c, {"route": {"stops": ["A"], "tag": 8}}).error_type == "value_error:others"


def test_simple_needs_exactly_one_call() -> None:
    c = simple(FACTORIAL, {"number": [5]})
    two = verdict(c, {"math.factorial": {"number": 5}}, {"math.factorial": {"number": 5}})
    assert two.error_type == "wrong_count"
    assert check_case(c, []).error_type == "no_call"


def test_multiple_needs_the_answers_function_among_several() -> None:
    c = case(
        "multiple", [FACTORIAL, AREA], [{"circle_area": {"radius": [1.0], "units": [""], "exact": [""]}}]
    )
    assert verdict(c, {"circle_area": {"radius": 1.0}}).valid
    assert verdict(c, {"math.factorial": {"number": 1}}).error_type == "wrong_func_name"


@pytest.mark.parametrize("category", ["parallel", "parallel_multiple"])
def test_parallel_calls_match_in_any_order(category: str) -> None:
    truth = [
        {"math.factorial": {"number": [3]}},
        {"circle_area": {"radius": [1.0], "units": [""], "exact": [""]}},
    ]
    c = case(category, [FACTORIAL, AREA], truth)
    assert verdict(c, {"circle_area": {"radius": 1.0}}, {"math.factorial": {"number": 3}}).valid
    assert verdict(c, {"math.factorial": {"number": 3}}, {"circle_area": {"radius": 1.0}}).valid
    unmatched = verdict(c, {"circle_area": {"radius": 1.0}}, {"math.factorial": {"number": 4}})
    assert unmatched.error_type == "cannot_find_match" and "math.factorial" in unmatched.reason
    assert verdict(c, {"math.factorial": {"number": 3}}).error_type == "wrong_count"


def test_irrelevance_is_right_only_without_a_call() -> None:
    c = case("irrelevance", [FACTORIAL], [])
    assert check_case(c, []).valid
    called = check_case(c, [{"math.factorial": {"number": 1}}])
    assert called.error_type == "irrelevance:called"
