"""Bulk upserts handed straight to the database driver: the hot path for accounting and cache rows.

SQLAlchemy's executemany processes every row in Python (parameter dicts, type processors, its
batching of multi-row VALUES) — 20 to 40 µs a row, on the thread that also has to serve the event
loop's GIL. Here the upsert is compiled once per table and dialect, each row becomes a tuple (SQLite)
or dict (psycopg) with only the columns that need a type processor (JSON, booleans, datetimes)
converted, and the driver's own executemany does the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlmodel import SQLModel


@dataclass(frozen=True)
class CompiledUpsert:
    table: str
    sql: str
    pk: str
    # (column, its bind processor or None) in parameter order (positional drivers) or by name
    columns: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    positional: bool

    def params(self, row: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        try:
            if self.positional:
                return tuple([row[c] if p is None else p(row[c]) for c, p in self.columns])
            return {c: row[c] if p is None else p(row[c]) for c, p in self.columns}
        except KeyError as exc:  # a silent NULL would lose data: every column must be given
            raise ValueError(f"a row for {self.table} has no value for column {exc.args[0]!r}") from None

    def execute(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        conn.exec_driver_sql(self.sql, self.all_params(rows))  # type: ignore[arg-type]

    def execute_dbapi(self, cursor: Any, rows: Sequence[dict[str, Any]]) -> None:
        """On a bare DB-API cursor (inside the caller's transaction)."""
        cursor.executemany(self.sql, self.all_params(rows))

    def all_params(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...] | dict[str, Any]]:
        latest = {row[self.pk]: row for row in rows}  # last write of an id wins
        return [self.params(row) for row in latest.values()]


def compile_upsert(table: type[SQLModel], dialect: Dialect) -> CompiledUpsert:
    """`INSERT ... ON CONFLICT (pk) DO UPDATE SET every other column` for one table and dialect."""
    sa_table = table.__table__  # type: ignore[attr-defined]
    pk = sa_table.primary_key.columns.keys()[0]
    insert = (sqlite if dialect.name == "sqlite" else postgresql).insert(sa_table)
    stmt = insert.on_conflict_do_update(
        index_elements=[pk], set_={c.name: insert.excluded[c.name] for c in sa_table.columns if c.name != pk}
    )
    compiled = stmt.compile(dialect=dialect)
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup or ()) if positional else tuple(c.name for c in sa_table.columns)
    processors = {c.name: c.type.dialect_impl(dialect).bind_processor(dialect) for c in sa_table.columns}
    columns = tuple((name, processors[name]) for name in names)
    return CompiledUpsert(sa_table.name, str(compiled), pk, columns, positional)
