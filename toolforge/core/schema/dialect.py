"""The JSON-Schema dialect of a schema: read from its `$schema`, 2020-12 when it has none.

The validator class is jsonschema's own choice (`validator_for`); a `$schema` that names no dialect
jsonschema knows is a problem to report at import, not a silent fall-back to 2020-12.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

DEFAULT_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SUPPORTED = ("draft-04", "draft-06", "draft-07", "2019-09", "2020-12")


class UnknownDialect(ValueError):
    """`$schema` names a dialect jsonschema does not implement."""


def _known(uri: str) -> type[Validator] | None:
    # `validator_for` warns and falls back for an unknown URI; ask it only about ones it has.
    marker = object()
    found = validator_for({"$schema": uri}, default=marker)  # pyright: ignore[reportArgumentType]  # jsonschema types `default` as a validator class; any object serves as the not-found marker
    return None if found is marker else found


def validator_class(schema: Any) -> type[Validator]:
    """The validator class of `schema`'s dialect; raises UnknownDialect naming the supported ones."""
    if not isinstance(schema, dict) or "$schema" not in schema:
        return Draft202012Validator
    uri = schema["$schema"]
    if not isinstance(uri, str):
        raise UnknownDialect(f"$schema must be a string URI, got {type(uri).__name__}")
    for candidate in (uri, _other_scheme(uri)):
        found = _known(candidate)
        if found is not None and "draft-03" not in candidate:
            return found
    raise UnknownDialect(
        f"$schema {uri[:120]!r} names no supported dialect ({', '.join(SUPPORTED)}); "
        f"use e.g. {DEFAULT_DIALECT!r} or drop $schema for 2020-12"
    )


def dialect_uri(cls: type[Validator]) -> str:
    return str(cls.META_SCHEMA.get("$schema", cls.META_SCHEMA.get("$id", DEFAULT_DIALECT)))


def _other_scheme(uri: str) -> str:
    """The same URI with http and https swapped: catalogs write both for the json-schema.org drafts."""
    if uri.startswith("https://"):
        return "http://" + uri[len("https://") :]
    if uri.startswith("http://"):
        return "https://" + uri[len("http://") :]
    return uri
