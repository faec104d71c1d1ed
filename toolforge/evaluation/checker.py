"""The verdict on one case, by the rules of BFCL's AST checker (Python categories).

Written from BFCL's documented rules (`bfcl_eval/eval_checker/ast_eval`), not copied:

- simple: exactly one call; multiple: exactly one call, to the function the answer names;
  parallel and parallel_multiple: as many calls as the answer has, matched in any order (each
  expected call takes the first unmatched model call that passes);
- per call: the right function name; every required argument present; no argument that the doc
  or the answer does not name; every answer argument given unless `""` is among its values;
- per value: its Python type must be the doc's type (integer → int, float → float, string and any
  → str, boolean → bool, array and tuple → list, dict → dict); an int is accepted for a float; a
  value of the answer's own type when that differs from the doc's is a variable and is compared
  as is; one level of item types is checked for arrays and tuples;
- strings (alone, in lists and in dicts) compare after lower-casing and removing spaces and
  `,./-_*^`, with `'` read as `"`; lists compare in order; dicts key by key, a key with `""` among
  its values may be left out; a list of dicts compares dict by dict, in order;
- irrelevance: right when the model calls nothing; relevance: right when it calls something.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from toolforge.evaluation.cases import EvalCase

Call = dict[str, dict[str, Any]]  # {function name: {argument: value}}, as BFCL decodes a call

_PY_TYPE: dict[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "any": str,
}
_NESTED = ("array", "tuple")
_IGNORED_IN_STRINGS = re.compile(r"[ ,./\-_*^]")


@dataclass(frozen=True)
class Check:
    valid: bool
    error_type: str = ""
    reason: str = ""


OK = Check(True)


def normalise(text: str) -> str:
    """BFCL's string standardisation: 'April 1, 2024' and 'april 1 2024' compare equal."""
    return _IGNORED_IN_STRINGS.sub("", text).lower().replace("'", '"')


def _answer_type(acceptable: list[Any]) -> type | None:
    """The type of the first non-optional acceptable value (None when all are "")."""
    for value in acceptable:
        if value != "":
            return type(value)
    return None


def _type_check(
    param: str, value: Any, acceptable: list[Any], type_name: str, item_type: str | None
) -> tuple[Check, bool]:
    """(the check, whether the value is a variable) for one value against its declared type."""
    expected = _PY_TYPE.get(type_name, str)
    answer_type = _answer_type(acceptable)
    is_variable = answer_type is not None and answer_type is not expected
    if type(value) is expected:
        if item_type is None:
            return OK, is_variable
        for option in acceptable:
            if not isinstance(option, list):
                return OK, is_variable  # an optional "" leaves the items unconstrained
            if all(_type_check(param, item, option, item_type, None)[0].valid for item in value):
                return OK, is_variable
        return Check(
            False,
            "type_error:nested",
            f"argument {param!r}: expected {type_name} of {item_type}, got {value!r}",
        ), False
    if answer_type is not None and type(value) is answer_type:
        return OK, True
    return Check(
        False,
        "type_error:simple",
        f"argument {param!r}: expected type {type_name}, got {type(value).__name__} ({value!r})",
    ), False


def _standard(value: Any) -> Any:
    return normalise(value) if isinstance(value, str) else value


def _dict_check(param: str, value: dict[str, Any], acceptable: list[Any]) -> Check:
    failure = Check(False, "value_error:dict", f"argument {param!r}: {value!r} matches no acceptable dict")
    for option in acceptable:
        if option == "" or not isinstance(option, dict):
            continue
        failure = _one_dict(param, value, option)
        if failure.valid:
            return OK
    return failure


def _one_dict(param: str, value: dict[str, Any], option: dict[str, list[Any]]) -> Check:
    for key, item in value.items():
        if key not in option:
            return Check(False, "value_error:dict_key", f"argument {param!r}: unexpected key {key!r}")
        if _standard(item) not in [_standard(v) for v in option[key]]:
            return Check(
                False,
                "value_error:dict_value",
                f"argument {param!r}, key {key!r}: {item!r} is not one of {option[key]!r}",
            )
    for key, values in option.items():
        if key not in value and "" not in values:
            return Check(False, "value_error:dict_key", f"argument {param!r}: missing key {key!r}")
    return OK


def _list_of_dicts_check(param: str, value: list[Any], acceptable: list[Any]) -> Check:
    failure = Check(
        False, "value_error:list_dict", f"argument {param!r}: {value!r} matches no acceptable list"
    )
    for option in acceptable:
        if not isinstance(option, list):
            continue
        if len(option) != len(value):
            failure = Check(
                False,
                "value_error:list_dict_count",
                f"argument {param!r}: {len(value)} dicts, expected {len(option)}",
            )
            continue
        results = [_one_dict(param, item, expected) for item, expected in zip(value, option, strict=True)]
        failure = next((r for r in results if not r.valid), OK)
        if failure.valid:
            return OK
    return failure


def _value_check(
    param: str, value: Any, acceptable: list[Any], type_name: str, item_type: str | None
) -> Check:
    if type_name == "float" and type(value) is int:
        value = float(value)  # Python would take an int for a float: BFCL does too
    checked, is_variable = _type_check(param, value, acceptable, type_name, item_type)
    if not checked.valid:
        return checked
    expected = _PY_TYPE.get(type_name, str)
    if not is_variable:
        if expected is dict:
            return _dict_check(param, value, acceptable)
        if expected is list and item_type == "dict":
            return _list_of_dicts_check(param, value, acceptable)
        if expected is str:
            if normalise(value) in [normalise(v) for v in acceptable if isinstance(v, str)]:
                return OK
            return Check(
                False, "value_error:string", f"argument {param!r}: {value!r} is not one of {acceptable!r}"
            )
        if expected is list:
            options = [[_standard(v) for v in option] for option in acceptable if isinstance(option, list)]
            if [_standard(v) for v in value] in options:
                return OK
            return Check(
                False, "value_error:list/tuple", f"argument {param!r}: {value!r} is not one of {acceptable!r}"
            )
    if value in acceptable:
        return OK
    return Check(False, "value_error:others", f"argument {param!r}: {value!r} is not one of {acceptable!r}")


def check_call(doc: dict[str, Any], call: Call, expected: Call) -> Check:
    """One model call against one expected call of the function `doc` describes."""
    name = doc["name"]
    acceptable_args = next(iter(expected.values()))
    if name not in call:
        got = ", ".join(call) or "nothing"
        return Check(False, "wrong_func_name", f"expected a call to {name!r}, got {got}")
    args = call[name]
    params = (doc.get("parameters") or {}).get("properties", {})
    for required in (doc.get("parameters") or {}).get("required", []):
        if required not in args:
            return Check(False, "missing_required", f"{name}: required argument {required!r} is missing")
    for param, value in args.items():
        if param not in params or param not in acceptable_args:
            return Check(False, "unexpected_param", f"{name}: unexpected argument {param!r}")
        detail = params[param]
        type_name = detail.get("type", "string")
        item_type = None
        if type_name in _NESTED:
            item_type = (detail.get("items") or {}).get("type", "string")
        result = _value_check(param, value, acceptable_args[param], type_name, item_type)
        if not result.valid:
            return Check(False, result.error_type, f"{name}: {result.reason}")
    for param, values in acceptable_args.items():
        if param not in args and "" not in values:
            return Check(False, "missing_optional", f"{name}: argument {param!r} is expected but missing")
    return OK


def _doc(case: EvalCase, name: str) -> dict[str, Any]:
    for doc in case.functions:
        if doc["name"] == name:
            return doc
    # the answer names a function the case does not offer: the data is wrong, not the model
    raise ValueError(f"case {case.id}: the answer calls {name!r}, which is not among its functions")


def check_case(case: EvalCase, calls: list[Call]) -> Check:
    """The verdict for `calls` (names as the case's docs spell them) on `case`."""
    if case.category == "irrelevance":
        if calls:
            return Check(
                False, "irrelevance:called", f"no function fits, yet the model called {_names(calls)}"
            )
        return OK
    if case.category == "relevance":
        return OK if calls else Check(False, "relevance:no_call", "the model made no function call")
    if not calls:
        return Check(False, "no_call", "the model made no function call")
    expected = case.ground_truth
    if len(calls) != len(expected):
        return Check(
            False, "wrong_count", f"expected {len(expected)} call(s), got {len(calls)}: {_names(calls)}"
        )
    if case.category in ("simple", "multiple"):
        return check_call(_doc(case, next(iter(expected[0]))), calls[0], expected[0])
    matched: set[int] = set()
    for index, wanted in enumerate(expected):
        doc = _doc(case, next(iter(wanted)))
        tried: list[str] = []
        for position, call in enumerate(calls):
            if position in matched:
                continue
            result = check_call(doc, call, wanted)
            if result.valid:
                matched.add(position)
                break
            tried.append(f"call {position}: {result.reason}")
        else:
            return Check(
                False,
                "cannot_find_match",
                f"no model call matches expected call {index} ({doc['name']}): " + "; ".join(tried),
            )
    return OK


def _names(calls: list[Call]) -> str:
    return ", ".join(name for call in calls for name in call) or "nothing"
