"""One prepared object per schema: its dialect, its validator and its resolved form.

Import checks a schema once (`schema_problems`); the executors, simulators, the tool graph and the
judges then use `prepare(schema)`, which gives them the same validator — the dialect named by
`$schema`, references looked up only inside the document — so a tool is judged by the rules it was
imported and executed under. Prepared schemas are kept in a bounded `functools` cache keyed by the
schema's JSON text. Yes/no questions (`is_valid`, and whether there are any errors at all) are
answered by fastjsonschema's compiled code where it means what jsonschema means (`fast`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator

from toolforge.core.schema import fast
from toolforge.core.schema.dialect import UnknownDialect, dialect_uri, validator_class
from toolforge.core.schema.limits import size_problem
from toolforge.core.schema.refs import reference_problems, registry_for
from toolforge.core.schema.resolve import ResolvedNode, as_nodes, resolved_form, with_dialect

PREPARED_MAX = 4096


class SchemaRejected(ValueError):
    """A schema that cannot be used; `problems` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, eq=False)
class PreparedSchema:
    schema: dict[str, Any] | bool
    dialect: str
    validator: Validator
    # References inlined (recursion cut), for generators and walkers; `schema` when it has none.
    resolved: Any
    # fastjsonschema's check, compiled on first use: None until then, False where only jsonschema
    # means what the schema says.
    compiled: fast.Check | Literal[False] | None = field(default=None, init=False, repr=False)

    def is_valid(self, value: Any) -> bool:
        check = self.fast_check()
        return check(value) if check is not None else bool(self.validator.is_valid(value))

    def fast_check(self) -> fast.Check | None:
        """The compiled check equal to the validator's `is_valid` (None when the fast check is off
        or the schema uses something it does not mean the same way)."""
        if not fast.fast_on():
            return None
        check = self.compiled
        if check is None:
            check = fast.compiled(self.schema, self.dialect) or False
            object.__setattr__(self, "compiled", check)  # frozen: set once, like a cached property
        return check or None

    def errors(self, value: Any) -> list[str]:
        """Every violation as `path: message`, sorted (empty when `value` is valid)."""
        check = self.fast_check()
        if check is not None and check(value):
            return []  # the common case; jsonschema writes the messages of the rest
        return sorted(f"{_path(e.absolute_path)}: {e.message}" for e in self.validator.iter_errors(value))

    def first_error(self, value: Any) -> tuple[str, str] | None:
        """(path, message) of the violation first by path, or None when `value` is valid."""
        check = self.fast_check()
        if check is not None and check(value):
            return None
        found = sorted(self.validator.iter_errors(value), key=lambda e: [str(p) for p in e.path])
        return (_path(found[0].path), found[0].message) if found else None

    def sub(self, schema: Any) -> PreparedSchema:
        """A subschema of this one (from its resolved form), prepared under the same dialect."""
        return prepare(schema, dialect=self.dialect)


def schema_problems(schema: Any, *, dialect: str | None = None) -> list[str]:
    """Why `schema` cannot be used (empty when it can): not an object, too deep or too large,
    an unknown `$schema`, invalid in its dialect, or a remote, dangling or cyclic reference."""
    if not isinstance(schema, dict | bool):
        return [f"schema must be a JSON object, got {type(schema).__name__}"]
    if problem := size_problem(schema):
        return [problem]
    try:
        cls = validator_class(
            {"$schema": dialect}
            if dialect and isinstance(schema, dict) and "$schema" not in schema
            else schema
        )
    except UnknownDialect as exc:
        return [str(exc)]
    try:
        # the stubs type a schema as a dict; a boolean is a schema too (draft 6 on)
        cls.check_schema(schema)  # pyright: ignore[reportArgumentType]
    except SchemaError as exc:
        return [f"at {_path(exc.absolute_path)}: {exc.message}"]
    return reference_problems(schema, cls)


def prepare(schema: Any, *, dialect: str | None = None) -> PreparedSchema:
    """The prepared form of `schema` (`dialect` applies when it has no `$schema` of its own);
    raises SchemaRejected naming the problems."""
    if isinstance(schema, ResolvedNode) and dialect in (None, schema.dialect):
        if schema.prepared is None:
            schema.prepared = _prepare_part(schema)
        found = schema.prepared
    else:
        found = _prepare_uncached(schema, dialect)
    if isinstance(found, tuple):
        raise SchemaRejected(list(found))
    return found


def _prepare_part(node: ResolvedNode) -> PreparedSchema:
    """A part of a prepared schema's resolved form: checked with the whole and free of references,
    so it needs neither the dialect's meta-schema check nor a registry."""
    cls = validator_class({"$schema": node.dialect})
    return PreparedSchema(schema=node, dialect=node.dialect, validator=cls(node), resolved=node)


def _prepare_uncached(schema: Any, dialect: str | None) -> PreparedSchema | tuple[str, ...]:
    # The key keeps the schema's key order: generators walk properties in it, so a sorted copy
    # would draw different values than the schema as written.
    return _prepare_text(json.dumps(schema, ensure_ascii=False, separators=(",", ":"), default=str), dialect)


@functools.lru_cache(maxsize=PREPARED_MAX)
def _prepare_text(text: str, dialect: str | None) -> PreparedSchema | tuple[str, ...]:
    schema = json.loads(text)
    problems = schema_problems(schema, dialect=dialect)
    if problems:
        return tuple(problems)
    named = (
        schema
        if isinstance(schema, dict) and "$schema" in schema
        else {"$schema": dialect}
        if dialect
        else {}
    )
    cls = validator_class(named)
    registry, _ = registry_for(schema, cls)
    uri = dialect_uri(cls)
    flat = resolved_form(schema, cls)
    return PreparedSchema(
        schema=schema,
        dialect=uri,
        validator=cls(schema, registry=registry),
        resolved=as_nodes(flat if cls is Draft202012Validator else with_dialect(flat, uri), uri),
    )


def resolved(schema: Any) -> Any:
    """`schema` with its references inlined, for generators and walkers; a schema that cannot be
    prepared (only those that skipped import get here) is resolved as far as it can be."""
    if isinstance(schema, ResolvedNode):
        return schema
    try:
        return prepare(schema).resolved
    except SchemaRejected:
        return resolved_form(schema, Draft202012Validator) if size_problem(schema) is None else {}


def _path(parts: Any) -> str:
    return "/".join(str(p) for p in parts) or "(root)"
