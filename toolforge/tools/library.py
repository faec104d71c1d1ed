"""The library in the store: admit tools (validated, idempotent) and read them back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, select

from toolforge.core.ids import digest
from toolforge.core.store import Store, ToolRow, to_row
from toolforge.core.types import ToolSpec
from toolforge.tools.validate import MAX_DESCRIPTION, rejection


@dataclass
class Admitted:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)


def admit(store: Store, tools: Sequence[ToolSpec], max_description: int = MAX_DESCRIPTION) -> Admitted:
    """Validate and store tools: invalid ones as "rejected" with the reason. A tool already stored
    with the same content is left alone (its dedup status included), so re-importing is a no-op."""
    out = Admitted()
    ids = {t.id for t in tools}
    existing = content_hashes(store, ids)
    rows: list[ToolRow] = []
    for tool in tools:
        if existing.get(tool.id) == digest(tool.model_dump(mode="json")):
            out.unchanged.append(tool.id)
            continue
        reason = rejection(tool, max_description)
        if reason:
            out.rejected[tool.id] = reason
        else:
            out.added.append(tool.id)
        rows.append(to_row(tool, status="rejected" if reason else "ok", reason=reason, duplicate_of=None))  # type: ignore[arg-type]
    if rows:
        store.upsert_rows(rows)
    return out


def content_hashes(store: Store, ids: set[str]) -> dict[str, str]:
    """id → content hash of the stored rows among `ids`."""
    out: dict[str, str] = {}
    ordered = sorted(ids)
    with Session(store.engine) as session:
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            stmt = select(ToolRow.id, ToolRow.content_hash).where(ToolRow.id.in_(chunk))  # type: ignore[attr-defined]
            out.update(dict(session.exec(stmt).all()))
    return out


def load_tools(store: Store, *, status: str | None = "ok", **where: str) -> list[ToolSpec]:
    """Tools from the store, ordered by id; `status=None` for every status."""
    if status is not None:
        where["status"] = status
    rows = sorted(store.tool_rows(**where), key=lambda r: r.id)
    return [ToolSpec.model_validate(r.data) for r in rows]
