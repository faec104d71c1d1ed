"""One call of a tool that has no implementation, played on the episode's entity store.

Both simulators go through `play`: the schema simulator alone, the world model with its
`Proposal` (the result it rendered and the records it says the call changed). The rules are the
same either way:

- create: a new record of the call's arguments (a `<kind>_0001` id unless the call names one); the
  output echoes them, and what the output shows beyond them is kept, so a read shows it again.
- read by id: the stored record; an id the store lacks is an error that says how to find one.
- list: the stored records that match the arguments (query words, field values), `limit`/`offset`
  applied, counts equal to the list's length.
- update: only the fields the call sets change; delete: the record is removed.
- action: logged; a verb that implies a status (`approve_invoice`) sets it.
- a write that refers to a record by `<kind>_id` needs that record to exist.

A read never changes the store, except that the world model's account of fields the store lacks
is kept (so a later read, by either simulator, agrees with what it said). The world model's other
writes are applied where they touch no record the call itself governs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from environments.episodes.executors.base import ToolResult
from environments.episodes.executors.fit import WRAPPERS, Fitter, listing_items, type_ok
from environments.episodes.executors.semantics import semantics
from environments.episodes.executors.store import EntityStore, label, not_found, ref_kind
from environments.episodes.state import RESERVED, Delete, State, Upsert, plural
from toolforge.core.ids import digest
from toolforge.core.types import ToolSpec
from toolforge.core.values import NOW, statuses_for, string_role, words

_QUERY_ARGS = frozenset({"query", "q", "search", "keyword", "keywords", "text", "term"})
_LIMIT_ARGS = frozenset({"limit", "max_results", "page_size", "per_page", "top_k", "top", "max", "n"})
_OFFSET_ARGS = frozenset({"offset", "skip"})
_PAGING = _LIMIT_ARGS | _OFFSET_ARGS | {"page", "sort", "sort_by", "order_by", "order", "direction", "cursor"}
# Fields of a result that describe the call, not the record (never kept on the record).
_ENVELOPE = WRAPPERS | {
    "message", "success", "ok", "error", "errors", "warning", "warnings", "deleted", "created", "updated",
    "meta", "metadata", "pagination", "next_cursor", "next_page",
}  # fmt: skip
_PAST = {"send": "sent", "cancel": "cancelled", "submit": "submitted", "ship": "shipped", "pay": "paid"}
_PAST |= {"set": "set", "put": "put", "make": "made", "drop": "dropped", "stop": "stopped", "plan": "planned"}
# The status a record is in after a call whose name starts with the verb.
_STATUS_AFTER = {
    "approve": "approved", "reject": "rejected", "cancel": "cancelled", "complete": "completed",
    "confirm": "confirmed", "ship": "shipped", "publish": "published", "archive": "archived",
    "restore": "active", "activate": "active", "deactivate": "inactive", "suspend": "suspended",
    "resolve": "resolved", "close": "closed", "reopen": "open", "pay": "paid", "submit": "submitted",
    "deliver": "delivered", "refund": "refunded", "verify": "verified", "finish": "completed",
    "delete": "deleted", "remove": "removed",
}  # fmt: skip
_CREATED = frozenset(
    {"created", "placed", "ordered", "submitted", "registered", "opened", "issued", "booked"}
)
_UPDATED = frozenset({"updated", "modified", "changed"})
# Status words a new record starts in, by preference, where the output's enum offers one.
_INITIAL = (
    "open",
    "new",
    "pending",
    "draft",
    "placed",
    "scheduled",
    "todo",
    "submitted",
    "requested",
    "active",
)


@dataclass
class Proposal:
    """What a world model says one call returns and changes (Python decides what holds)."""

    result: Any = None
    upserts: list[Upsert] = field(default_factory=list)
    deletes: list[Delete] = field(default_factory=list)


def play(
    tool: ToolSpec, arguments: dict[str, Any], state: State, proposal: Proposal | None = None
) -> ToolResult:
    return _Call(tool, arguments, state, proposal).run()


def record_in(value: Any, kind: str, key: str) -> dict[str, Any] | None:
    """The object inside a result that stands for record `key`: the result itself or an object
    one level down whose `id` or `<kind>_id` is `key`, else the result if it names no id at all."""

    def names_key(obj: dict[str, Any]) -> bool:
        return bool(key) and key in (str(obj.get("id", "")), str(obj.get(f"{kind}_id", "")))

    if not isinstance(value, dict):
        return None
    if names_key(value):
        return value
    nested = [v for v in value.values() if isinstance(v, dict) and names_key(v)]
    if nested:
        return nested[0]
    return value if "id" not in value and f"{kind}_id" not in value else None


def _matches(record: dict[str, Any], arguments: dict[str, Any]) -> bool:
    """Whether a record (as a read shows it) meets a call's filters: every query word somewhere in
    it, every argument that names one of its fields equal (a part, for free text)."""
    for key, want in arguments.items():
        if key in _PAGING or not isinstance(want, str | int | float | bool):
            continue
        if key in _QUERY_ARGS and isinstance(want, str):
            text = " ".join(str(v) for v in record.values() if isinstance(v, str | int | float)).lower()
            if not all(w in text for w in want.lower().split()):
                return False
        elif key in record:
            have = record[key]
            if isinstance(want, str) and isinstance(have, str):
                free_text = " " in have.strip()  # a name or a note: a part of it will do
                if (want.lower() not in have.lower()) if free_text else (want.lower() != have.lower()):
                    return False
            elif have != want:
                return False
    return True


def _past(verb: str) -> str:
    return _PAST.get(verb) or (verb + "d" if verb.endswith("e") else verb + "ed")


class _Call:
    def __init__(self, tool: ToolSpec, arguments: dict[str, Any], state: State, proposal: Proposal | None):
        self.tool, self.arguments, self.state, self.proposal = tool, arguments, state, proposal
        self.sem = semantics(tool)
        self.kind = self.sem.kind
        self.store = EntityStore(state)
        raw = arguments.get(self.sem.id_param) if self.sem.id_param else None
        self.key = str(raw) if raw is not None else None
        self.topic = " ".join([tool.name, tool.description, tool.domain or ""])
        self.schema = tool.output_resolved
        self.verb = words(tool.name)[0] if words(tool.name) else ""

    # ---- helpers ----

    def fitter(self, seed: str, salt: str = "") -> Fitter:
        return Fitter(self.state, self.kind, self.topic, seed, salt)

    def show(self, value: Any, seed: str, salt: str = "") -> Any:
        if self.schema is None:
            return value
        return self.fitter(seed, salt).show(self.schema, value)

    def read_seed(self) -> str:
        """Reads are seeded by the call alone: the same read shows the same result."""
        return digest([self.tool.name, self.arguments])

    def write_seed(self) -> str:
        return digest([self.tool.name, self.arguments, self.state.get("_seq", {})])

    def prop(self, name: str) -> dict[str, Any] | None:
        props = (self.schema or {}).get("properties") or {}
        sub = props.get(name)
        return sub if isinstance(sub, dict) else None

    def model_fields(self, key: str) -> dict[str, Any]:
        """What the world model said about record `key` (its result's record and its upsert)."""
        if self.proposal is None:
            return {}
        found = dict(record_in(self.proposal.result, self.kind, key) or {})
        for up in self.proposal.upserts:
            if up.collection == plural(self.kind) and up.id == key:
                found.update(up.record)
        return {k: v for k, v in found.items() if k != "id" and k not in _ENVELOPE and k != f"{self.kind}_id"}

    def keep_shown(self, shown: Any, key: str) -> None:
        """Keep on record `key` the fields a result showed that it lacked."""
        obj = record_in(shown, self.kind, key)
        if obj is not None:
            self.store.absorb(self.kind, key, obj, skip=_ENVELOPE | {f"{self.kind}_id"})

    def acks(self, record_id: str | None) -> dict[str, Any]:
        """The fields that report a write (`success`, `deleted`, `message`), typed as the output
        schema types them."""
        out: dict[str, Any] = {}
        done = {"create": "created", "update": "updated", "delete": "deleted"}.get(self.sem.effect)
        for name in ("success", "ok", "created", "updated", "deleted"):
            sub = self.prop(name)
            if sub is None or (name in ("created", "updated", "deleted") and name != done):
                continue
            for value in (True, record_id):
                if value is not None and type_ok(sub, value):
                    out[name] = value
                    break
        sub = self.prop("message")
        if sub is not None and record_id is not None and type_ok(sub, ""):
            verb = self.verb if self.verb and self.verb not in words(self.kind) else (done or "update")[:-1]
            out["message"] = f"{label(self.kind).capitalize()} {record_id} {_past(verb)}."
        return out

    def status_after(self, record: dict[str, Any]) -> dict[str, Any]:
        """The status a verb implies (`approve_…` → approved), where the record or the output
        has a status field that can hold it."""
        word = _STATUS_AFTER.get(self.verb)
        sub = self.prop("status")
        if word is None or (sub is None and not isinstance(record.get("status"), str)):
            return {}
        if sub is not None and "enum" in sub:
            spelled = [v for v in sub["enum"] if isinstance(v, str) and v.lower() == word]
            return {"status": spelled[0]} if spelled else {}
        return {"status": word} if sub is None or type_ok(sub, word) else {}

    def stamps(self) -> dict[str, Any]:
        """`created_at` of a create and `updated_at` of a write: the world's clock, which starts at
        NOW and moves on a few minutes with every record created."""
        seq = self.state.get("_seq", {})
        clock = NOW + timedelta(minutes=7 * sum(v for v in seq.values() if isinstance(v, int)))
        moments = _UPDATED | (_CREATED if self.sem.effect == "create" else frozenset())
        out: dict[str, Any] = {}
        for name, sub in ((self.schema or {}).get("properties") or {}).items():
            if name in self.arguments or not isinstance(sub, dict) or not moments & set(words(name)):
                continue
            fmt = sub.get("format")
            desc = str(sub.get("description", ""))
            role = string_role(name, fmt if isinstance(fmt, str) else None, desc, self.kind)
            stamp = clock.strftime("%Y-%m-%dT%H:%M:%SZ") if role == "datetime" else clock.date().isoformat()
            if role in ("datetime", "date") and type_ok(sub, stamp):
                out[name] = stamp
        return out

    def initial_status(self) -> dict[str, Any]:
        sub = self.prop("status")
        if sub is None or "status" in self.arguments:
            return {}
        if "enum" in sub:
            named = [v for v in sub["enum"] if isinstance(v, str) and v.lower() in _INITIAL]
            return {"status": named[0]} if named else {}
        first = statuses_for(self.kind)[0]
        return {"status": first} if type_ok(sub, first) else {}

    def side_effects(self) -> None:
        """The world model's writes to records other than the call's own (never bookkeeping)."""
        if self.proposal is None:
            return
        own = plural(self.kind)
        for up in self.proposal.upserts:
            if up.collection in RESERVED or up.collection == own:
                continue
            kind = up.collection
            coll = self.state.setdefault(kind, {})
            if isinstance(coll, dict):
                coll.setdefault(up.id, {"id": up.id}).update(
                    {k: v for k, v in up.record.items() if k != "id"}
                )
        for dl in self.proposal.deletes:
            if dl.collection not in RESERVED and dl.collection != own:
                coll = self.state.get(dl.collection)
                if isinstance(coll, dict):
                    coll.pop(dl.id, None)

    # ---- the call ----

    def run(self) -> ToolResult:
        effect = self.sem.effect
        if effect in ("read", "update", "delete") and self.key is not None:
            if self.store.get(self.kind, self.key) is None:
                if effect == "read" and self.proposal is not None and not self.store.tracks(self.kind):
                    # A kind the world did not keep yet: the world model knows it; remember it.
                    self.store.create(self.kind, self.model_fields(self.key), self.key)
                else:
                    return ToolResult.error(not_found(self.kind, self.key))
        if self.sem.mutates:
            problem = self.store.missing_reference(
                self.arguments, skip=self.sem.id_param if effect == "create" else None
            )
            if problem is not None:
                return ToolResult.error(problem)
            self.side_effects()
        return getattr(self, f"do_{effect}")()

    def do_create(self) -> ToolResult:
        if self.key is not None and self.store.get(self.kind, self.key) is not None:
            return ToolResult.error(
                f"a {label(self.kind)} with id {self.key} already exists; use another id or update it"
            )
        seed = self.write_seed()
        model_id = self.proposal_id() if self.proposal is not None else ""
        model = self.model_fields(model_id)
        fields = {**self.initial_status(), **self.stamps(), **model, **self.arguments}
        # The id the call names, else the free id the world model chose, else the next one.
        record = self.store.create(self.kind, fields, self.key or model_id or None)
        shown = self.show({**self.acks(record["id"]), **record}, seed, salt=seed)
        self.keep_shown(shown, record["id"])
        return ToolResult.data(shown)

    def proposal_id(self) -> str:
        """The id the world model gave the record it created, if no record holds it yet."""
        assert self.proposal is not None
        ids = [up.id for up in self.proposal.upserts if up.collection == plural(self.kind)]
        result = self.proposal.result
        ids += (
            [str(result["id"])]
            if isinstance(result, dict) and isinstance(result.get("id"), str | int)
            else []
        )
        return next((i for i in ids if i.strip() and self.store.get(self.kind, i) is None), "")

    def do_read(self) -> ToolResult:
        seed = self.read_seed()
        if self.key is not None:
            if self.proposal is not None:
                self.store.absorb(self.kind, self.key, self.model_fields(self.key))
            shown = self.show(self.store.records(self.kind)[self.key], seed)
            if self.proposal is not None:
                self.keep_shown(shown, self.key)
            return ToolResult.data(shown)
        if listing_items(self.schema, self.kind) is not None:
            return self.do_list()
        records = self.store.records(self.kind)
        if records:
            found = [r for r in records.values() if _matches(self.as_read(r, {}), self.arguments)]
            if not found:
                asked = ", ".join(f"{k}={v}" for k, v in self.arguments.items())
                return ToolResult.error(
                    f"no {label(self.kind)} matches {asked}; list {label(plural(self.kind))} to see what exists"
                )
            return ToolResult.data(self.show(found[0], seed))
        # Nothing kept of this kind (a forecast, a quote): the answer for these arguments.
        model = (
            self.proposal.result
            if self.proposal is not None and isinstance(self.proposal.result, dict)
            else {}
        )
        return ToolResult.data(self.show({**self.arguments, **model}, seed))

    def do_list(self) -> ToolResult:
        seed = self.read_seed()
        records = list(self.store.records(self.kind).values())
        items = listing_items(self.schema, self.kind)
        fitter = self.fitter(seed)
        # Filters look at records as reads show them; without filters the final `show` alone
        # shows the records listed (they are shown once, not twice).
        filters = [k for k in self.arguments if k not in _PAGING]
        shown = [
            fitter.fit(items, r, self.kind, seed, self.kind) if items and filters else r for r in records
        ]
        pairs = [
            (r, s)
            for r, s in zip(records, shown, strict=True)
            if _matches(self.as_read(r, s), self.arguments)
        ]
        if self.proposal is not None:
            pairs = self.model_selection(pairs)
        start = _int_arg(self.arguments, _OFFSET_ARGS, 0)
        limit = _int_arg(self.arguments, _LIMIT_ARGS, len(pairs))
        page = _int_arg(self.arguments, {"page"}, 1)
        if "page" in self.arguments and limit:
            start += (page - 1) * limit
        listed = [s for _, s in pairs[max(start, 0) : max(start, 0) + max(limit, 0)]]
        return ToolResult.data(self.show(listed, seed))

    def as_read(self, record: dict[str, Any], shown: Any) -> dict[str, Any]:
        """A record as reads show it, for filtering: its shown and stored fields, and for each
        filter it does not hold, the value a read would invent for it."""
        out = {**record, **_dict(shown)}
        fitter = self.fitter(self.read_seed())
        props = self.tool.input_resolved.get("properties") or {}
        for key in self.arguments:
            sub = props.get(key)
            if key in out or key in _PAGING | _QUERY_ARGS or not isinstance(sub, dict) or ref_kind(key):
                continue
            out[key] = fitter.field_value(self.kind, record, key, sub)
        return out

    def model_selection(self, pairs: list[tuple[dict[str, Any], Any]]) -> list[tuple[dict[str, Any], Any]]:
        """The records the world model listed, in its order, where it listed stored ones (a
        partial or edge outcome may list fewer); the fields it showed that the store lacks kept."""
        assert self.proposal is not None
        result = self.proposal.result
        lists = (
            [result]
            if isinstance(result, list)
            else [v for v in _dict(result).values() if isinstance(v, list)]
        )
        if not lists:
            return pairs
        listed = lists[0]
        by_id = {str(r.get("id")): (r, s) for r, s in pairs}
        chosen = []
        for item in listed:
            rid = str(item.get("id", item.get(f"{self.kind}_id", ""))) if isinstance(item, dict) else ""
            if rid in by_id:
                self.store.absorb(self.kind, rid, self.model_fields_of(item))
                chosen.append(by_id.pop(rid))
        return chosen

    def model_fields_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k != "id" and k not in _ENVELOPE and k != f"{self.kind}_id"}

    def do_update(self) -> ToolResult:
        if self.key is None:
            return ToolResult.error(
                f"{self.tool.name} needs the id of the {label(self.kind)} to change; "
                f"list {label(plural(self.kind))} to find it"
            )
        changes = {k: v for k, v in self.arguments.items() if k != self.sem.id_param}
        current = self.store.records(self.kind)[self.key]
        record = self.store.update(
            self.kind,
            self.key,
            {**self.model_fields(self.key), **self.status_after(current), **self.stamps(), **changes},
        )
        shown = self.show({**self.acks(self.key), **record}, self.write_seed())
        if self.proposal is not None:
            self.keep_shown(shown, self.key)
        return ToolResult.data(shown)

    def do_delete(self) -> ToolResult:
        if self.key is None:
            return self.do_update()  # the same error: the id is needed
        record = self.store.delete(self.kind, self.key)
        shown = self.show({**self.acks(self.key), **record, **self.status_after(record)}, self.write_seed())
        return ToolResult.data(shown)

    def do_action(self) -> ToolResult:
        if (
            self.key is not None
            and self.store.tracks(self.kind)
            and self.store.get(self.kind, self.key) is None
        ):
            return ToolResult.error(not_found(self.kind, self.key))
        self.state.setdefault("_log", []).append({"tool": self.tool.name, "arguments": dict(self.arguments)})
        record: dict[str, Any] = {}
        if self.key is not None and self.store.get(self.kind, self.key) is not None:
            record = self.store.get(self.kind, self.key) or {}
            after = self.status_after(record)
            if after:
                record = self.store.update(self.kind, self.key, after)
        if self.schema is None:
            return ToolResult.data({"status": "ok", **({"result": self.arguments} if self.arguments else {})})
        args = {k: v for k, v in self.arguments.items() if k != self.sem.id_param}
        model = (
            self.proposal.result
            if self.proposal is not None and isinstance(self.proposal.result, dict)
            else {}
        )
        value = {**model, **self.acks(self.key), **args, **record}
        return ToolResult.data(self.show(value, self.write_seed()))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int_arg(arguments: dict[str, Any], names: frozenset[str] | set[str], default: int) -> int:
    for name in sorted(names):
        value = arguments.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return default
