"""The schema simulator: deterministic and stateful, no model.

Entities live in the state as `{collection: {id: record}}`. A create stores its arguments under a
new id (`order_0001`), a read finds by id (an unknown id is a tool error the agent sees), a list
filters by the arguments that name record fields, an update merges, a delete removes, and an
action that changes the world is logged. Outputs conform to the tool's output schema: a value is
generated from the schema (seeded by the call, so equal calls on equal states give equal output)
and the stored record's fields are laid over it wherever they validate.

It is the replay reference for blueprints: `run` is synchronous and needs nothing but the state.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from jsonschema import Draft202012Validator

from environments.executors.base import CallContext, ToolResult
from environments.executors.schema_check import compiled
from environments.executors.schemas import inline_refs
from environments.executors.semantics import semantics
from environments.state import State, next_id
from toolforge.core.ids import digest
from toolforge.core.jsonschema_tools import instance_for
from toolforge.core.types import ToolSpec

_QUERY_ARGS = ("query", "q", "search", "keyword", "keywords", "text", "term")
_VALIDATORS: dict[int, tuple[Any, Draft202012Validator]] = {}


def _valid(schema: Any, value: Any) -> bool:
    if not isinstance(schema, dict):
        return schema is not False
    check = compiled(schema)
    if check is not None:
        return check(value)
    found = _VALIDATORS.get(id(schema))
    if found is None or found[0] is not schema:
        found = _VALIDATORS[id(schema)] = (schema, Draft202012Validator(schema))
    return found[1].is_valid(value)


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _type_ok(schema: dict[str, Any], value: Any) -> bool:
    """A cheap look at `type`, `enum` and `const` only (the full check comes once, at the end)."""
    if "const" in schema:
        return bool(value == schema["const"])
    if "enum" in schema:
        return value in schema["enum"]
    kind = schema.get("type")
    if kind is None:
        return True
    kinds = kind if isinstance(kind, list) else [kind]
    if isinstance(value, bool) and "boolean" not in kinds:
        return False
    return any(isinstance(value, _JSON_TYPES.get(k, ())) for k in kinds)


def _shape(schema: dict[str, Any], base: Any, value: Any) -> Any:
    """`base` (generated from the schema) with `value`'s fields laid over where their types fit."""
    props: dict[str, Any] = schema.get("properties", {})
    if isinstance(base, dict) and props and isinstance(value, dict):
        out = dict(base)
        for key, sub in props.items():
            if key in value and isinstance(sub, dict) and _type_ok(sub, value[key]):
                out[key] = value[key]
            elif key not in value and isinstance(sub, dict) and sub.get("type") == "object":
                out[key] = _shape(sub, out.get(key, {}), value)
        return out
    if isinstance(base, dict) and props and isinstance(value, list):
        out = dict(base)
        for key, sub in props.items():
            if isinstance(sub, dict) and sub.get("type") == "array":
                items = sub.get("items", {})
                template = out[key][0] if out.get(key) else {}
                out[key] = [_shape(items, template, v) if isinstance(items, dict) else v for v in value]
                break
        for key in ("count", "total"):
            if key in props and isinstance(props[key], dict) and _type_ok(props[key], len(value)):
                out[key] = len(value)
        return out
    if isinstance(base, list) and isinstance(value, list):
        items = schema.get("items", {})
        template = base[0] if base else {}
        return [_shape(items, template, v) if isinstance(items, dict) else v for v in value]
    return value if _type_ok(schema, value) else base


def fit_output(schema: dict[str, Any] | None, value: Any, rng: random.Random) -> Any:
    """`value` shaped to `schema`: generated from the schema, with `value`'s fields laid over.
    A cheap shaping first, checked once against the schema; the exact field-by-field overlay
    only when that check fails."""
    if schema is None:
        return value
    schema = inline_refs(schema)
    base = instance_for(schema, rng, optional_p=0.3)
    shaped = _shape(schema, base, value)
    if _valid(schema, shaped):
        return shaped
    return _overlay(schema, base, value, rng)


def _overlay(schema: dict[str, Any], base: Any, value: Any, rng: random.Random) -> Any:
    if _valid(schema, value):
        return value
    props: dict[str, Any] = schema.get("properties", {})
    if isinstance(base, dict) and isinstance(value, dict) and props:
        out = dict(base)
        for key, sub in props.items():
            if key in value and _valid(sub, value[key]):
                out[key] = value[key]
            elif key not in value and isinstance(sub, dict) and sub.get("type") == "object":
                out[key] = _overlay(sub, out.get(key, instance_for(sub, rng)), value, rng)
        if schema.get("additionalProperties", True) is not False and not props.keys() & value.keys():
            return out
        return out if _valid(schema, out) else base
    if isinstance(base, dict) and isinstance(value, list) and props:
        out = dict(base)
        for key, sub in props.items():
            if isinstance(sub, dict) and sub.get("type") == "array":
                items = sub.get("items", {})
                out[key] = [_overlay(items, instance_for(items, rng), v, rng) for v in value]
                if _valid(schema, out):
                    return out
        for key in ("count", "total"):
            if key in props and _valid(props[key], len(value)):
                out[key] = len(value)
        return out if _valid(schema, out) else base
    if isinstance(base, list) and isinstance(value, list):
        items = schema.get("items", {})
        fitted = [_overlay(items, instance_for(items, rng), v, rng) for v in value]
        return fitted if _valid(schema, fitted) else base
    return base


def _matches(record: dict[str, Any], arguments: dict[str, Any]) -> bool:
    for key, want in arguments.items():
        if key in _QUERY_ARGS and isinstance(want, str):
            text = " ".join(str(v) for v in record.values() if isinstance(v, str | int | float)).lower()
            if want.lower() not in text:
                return False
        elif key in record and isinstance(want, str | int | float | bool):
            have = record[key]
            if isinstance(want, str) and isinstance(have, str):
                if want.lower() not in have.lower():
                    return False
            elif have != want:
                return False
    return True


class SchemaSimulator:
    kind = "schema"

    async def execute(self, tool: ToolSpec, arguments: dict[str, Any], ctx: CallContext) -> ToolResult:
        return self.run(tool, arguments, ctx.state)

    def run(self, tool: ToolSpec, arguments: dict[str, Any], state: State) -> ToolResult:
        sem = semantics(tool)
        rng = random.Random(digest([tool.name, arguments, state.get("_seq", {})]))
        coll: dict[str, Any] = state.get(sem.collection, {})
        key = arguments.get(sem.id_param) if sem.id_param else None
        key = str(key) if key is not None else None
        out_schema = tool.output_schema

        if sem.effect == "create":
            if key is not None and key in coll:
                return ToolResult.error(f"{sem.kind} {key!r} already exists")
            new_id = key or next_id(state, sem.kind)
            record = {"id": new_id, **copy.deepcopy(arguments)}
            state.setdefault(sem.collection, {})[new_id] = record
            return ToolResult.data(fit_output(out_schema, record, rng))

        if sem.effect in ("read", "update", "delete") and key is not None:
            if key not in coll:
                return ToolResult.error(f"{sem.kind} {key!r} not found")
            if sem.effect == "update":
                coll[key].update({k: copy.deepcopy(v) for k, v in arguments.items() if k != sem.id_param})
            if sem.effect == "delete":
                record = coll.pop(key)
                return ToolResult.data(fit_output(out_schema, {"deleted": key, **record}, rng))
            return ToolResult.data(fit_output(out_schema, coll[key], rng))

        if sem.effect in ("list", "read") and coll:
            found = [r for r in coll.values() if _matches(r, arguments)]
            if sem.effect == "read" and found:
                return ToolResult.data(fit_output(out_schema, found[0], rng))
            if sem.effect == "list":
                return ToolResult.data(fit_output(out_schema, found, rng))

        if sem.effect == "list":
            return ToolResult.data(fit_output(out_schema, [], rng))
        if sem.effect in ("update", "delete"):
            return ToolResult.error(f"{tool.name} needs the id of the {sem.kind} to change")

        # A read with nothing stored, or an action: a value drawn from the schema for this call.
        if sem.effect == "action" and not tool.annotations.read_only:
            if key is not None and sem.id_param and sem.id_param != "id" and coll and key not in coll:
                return ToolResult.error(f"{sem.kind} {key!r} not found")
            state.setdefault("_log", []).append({"tool": tool.name, "arguments": copy.deepcopy(arguments)})
        if out_schema is None:
            return ToolResult.data({"status": "ok", **({"result": arguments} if arguments else {})})
        return ToolResult.data(instance_for(inline_refs(out_schema), rng, optional_p=0.3))
