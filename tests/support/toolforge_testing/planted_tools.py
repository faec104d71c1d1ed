"""A planted near-duplicate set for measuring dedup quality (tests and `bench/tools_scale.py`).

Distinct tools: entity × action (get, list, create, update, delete, search, cancel/archive, export)
over ~50 entities in a dozen domains — many of them look alike on purpose (``get_order`` vs
``get_invoice``, ``get_order`` vs ``list_orders``), which is where false merges come from.
Planted duplicates: for a share of them, a faithful paraphrase — a synonym verb in the name
(sometimes a suffix such as ``_v2``), the same description reworded — with the same parameters, as
a second server or catalog would write the same tool.

`score(result, truth)`: recall = planted duplicates linked to their original; false-merge rate =
distinct tools linked to anything, over all distinct tools.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from toolforge.core.types import ToolSpec
from toolforge.tools.dedup import DedupResult

DOMAINS: dict[str, list[str]] = {
    "shop": ["order", "product", "cart", "refund", "coupon"],
    "billing": ["invoice", "payment", "subscription", "receipt"],
    "calendar": ["event", "meeting room", "reminder"],
    "hr": ["employee", "leave request", "payslip", "job opening"],
    "travel": ["flight booking", "hotel reservation", "itinerary", "boarding pass"],
    "support": ["ticket", "knowledge base article", "customer complaint"],
    "devops": ["deployment", "build", "server instance", "alert", "log stream"],
    "crm": ["contact", "sales lead", "deal", "company account"],
    "health": ["patient record", "appointment", "prescription", "lab result"],
    "education": ["course", "student", "assignment", "exam grade"],
    "real estate": ["property listing", "rental contract", "viewing"],
    "logistics": ["shipment", "warehouse", "parcel", "delivery route"],
    "media": ["playlist", "podcast episode", "photo album"],
}

# action → (name verb, description templates, paraphrase verbs, the paraphrase of each template)
ACTIONS: dict[str, tuple[str, list[str], list[str], list[str]]] = {
    "get": (
        "get",
        ["Get one {e} by its id.", "Return a single {e} with all its fields."],
        ["fetch", "retrieve", "read", "lookup"],
        ["Fetch a single {e} by its id.", "Returns one {e} including all of its fields."],
    ),
    "list": (
        "list",
        ["List all {es}, newest first.", "List the {es} visible to the user, page by page."],
        ["enumerate", "browse", "show_all"],
        ["Lists every {e}, most recent first.", "Lists the {es} the user can see, one page at a time."],
    ),
    "create": (
        "create",
        ["Create a new {e}.", "Create a {e} from the given fields and return it."],
        ["add", "new", "register"],
        ["Creates a brand-new {e}.", "Creates a {e} from the provided fields and returns it."],
    ),
    "update": (
        "update",
        ["Update the fields of an existing {e}.", "Change an existing {e}; fields left out stay the same."],
        ["modify", "edit", "patch"],
        [
            "Updates the fields of an {e} that already exists.",
            "Changes an existing {e}; omitted fields keep their values.",
        ],
    ),
    "delete": (
        "delete",
        ["Delete a {e} permanently.", "Remove a {e} for good."],
        ["remove", "erase", "destroy"],
        ["Permanently deletes a {e}.", "Removes a {e} for good."],
    ),
    "search": (
        "search",
        ["Search {es} by keywords.", "Find {es} whose text matches a query."],
        ["find", "query", "lookup_matching"],
        ["Searches the {es} by keyword.", "Finds the {es} whose text matches the query."],
    ),
    "archive": (
        "archive",
        ["Archive a {e} so it no longer shows in lists.", "Move a {e} to the archive."],
        ["shelve", "hide", "stash"],
        ["Archives a {e} so that it stops showing in lists.", "Moves a {e} into the archive."],
    ),
    "export": (
        "export",
        ["Export {es} as a CSV file.", "Download all {es} as CSV."],
        ["dump", "download", "extract"],
        ["Exports the {es} to a CSV file.", "Downloads every {e} as CSV."],
    ),
}


def _plural(entity: str) -> str:
    head, _, last = entity.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou" else last + "s"
    if last.endswith(("ss", "sh", "ch", "xs")):
        last = last[:-1] + "es"
    return f"{head} {last}".strip()


def _schema(action: str, entity: str) -> dict[str, object]:
    key = entity.replace(" ", "_") + "_id"
    props: dict[str, object]
    if action in ("get", "delete", "archive"):
        props = {key: {"type": "string", "description": f"the {entity} id"}}
    elif action in ("list", "export"):
        props = {"limit": {"type": "integer", "minimum": 1}, "cursor": {"type": "string"}}
    elif action == "search":
        props = {"query": {"type": "string"}, "limit": {"type": "integer"}}
    elif action == "create":
        props = {"name": {"type": "string"}, "notes": {"type": "string"}}
    else:
        props = {key: {"type": "string"}, "name": {"type": "string"}, "notes": {"type": "string"}}
    return {"type": "object", "properties": props, "required": [next(iter(props))]}


@dataclass
class Planted:
    tools: list[ToolSpec]
    truth: dict[str, str]  # planted duplicate id -> original id
    originals: set[str]


def planted_set(seed: int = 0, dup_share: float = 0.35) -> Planted:
    """Distinct tools plus paraphrased duplicates of about `dup_share` of them."""
    rng = random.Random(seed)
    tools: list[ToolSpec] = []
    truth: dict[str, str] = {}
    originals: set[str] = set()
    for domain, entities in DOMAINS.items():
        for entity in entities:
            for action, (verb, originals_t, para_verbs, para_t) in ACTIONS.items():
                snake = entity.replace(" ", "_")
                plural = _plural(entity)
                name = f"{verb}_{_plural(snake) if action in ('list', 'search', 'export') else snake}"
                fmt = {"e": entity, "es": plural}
                original_template = rng.choice(originals_t)
                original = ToolSpec(
                    name=name,
                    description=original_template.format(**fmt),
                    input_schema=_schema(action, entity),
                    source="catalog",
                    origin=f"planted-{domain}",
                    domain=domain,
                )
                tools.append(original)
                originals.add(original.id)
                if rng.random() < dup_share:
                    para_name = f"{rng.choice(para_verbs)}_{name.split('_', 1)[1]}"
                    if rng.random() < 0.5:
                        para_name += rng.choice(["_details", "_v2", "_record", "_info", "_data"])
                    copy = ToolSpec(
                        name=para_name,
                        description=para_t[originals_t.index(original_template)].format(**fmt),
                        input_schema=_schema(action, entity),
                        source="catalog",
                        origin=f"planted-mirror-{domain}",
                        domain=domain,
                    )
                    tools.append(copy)
                    truth[copy.id] = original.id
    return Planted(tools=tools, truth=truth, originals=originals)


def score(result: DedupResult, planted: Planted) -> dict[str, float]:
    """recall: planted duplicates linked to their own original (either direction);
    false_merge_rate: distinct originals linked to a tool that is not their planted twin."""
    links = result.duplicate_of
    found = 0
    for dup, orig in planted.truth.items():
        if links.get(dup) == orig or links.get(orig) == dup:
            found += 1
    twin = {**planted.truth, **{o: d for d, o in planted.truth.items()}}
    wrong = 0
    for tid, target in links.items():
        if twin.get(tid) != target:
            wrong += 1
    total = len(planted.originals)
    return {
        "planted": float(len(planted.truth)),
        "distinct": float(total),
        "recall": found / len(planted.truth) if planted.truth else 1.0,
        "false_merges": float(wrong),
        "false_merge_rate": wrong / total if total else 0.0,
    }
