"""The store: sqlmodel over SQLite (default, WAL) or PostgreSQL (a `postgresql://` URL).

Writes are idempotent upserts by id, so a stage re-run after a crash finds what exists and
duplicates nothing. Secrets never reach it: LLM configs hold the *name* of a key's environment
variable, the cache keeps responses, not requests, and every write masks the values of the keys
the process has read (`core.secrets`), whatever a provider echoed back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import event, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.schema import CreateIndex
from sqlmodel import Session, SQLModel, col, create_engine, select

from toolforge.core import secrets
from toolforge.core.errors import StoreError
from toolforge.core.ids import content_id
from toolforge.core.store.bulk import CompiledUpsert, compile_upsert
from toolforge.core.store.convert import TABLE_OF, from_row, to_row
from toolforge.core.store.inline import InlineSQLite
from toolforge.core.store.location import DB_ENV, resolve_store_url
from toolforge.core.store.tables import (
    ADDED_INDEXES,
    FailureRow,
    LLMCacheRow,
    LLMCallRow,
    RunRow,
    ToolRow,
    TrajectoryRow,
    primary_key,
    sql_table,
    utcnow,
)
from toolforge.core.types import Record

R = TypeVar("R", bound=Record)

DEFAULT_URL_ENV = DB_ENV


def default_url() -> str:
    """The store when nothing names one but the environment (see `location.py` for the order)."""
    return resolve_store_url()


def normalise_url(url: str) -> str:
    """Accept what users write (`postgresql://…`, a bare path) and name the driver we ship."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def json_text(value: Any) -> str:
    """JSON columns as text: orjson (a fifth of `json.dumps`'s time: every cache row and record
    goes through here), `json.dumps` for what orjson does not write (ints over 64 bits, ...)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Store:
    def __init__(self, url: str | None = None) -> None:
        self.url = normalise_url(url or default_url())
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite and "///" in self.url and ":memory:" not in self.url:  # not in memory
            Path(self.url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": 30} if self.is_sqlite else {}
        self.engine: Engine = create_engine(
            self.url, connect_args=connect_args, pool_pre_ping=True, json_serializer=json_text
        )
        self._upserts: dict[type[SQLModel], CompiledUpsert] = {}
        # SQLite: lookups and batches an event loop may run itself (see inline.py)
        self.inline = InlineSQLite(self.engine, self._upsert_for) if self.is_sqlite else None
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            SQLModel.metadata.create_all(self.engine)
            self._add_indexes()
        except OperationalError as exc:
            raise StoreError(
                f"cannot open the store at {self.display_url}: {exc.orig}. "
                "Check the path or URL (set TOOLFORGE_DB or pass --db) and that the server is running."
            ) from exc

    def _add_indexes(self) -> None:
        """The indexes added to tables since a store could have been made without them. Each is
        looked up in the catalog first (no lock on its table), then made if missing; IF NOT EXISTS
        lets two processes opening the same store both get here."""
        with self.engine.begin() as conn:
            for index in ADDED_INDEXES:
                table = index.table
                assert table is not None  # an Index in a table's __table_args__ is bound to it
                if not self.engine.dialect.has_index(conn, table.name, str(index.name)):
                    conn.execute(CreateIndex(index, if_not_exists=True))

    @property
    def display_url(self) -> str:
        """The URL with any password masked, for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        if self.inline is not None:
            self.inline.close()
        self.engine.dispose()

    # ---- writes -------------------------------------------------------------------------------

    def upsert_rows(self, rows: Sequence[SQLModel]) -> None:
        """Insert or replace rows by primary key, all in one transaction."""
        by_table: dict[type[SQLModel], dict[Any, dict[str, Any]]] = {}
        for row in rows:
            table = type(row)
            key = getattr(row, primary_key(table))
            by_table.setdefault(table, {})[key] = secrets.scrub_value(row.model_dump())  # last write wins
        dialect = postgresql if not self.is_sqlite else sqlite
        with self.engine.begin() as conn:
            for table, values_by_key in by_table.items():
                values = list(values_by_key.values())
                sa_table = sql_table(table)
                pk = primary_key(table)
                for chunk in _chunks(values, 200):
                    stmt = dialect.insert(sa_table).values(chunk)
                    update = {c.name: stmt.excluded[c.name] for c in sa_table.columns if c.name != pk}
                    conn.execute(stmt.on_conflict_do_update(index_elements=[pk], set_=update))

    def upsert_values(self, table: type[SQLModel], values: Sequence[dict[str, Any]]) -> None:
        """Insert or replace plain column dicts of one table, in one transaction: the fast path for
        high-volume rows (LLM call accounting, the response cache), compiled once per table and
        executed by the driver (`bulk.py`). Every column must be given (None for NULL)."""
        self.upsert_tables({table: values})

    def upsert_tables(self, values_by_table: Mapping[type[SQLModel], Sequence[dict[str, Any]]]) -> None:
        """`upsert_values` for several tables, in one transaction."""
        with self.engine.begin() as conn:
            for table, values in values_by_table.items():
                if not values:
                    continue
                self._upsert_for(table).execute(conn, scrub_rows(values))

    def put(self, records: Iterable[Record], **columns: Any) -> None:
        self.upsert_rows([to_row(r, **columns) for r in records])

    def record_failure(
        self, stage: str, item_id: str, reason: str, raw: str | None = None, run_id: str = ""
    ) -> str:
        row = failure_row(stage, item_id, reason, raw, run_id)
        self.upsert_rows([row])
        return row.id

    # ---- reads --------------------------------------------------------------------------------

    def get(self, kind: type[R], item_id: str) -> R | None:
        with Session(self.engine) as session:
            row = session.get(TABLE_OF[kind], item_id)
            return from_row(kind, row) if row is not None else None

    def list(self, kind: type[R], limit: int | None = None, **where: Any) -> list[R]:
        table = TABLE_OF[kind]
        stmt = select(table).where(*[getattr(table, k) == v for k, v in where.items()]).order_by(table.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        with Session(self.engine) as session:
            return [from_row(kind, row) for row in session.exec(stmt)]

    def ids(self, kind: type[R], **where: Any) -> set[str]:
        table = TABLE_OF[kind]
        stmt = select(table.id).where(*[getattr(table, k) == v for k, v in where.items()])
        with Session(self.engine) as session:
            return set(session.exec(stmt))

    def get_many(self, kind: type[R], item_ids: Iterable[str]) -> dict[str, R]:
        """The stored records among `item_ids`, by id (missing ones are left out)."""
        return self._by_id_where_in(kind, "id", item_ids, {})

    def list_in(self, kind: type[R], column: str, values: Iterable[Any], **where: Any) -> list[R]:
        """The records whose `column` is one of `values` (and that match `where`), by id: a
        query per 500 values, so a caller holding a few ids never reads the whole table."""
        found = self._by_id_where_in(kind, column, values, where)
        return [found[i] for i in sorted(found)]

    def _by_id_where_in(
        self, kind: type[R], column: str, values: Iterable[Any], where: dict[str, Any]
    ) -> dict[str, R]:
        table = TABLE_OF[kind]
        found: dict[str, R] = {}
        with Session(self.engine) as session:
            for chunk in _chunks(sorted(set(values)), 500):
                stmt = select(table).where(
                    col(getattr(table, column)).in_(chunk),
                    *[getattr(table, k) == v for k, v in where.items()],
                )
                for row in session.exec(stmt):
                    found[row.id] = from_row(kind, row)
        return found

    def ids_in(self, kind: type[R], column: str, values: Iterable[Any]) -> set[str]:
        """The ids of the records whose `column` is one of `values` (a query per 500 values)."""
        table = TABLE_OF[kind]
        found: set[str] = set()
        with Session(self.engine) as session:
            for chunk in _chunks(sorted(set(values)), 500):
                found.update(session.exec(select(table.id).where(col(getattr(table, column)).in_(chunk))))
        return found

    def stored_attempts(
        self, run_key: str, task_ids: Iterable[str] | None = None
    ) -> dict[tuple[str, int], str]:
        """(task id, attempt) -> trajectory id of every trajectory stored under `run_key` (of
        `task_ids` only, when given: a cluster node's unit reads its own tasks, not the run's):
        what a resumed run has played, read from the store's columns (no id is recomputed)."""
        stmt = select(TrajectoryRow.task_id, TrajectoryRow.attempt, TrajectoryRow.id).where(
            col(TrajectoryRow.run_key) == run_key
        )
        with Session(self.engine) as session:
            if task_ids is None:
                return {(task_id, attempt): traj_id for task_id, attempt, traj_id in session.exec(stmt)}
            found: dict[tuple[str, int], str] = {}
            for chunk in _chunks(sorted(set(task_ids)), 500):
                for task_id, attempt, traj_id in session.exec(
                    stmt.where(col(TrajectoryRow.task_id).in_(chunk))
                ):
                    found[(task_id, attempt)] = traj_id
            return found

    def ids_starting(self, kind: type[R], prefix: str, limit: int = 20) -> list[str]:
        """Up to `limit` ids of `kind` that start with `prefix`, in order (for id prefixes typed by hand)."""
        table = TABLE_OF[kind]
        # `_` and `%` are LIKE wildcards; ids use `_`, so they are escaped to match themselves.
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = (
            select(table.id).where(col(table.id).like(pattern, escape="\\")).order_by(table.id).limit(limit)
        )
        with Session(self.engine) as session:
            return list(session.exec(stmt))

    def rows(self, table: type[SQLModel], **where: Any) -> list[Any]:
        stmt = select(table).where(*[getattr(table, k) == v for k, v in where.items()])
        with Session(self.engine) as session:
            return list(session.exec(stmt))

    def count(self, table: type[SQLModel], **where: Any) -> int:
        stmt = (
            select(func.count()).select_from(table).where(*[getattr(table, k) == v for k, v in where.items()])
        )
        with Session(self.engine) as session:
            return int(session.exec(stmt).one())

    def table_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                name: int(conn.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one())
                for name in SQLModel.metadata.tables
            }

    # ---- tools --------------------------------------------------------------------------------

    def tool_rows(self, **where: Any) -> list[ToolRow]:
        return self.rows(ToolRow, **where)

    # ---- runs ---------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunRow | None:
        with Session(self.engine) as session:
            return session.get(RunRow, run_id)

    def save_run(self, run: RunRow) -> None:
        run.updated_at = utcnow()
        self.upsert_rows([run])

    # ---- LLM cache and accounting -------------------------------------------------------------

    def cache_get(self, key: str) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            row = session.get(LLMCacheRow, key)
            return row.response if row is not None else None

    def _upsert_for(self, table: type[SQLModel]) -> CompiledUpsert:
        upsert = self._upserts.get(table)
        if upsert is None:
            upsert = self._upserts[table] = compile_upsert(table, self.engine.dialect)
        return upsert

    def cache_get_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The cached responses among `keys` (one query per 500 keys; absent keys are left out)."""
        found: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(keys), 500):
                stmt = select(LLMCacheRow.key, LLMCacheRow.response).where(col(LLMCacheRow.key).in_(chunk))
                for key, response in conn.execute(stmt):
                    found[key] = dict(response)  # the JSON column gives a dict; typed as a Mapping
        return found

    def llm_totals(self, run_id: str) -> dict[str, float]:
        stmt = select(
            func.count(),
            func.coalesce(func.sum(LLMCallRow.prompt_tokens), 0),
            func.coalesce(func.sum(LLMCallRow.completion_tokens), 0),
            func.coalesce(func.sum(LLMCallRow.cost_usd), 0.0),
        ).where(LLMCallRow.run_id == run_id)
        with Session(self.engine) as session:
            calls, prompt, completion, cost = session.exec(stmt).one()
        return {"calls": calls, "prompt_tokens": prompt, "completion_tokens": completion, "cost_usd": cost}


def scrub_rows(values: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """Column dicts with every registered secret masked (the same rows when none is registered)."""
    return [secrets.scrub_value(v) for v in values] if secrets.registered() else values


def failure_row(
    stage: str, item_id: str, reason: str, raw: str | None = None, run_id: str = ""
) -> FailureRow:
    return FailureRow(
        id=content_id("fail", run_id, stage, item_id, uuid.uuid4().hex),
        run_id=run_id,
        stage=stage,
        item_id=item_id,
        reason=reason,
        raw=raw,
    )


def _chunks(values: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
