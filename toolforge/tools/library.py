"""The library in the store: admit tools (validated, idempotent, nothing lost) and read them back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from toolforge.core.ids import digest
from toolforge.core.store import Store, ToolRow, to_row
from toolforge.core.types import ToolSpec
from toolforge.tools.stored_form import stored_form
from toolforge.tools.validate import MAX_DESCRIPTION, rejection


@dataclass
class Admitted:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    # A second, different tool with a name already used in its origin: stored apart, status "conflict".
    conflicts: dict[str, str] = field(default_factory=dict)
    # The same tool given again in one batch: stored once.
    repeated: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # id -> tool name, for reports

    @property
    def stored(self) -> int:
        """Rows this admission wrote."""
        return len(self.added) + len(self.rejected) + len(self.conflicts)


def admit(store: Store, tools: Sequence[ToolSpec], max_description: int = MAX_DESCRIPTION) -> Admitted:
    """Validate and store tools: invalid ones as "rejected" with the reason, a second different tool
    of an already used name as "conflict" (both kept, the reason names the other). A tool already
    stored with the same content is left alone (its dedup status included): re-importing is a no-op."""
    out = Admitted()
    batch = separate_conflicts(tools)
    existing = content_hashes(store, {t.id for t, _ in batch})
    rows: list[ToolRow] = []
    written: set[str] = set()
    for tool, conflict in batch:
        kept = stored_form(tool, max_description)
        content = digest(kept.model_dump(mode="json"))
        if kept.id in written:
            out.repeated.append(kept.id)
            continue
        written.add(kept.id)
        out.names[kept.id] = kept.name
        if existing.get(kept.id) == content:
            out.unchanged.append(kept.id)
            continue
        reason = rejection(tool, max_description)
        if conflict:
            status, reason = "conflict", "; ".join(r for r in (conflict, reason) if r)
            out.conflicts[kept.id] = reason
        elif reason:
            status = "rejected"
            out.rejected[kept.id] = reason
        else:
            status = "ok"
            out.added.append(kept.id)
        rows.append(to_row(kept, status=status, reason=reason, duplicate_of=None))
    if rows:
        store.upsert_rows(rows)
    return out


def separate_conflicts(tools: Sequence[ToolSpec]) -> list[tuple[ToolSpec, str | None]]:
    """Each tool with the reason it conflicts (None when it does not): the first tool of a name in
    its origin keeps the plain id; a later one with a different interface or description gets an id
    of its own (`provenance["variant"]`, from its content) and a reason that names the first."""
    first: dict[str, ToolSpec] = {}
    out: list[tuple[ToolSpec, str | None]] = []
    for tool in tools:
        holder = first.setdefault(tool.id, tool)
        if holder is tool or _same(holder, tool):
            out.append((tool, None))
            continue
        variant = digest(tool.model_dump(mode="json"), length=12)
        apart = tool.model_copy(update={"provenance": {**tool.provenance, "variant": variant}})
        reason = (
            f"name {tool.name[:80]!r} is already used in {tool.origin!r} by a different tool "
            f"({holder.id}, fingerprint {holder.fingerprint}; this one {tool.fingerprint}); both are "
            "kept, this one apart: rename one of them or import it under another origin"
        )
        out.append((apart, reason))
    return out


def _same(a: ToolSpec, b: ToolSpec) -> bool:
    """Equal as a tool: interface, description and hints (where it was read from may differ)."""
    return (a.fingerprint, a.description, a.title, a.annotations) == (
        b.fingerprint, b.description, b.title, b.annotations
    )  # fmt: skip


def content_hashes(store: Store, ids: set[str]) -> dict[str, str]:
    """id → content hash of the stored rows among `ids`."""
    out: dict[str, str] = {}
    ordered = sorted(ids)
    with Session(store.engine) as session:
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            stmt = select(ToolRow.id, ToolRow.content_hash).where(col(ToolRow.id).in_(chunk))
            out.update(dict(session.exec(stmt).all()))
    return out


def load_tools(store: Store, *, status: str | None = "ok", **where: str) -> list[ToolSpec]:
    """Tools from the store, ordered by id; `status=None` for every status."""
    if status is not None:
        where["status"] = status
    rows = sorted(store.tool_rows(**where), key=lambda r: r.id)
    return [ToolSpec.model_validate(r.data) for r in rows]
