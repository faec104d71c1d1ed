"""The fast check (fastjsonschema, `toolforge.core.schema.fast`) says "valid" exactly when
jsonschema does, for every schema it compiles: property tests over the example MCP servers' tools,
the synthesizer's tools and seeded random schemas in all five dialects, each with valid instances,
mutated ones and random JSON values."""

from __future__ import annotations

import asyncio
import copy
import random
from collections.abc import Iterator
from typing import Any

import pytest

from toolforge.core.jsonschema_tools import instance_for
from toolforge.core.schema import PreparedSchema, prepare, schema_problems
from toolforge.core.schema.fast import compiled, python_dollar, use_fast
from toolforge.core.schema.resolve import ResolvedNode
from toolforge.tools.synthesis import Domain, ToolIdea, tool_from_idea
from toolforge_testing.example_tools import example_server_tools
from toolforge_testing.synthesis_fake import tools as designed

DIALECTS = {
    "draft-04": "http://json-schema.org/draft-04/schema#",
    "draft-06": "http://json-schema.org/draft-06/schema#",
    "draft-07": "http://json-schema.org/draft-07/schema#",
    "2019-09": "https://json-schema.org/draft/2019-09/schema",
    "2020-12": "https://json-schema.org/draft/2020-12/schema",
}
# Values chosen to meet the known differences: bool vs int, 1 vs 1.0, floats and multipleOf,
# trailing newlines and `$`, nested bools inside enums and uniqueItems.
SCALARS: list[Any] = [None, True, False, 0, 1, -1, 2, 3, 1.0, 0.3, 0.1, 2.5, 19.99, 10**20, "", "a", "a\n",
                      "abc", "ABC", "123", "x1", "é", "a$", "$", "2024-01-31", "not an email"]  # fmt: skip
PATTERNS = ["^[a-z]+$", "^\\d{3}$", "a$", "[$]", "^x", "\\w+", "^(a|b)+$", "^[^]$]*$", "c\\$", "^.*$"]
FORMATS = ["email", "date", "date-time", "uri", "uuid", "ipv4", "hostname"]
NAMES = ["id", "name", "count", "tags", "a", "b", "x1"]


def tool_schemas() -> list[tuple[str, Any]]:
    """(label, schema) of the example servers' tools and the synthesizer's, input and output."""

    tools = asyncio.run(example_server_tools("catalog"))
    for domain, entities in (("regional retail", ["order", "invoice"]), ("clinic", ["patient", "visit"])):
        text = (
            f"Domain: {domain} — A {domain} service.\nEntities: {', '.join(entities)}.\nDesign 12 new tools"
        )
        where = Domain(category="test", name=domain, description=f"A {domain} service.", entities=entities)
        tools += [tool_from_idea(ToolIdea.model_validate(t), where, {}) for t in designed(text)["tools"]]
    return [(f"{t.origin}/{t.name}/{side}", s)
            for t in tools for side, s in (("in", t.input_schema), ("out", t.output_schema)) if s is not None]  # fmt: skip


# ---- random schemas ------------------------------------------------------------------------------


def random_schema(rng: random.Random, dialect: str) -> dict[str, Any]:
    old = dialect.startswith("draft")
    defs_key = "definitions" if old else "$defs"
    root: dict[str, Any] = {"$schema": DIALECTS[dialect]}
    if rng.random() < 0.3:
        root[defs_key] = {"d": _node(rng, 2, dialect, refs=False)}
    top = _node(rng, 0, dialect, refs=defs_key in root)
    root.update(top if isinstance(top, dict) else {"allOf": [top]})
    return root


def _node(rng: random.Random, depth: int, dialect: str, refs: bool) -> Any:
    old = dialect.startswith("draft")
    if dialect != "draft-04" and rng.random() < 0.05:
        return rng.random() < 0.7  # a boolean schema
    if refs and rng.random() < 0.15:
        ref: dict[str, Any] = {"$ref": f"#/{'definitions' if old else '$defs'}/d"}
        extra = rng.choice([{}, {"description": "see d"}, {"type": "string"}, {"minLength": 2}])
        return {**ref, **extra}  # a validating sibling: ignored up to draft-07, applied after
    sub = lambda: _node(rng, depth + 1, dialect, refs)  # noqa: E731
    kind = rng.choice(["object", "array", "string", "number", "integer", "boolean", "null", "enum",
                       "const", "combo", "multi", "none"] if depth < 3 else ["string", "integer", "enum", "none"])  # fmt: skip
    out: dict[str, Any] = {}
    if kind in ("object", "array", "string", "number", "integer", "boolean", "null"):
        out["type"] = kind
    if kind == "multi":
        out["type"] = rng.sample(["string", "integer", "number", "null", "boolean", "array", "object"], 2)
    if kind == "object":
        names = rng.sample(NAMES, rng.randint(0, 4))
        out["properties"] = {n: sub() for n in names}
        out["required"] = sorted(set(rng.sample(NAMES, rng.randint(0, 2))) | set(names[:1]))
        if not out["required"] and dialect == "draft-04":
            del out["required"]  # draft-04 wants at least one
        _maybe(rng, out, "additionalProperties", lambda: rng.choice([False, True, {"type": "integer"}]))
        _maybe(rng, out, "patternProperties", lambda: {"^x": sub()})
        _maybe(rng, out, "minProperties", lambda: rng.randint(0, 2))
        _maybe(rng, out, "maxProperties", lambda: rng.randint(1, 3))
        if dialect != "draft-04":
            _maybe(rng, out, "propertyNames", lambda: {"pattern": rng.choice(PATTERNS)})
        if old:
            _maybe(rng, out, "dependencies", lambda: {"a": ["b"], "b": {"required": ["id"]}})
        else:
            _maybe(rng, out, "dependentRequired", lambda: {"a": ["b"]}, 0.1)
            _maybe(rng, out, "unevaluatedProperties", lambda: False, 0.1)
    elif kind == "array":
        if old and rng.random() < 0.3:
            out["items"] = [sub(), sub()]
            _maybe(rng, out, "additionalItems", lambda: rng.choice([False, {"type": "string"}]))
        elif not old and rng.random() < 0.15:
            out["prefixItems"] = [sub()]
        else:
            _maybe(rng, out, "items", sub, 0.8)
        _maybe(rng, out, "minItems", lambda: rng.randint(0, 2))
        _maybe(rng, out, "maxItems", lambda: rng.randint(1, 4))
        _maybe(rng, out, "uniqueItems", lambda: rng.random() < 0.8)
        if dialect != "draft-04":
            _maybe(rng, out, "contains", lambda: {"type": "integer"})
        if not old:
            _maybe(rng, out, "minContains", lambda: 2, 0.1)
    elif kind == "string":
        _maybe(rng, out, "minLength", lambda: rng.randint(0, 3))
        _maybe(rng, out, "maxLength", lambda: rng.randint(1, 5))
        _maybe(rng, out, "pattern", lambda: rng.choice(PATTERNS), 0.5)
        _maybe(rng, out, "format", lambda: rng.choice(FORMATS))
    elif kind in ("number", "integer"):
        _maybe(rng, out, "minimum", lambda: rng.choice([0, 1, 0.5, -1]))
        _maybe(rng, out, "maximum", lambda: rng.choice([3, 2.5, 10**20]))
        if dialect == "draft-04":
            if "minimum" in out:
                _maybe(rng, out, "exclusiveMinimum", lambda: rng.random() < 0.5)
        else:
            _maybe(rng, out, "exclusiveMinimum", lambda: rng.choice([0, 1, 0.5]))
            _maybe(rng, out, "exclusiveMaximum", lambda: rng.choice([3, 2.5]))
        _maybe(rng, out, "multipleOf", lambda: rng.choice([2, 0.1, 0.01, 0.5]), 0.15)
    elif kind == "enum":
        out["enum"] = rng.sample(SCALARS + [[1], [True], {"a": 1}, {"a": True}], rng.randint(1, 4))
    elif kind == "const":
        out["const"] = rng.choice(SCALARS + [[1, "a"], {"a": 1}, {"a": [True]}])
    elif kind == "combo":
        key = rng.choice(["anyOf", "oneOf", "allOf", "not", "if"])
        if key == "not":
            out["not"] = sub()
        elif key == "if":
            out.update({"if": sub(), "then": sub(), "else": sub()})
        else:
            out[key] = [sub() for _ in range(rng.randint(1, 3))]
    _maybe(rng, out, "title", lambda: "T", 0.2)
    _maybe(rng, out, "default", lambda: rng.choice(SCALARS), 0.1)
    return out


def _maybe(rng: random.Random, out: dict[str, Any], key: str, make: Any, p: float = 0.3) -> None:
    if rng.random() < p:
        out[key] = make()


# ---- instances -----------------------------------------------------------------------------------


def random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth >= 3 or roll < 0.55:
        return rng.choice(SCALARS)
    if roll < 0.75:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {k: random_value(rng, depth + 1) for k in rng.sample(NAMES, rng.randint(0, 4))}


def mutated(rng: random.Random, value: Any) -> Any:
    """`value` with one place changed: replaced, a key dropped or added, an item duplicated."""
    out = copy.deepcopy(value)
    holder, key = None, None
    node = out
    while isinstance(node, dict | list) and node and rng.random() < 0.7:
        holder, key = node, (rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node)))
        node = node[key]
    change = rng.random()
    if isinstance(node, dict) and change < 0.3:
        node[rng.choice(NAMES)] = random_value(rng, 2)
    elif isinstance(node, dict) and node and change < 0.6:
        node.pop(rng.choice(list(node)))
    elif isinstance(node, list) and node and change < 0.5:
        node.append(copy.deepcopy(node[0]))
    elif isinstance(node, str) and change < 0.5:
        replacement = node + "\n"
        if holder is None:
            return replacement
        holder[key] = replacement  # type: ignore[index]
    elif holder is None:
        return random_value(rng)
    else:
        holder[key] = random_value(rng, 2)  # type: ignore[index]
    return out


def instances(rng: random.Random, prepared: PreparedSchema, n: int) -> Iterator[Any]:
    for i in range(n):
        if i % 3 == 2:
            yield random_value(rng)
            continue
        try:
            value = instance_for(prepared.resolved, rng, optional_p=rng.choice([0.0, 0.5, 1.0]))
        except Exception:  # a random schema the generator does not cover (`not`, `if`, ...)
            value = random_value(rng)
        yield value if i % 3 == 0 else mutated(rng, value)


def parts(node: Any) -> Iterator[ResolvedNode]:
    """Every subschema of a resolved form (what `fit` prepares and checks on its own)."""
    if isinstance(node, ResolvedNode):
        yield node
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ("enum", "const", "default", "examples", "$defs", "definitions"):
                yield from parts(value)
    elif isinstance(node, list):
        for value in node:
            yield from parts(value)


def disagreements(
    prepared: PreparedSchema, values: Iterator[Any], label: str
) -> tuple[list[str], list[bool]]:
    check = prepared.fast_check()
    assert check is not None
    found, answers = [], []
    for value in values:
        expected = bool(prepared.validator.is_valid(value))
        answers.append(expected)
        if check(value) != expected:
            found.append(f"{label}: {prepared.schema!r} on {value!r}: jsonschema says {expected}")
    return found, answers


# ---- the tests -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tools_schemas() -> list[tuple[str, Any]]:
    return tool_schemas()


def test_every_tool_schema_and_part_compiles_and_agrees_with_jsonschema(tools_schemas):
    rng = random.Random(17)
    found, answers, checked = [], [], 0
    for label, schema in tools_schemas:
        whole = prepare(schema)
        for prepared in [whole, *(prepare(p) for p in parts(whole.resolved))]:
            assert prepared.fast_check() is not None, f"{label}: {prepared.schema} is left to jsonschema"
            bad, said = disagreements(prepared, instances(rng, prepared, 24), label)
            found += bad
            answers += said
            checked += 1
    assert not found, "\n".join(found[:20])
    assert checked > 300
    assert answers.count(True) > 1000 and answers.count(False) > 1000  # both answers are exercised


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_random_schemas_agree_with_jsonschema_wherever_compiled(dialect):
    rng = random.Random(f"fast-{dialect}")
    found, answers, fast, total = [], [], 0, 0
    while total < 150:
        schema = random_schema(rng, dialect)
        if schema_problems(schema):
            continue
        total += 1
        prepared = prepare(schema)
        for part in [prepared, *(prepare(p) for p in list(parts(prepared.resolved))[1:4])]:
            if part.fast_check() is None:
                continue
            fast += 1
            bad, said = disagreements(part, instances(rng, part, 20), dialect)
            found += bad
            answers += said
    assert not found, "\n".join(found[:20])
    assert fast > 150  # most random schemas (and their parts) take the fast path
    assert answers.count(True) > 200 and answers.count(False) > 200


def test_what_fastjsonschema_reads_otherwise_is_left_to_jsonschema():
    new, old = DIALECTS["2020-12"], DIALECTS["draft-07"]
    assert compiled({"type": "number", "multipleOf": 0.1}, new) is None  # float rounding differs
    assert compiled({"$defs": {"d": {}}, "$ref": "#/$defs/d", "type": "string"}, new) is None
    assert compiled({"definitions": {"d": {}}, "$ref": "#/definitions/d", "type": "string"}, old) is not None
    assert compiled({"prefixItems": [{"type": "string"}]}, new) is None
    assert compiled({"items": [{"type": "string"}]}, old) is not None
    assert compiled({"$ref": "other.json#/x"}, new) is None
    assert compiled({"$id": "https://x.invalid/s", "type": "string"}, new) is None
    assert compiled({"pattern": "(?m)^a$"}, new) is None


def test_a_pattern_dollar_means_what_it_means_to_python():
    # fastjsonschema would read `$` as the end of the string and refuse "a\n"; re.search takes it.
    schema = prepare({"type": "string", "pattern": "^a$"})
    assert schema.fast_check() is not None
    assert schema.is_valid("a\n") and schema.is_valid("a") and not schema.is_valid("a\nb")
    assert python_dollar("^[$]x$") == "^[\\$]x(?=\\n?\\Z)"
    assert python_dollar("[]$]\\$") == "[]\\$]\\$"


def test_defaults_are_not_filled_in_and_the_switch_turns_the_fast_check_off():
    schema = prepare({"type": "object", "properties": {"a": {"type": "integer", "default": 3}}})
    value: dict[str, Any] = {}
    assert schema.is_valid(value) and value == {}
    use_fast(False)
    try:
        assert schema.fast_check() is None
        assert schema.errors({"a": "x"}) == ["a: 'x' is not of type 'integer'"]
    finally:
        use_fast(True)
    assert schema.fast_check() is not None
    assert schema.errors({"a": "x"}) == ["a: 'x' is not of type 'integer'"]  # messages stay jsonschema's
    assert schema.first_error({"a": 1}) is None
