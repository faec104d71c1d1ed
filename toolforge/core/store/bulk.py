"""Bulk upserts handed straight to the database driver: the hot path for accounting and cache rows.

SQLAlchemy's executemany processes every row in Python (parameter dicts, type processors, its
batching of multi-row VALUES), on the thread that also has to serve the event loop's GIL
(`bench/store_writes.py` compares the paths; docs/llm.md has the figures). Here the upsert is compiled once per table and dialect, each row becomes a tuple (SQLite)
or dict (psycopg) with only the columns that need a type processor (JSON, booleans, datetimes)
converted, and the driver's own executemany does the rest.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

from toolforge.core.store.tables import primary_key, sql_table


@dataclass(frozen=True)
class CompiledUpsert:
    table: str
    sql: str
    pk: str
    # (column, its bind processor or None) in parameter order (positional drivers) or by name
    columns: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    positional: bool
    # derived from `columns` in __post_init__
    _getter: Callable[[dict[str, Any]], tuple[Any, ...]] = field(init=False, repr=False, compare=False)
    _converted: tuple[tuple[int, Callable[[Any], Any]], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # positional rows are read in C by one itemgetter, then only the columns with a bind
        # processor are converted (a per-column Python loop was half a row's cost)
        names = [c for c, _ in self.columns]
        # itemgetter of one name gives the value itself, of several a tuple: always a tuple here
        getter = operator.itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
        object.__setattr__(self, "_getter", getter)
        converted = tuple((i, p) for i, (_, p) in enumerate(self.columns) if p is not None)
        object.__setattr__(self, "_converted", converted)

    def params(self, row: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        try:
            if self.positional:
                values = list(self._getter(row))
                for i, process in self._converted:
                    values[i] = process(values[i])
                return tuple(values)  # SQLAlchemy's exec_driver_sql takes tuples only
            return {c: row[c] if p is None else p(row[c]) for c, p in self.columns}
        except KeyError as exc:  # a silent NULL would lose data: every column must be given
            raise ValueError(f"a row for {self.table} has no value for column {exc.args[0]!r}") from None

    def execute(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        conn.exec_driver_sql(self.sql, self.all_params(rows))

    def execute_dbapi(self, cursor: Any, rows: Sequence[dict[str, Any]]) -> None:
        """On a bare DB-API cursor (inside the caller's transaction)."""
        cursor.executemany(self.sql, self.all_params(rows))

    def all_params(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...] | dict[str, Any]]:
        latest = {row[self.pk]: row for row in rows}  # last write of an id wins
        return [self.params(row) for row in latest.values()]


def _processor(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column type's own bind processor, or for sqlmodel's UTC datetimes on SQLite a 10× faster
    one (`isoformat` in C instead of SQLAlchemy's %-formatting) — used only if it writes the very
    text SQLAlchemy's would."""
    general = column_type.dialect_impl(dialect).bind_processor(dialect)
    if dialect.name != "sqlite" or not isinstance(column_type, UTCDateTime) or general is None:
        return general
    samples = [datetime(2026, 11, 29, 6, 30, 1, 123456, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)]
    samples.append(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))  # whole seconds: still ".000000"
    samples.append(datetime(999, 12, 31, 23, 59, 59, 1, tzinfo=timezone(timedelta(hours=-5))))
    if all(_sqlite_utc_text(d) == general(d) for d in samples) and general(None) is None:
        return _sqlite_utc_text
    return general


def _sqlite_utc_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is UTC:  # what utcnow() makes: its text less the "+00:00", no conversions
        return value.isoformat(" ", "microseconds")[:-6]
    if value.utcoffset() is None:  # sqlmodel's own rule for its datetime columns
        raise ValueError("Datetime values must have timezone information; use datetime.now(UTC)")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def compile_upsert(table: type[SQLModel], dialect: Dialect) -> CompiledUpsert:
    """`INSERT ... ON CONFLICT (pk) DO UPDATE SET every other column` for one table and dialect."""
    sa_table = sql_table(table)
    pk = primary_key(table)
    insert = (sqlite if dialect.name == "sqlite" else postgresql).insert(sa_table)
    stmt = insert.on_conflict_do_update(
        index_elements=[pk], set_={c.name: insert.excluded[c.name] for c in sa_table.columns if c.name != pk}
    )
    compiled = stmt.compile(dialect=dialect)
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup or ()) if positional else tuple(c.name for c in sa_table.columns)
    processors = {c.name: _processor(c.type, dialect) for c in sa_table.columns}
    columns = tuple((name, processors[name]) for name in names)
    return CompiledUpsert(sa_table.name, str(compiled), pk, columns, positional)
