"""A scripted synthesizer for the loopback test server: plausible, varied, deterministic designs.

`responder(request)` answers the three structured requests of `synthesis.py` (by the schema name
`CategoryList`, `DomainList`, `ToolBatch`) from word lists, seeded by the request text, so a test
or the 20,000-tool benchmark exercises the whole evolution — novelty, quotas, resume — without a
model. Use it as ``TestServer(responder=responder)``; any other request falls through.
"""

from __future__ import annotations

import random
import re
import zlib
from typing import Any

from toolforge_testing.llm_server import Reply, Request

CATEGORIES = [
    "finance", "travel", "healthcare", "education", "retail", "logistics", "software development",
    "human resources", "real estate", "media", "marketing", "customer support", "manufacturing",
    "energy", "agriculture", "legal", "government services", "telecommunications", "hospitality",
    "sports", "automotive", "insurance", "security", "science",
]  # fmt: skip
QUALIFIERS = [
    "smart", "regional", "mobile", "cloud", "community", "enterprise", "personal", "shared", "express",
    "green", "open", "local", "global", "premium", "student", "family", "remote", "micro", "urban", "rural",
    "digital", "secure", "rapid", "budget", "pro", "clinical", "public", "private", "social", "fleet",
]  # fmt: skip
NOUNS = [
    "booking", "ledger", "inventory", "clinic", "tutoring", "marketplace", "dispatch", "payroll", "rental",
    "newsroom", "campaign", "helpdesk", "workshop", "grid", "farm", "court", "permit", "network", "hotel",
    "league", "garage", "claims", "vault", "lab", "pharmacy", "library", "warehouse", "studio", "gallery",
    "kitchen", "charity", "museum", "airport", "gym", "school", "bank", "exchange", "fund", "transit", "port",
]  # fmt: skip
ENTITIES = [
    "account", "invoice", "order", "shipment", "patient", "appointment", "course", "student", "ticket",
    "listing", "article", "campaign", "device", "sensor", "contract", "case", "permit", "policy", "claim",
    "vehicle", "driver", "route", "room", "reservation", "member", "subscription", "payment", "report",
    "document", "project", "task", "asset", "supplier", "product", "batch", "crop", "meter", "employee",
    "shift", "venue", "event", "match", "player", "loan", "card", "alert", "dataset", "experiment", "sample",
]  # fmt: skip
ACTIONS: dict[str, tuple[str, str]] = {
    # verb: (effect, description template)
    "get": ("read", "Get one {e} of the {d} by its id, with all its fields."),
    "list": ("read", "List the {es} of the {d}, filtered by status, newest first."),
    "search": ("read", "Search the {es} of the {d} by free-text keywords."),
    "create": ("create", "Create a new {e} in the {d} from the given fields."),
    "update": ("update", "Change fields of an existing {e} in the {d}; omitted fields stay."),
    "delete": ("delete", "Delete a {e} from the {d} permanently."),
    "archive": ("update", "Archive a {e} of the {d} so it leaves the active lists."),
    "export": ("read", "Export the {es} of the {d} as a CSV document."),
    "approve": ("action", "Approve a pending {e} in the {d} and notify its owner."),
    "assign": ("update", "Assign a {e} of the {d} to a member of staff."),
    "count": ("read", "Count the {es} of the {d} grouped by status."),
    "summarize": ("read", "Summarize the recent activity on one {e} of the {d}."),
    "validate": ("read", "Check a {e} of the {d} for missing or inconsistent fields."),
    "schedule": ("create", "Schedule a future review of a {e} in the {d}."),
    "notify": ("action", "Send a notification about a {e} of the {d} to its watchers."),
    "restore": ("update", "Restore an archived {e} of the {d} to the active lists."),
}


def _rng(text: str) -> random.Random:
    return random.Random(zlib.crc32(text.encode()))


def _user_text(request: Request) -> str:
    messages = request.body.get("messages") or []
    return "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")


def _field(pattern: str, text: str, default: str = "") -> str:
    match = re.search(pattern, text)
    return match.group(1).strip() if match else default


def categories(text: str) -> dict[str, Any]:
    want = int(_field(r"Propose (\d+) distinct broad", text, "12"))
    picked = CATEGORIES[:want]
    return {"categories": [{"name": c, "description": f"Tools for {c}."} for c in picked]}


def domains(text: str) -> dict[str, Any]:
    category = _field(r"Category: ([^.\n]+)\.", text)
    want = int(_field(r"Propose (\d+) distinct application", text, "5"))
    taken = set(_field(r"do not repeat\): ([^\n]*)\.", text).split(", "))
    rng = _rng(text)
    out: list[dict[str, Any]] = []
    while len(out) < want:
        name = f"{rng.choice(QUALIFIERS)} {category.split()[0]} {rng.choice(NOUNS)}"
        if name in taken:
            continue
        taken.add(name)
        ents = rng.sample(ENTITIES, 3)
        out.append({"name": name, "description": f"A {name} service.", "entities": ents})
    return {"domains": out}


def _plural(e: str) -> str:
    return e[:-1] + "ies" if e.endswith("y") else e + "s"


def tools(text: str) -> dict[str, Any]:
    domain = _field(r"Domain: ([^—\n]+) —", text)
    entities = _field(r"Entities: ([^\n]+)\.", text).split(", ")
    want = int(_field(r"Design (\d+) new tools", text, "8"))
    taken = set(_field(r"do not repeat\): ([^\n]*)\.", text).split(", "))
    rng = _rng(text)
    options = [(verb, e) for e in entities for verb in ACTIONS]
    rng.shuffle(options)
    out: list[dict[str, Any]] = []
    for verb, e in options:
        if len(out) >= want:
            break
        key = e.replace(" ", "_")
        name = f"{verb}_{_plural(key) if verb in ('list', 'search', 'export', 'count') else key}"
        if name in taken:
            continue
        effect, template = ACTIONS[verb]
        id_param = {
            "name": f"{key}_id",
            "type": "string",
            "description": f"the {e} id in the {domain}",
            "required": True,
        }
        if verb in ("list", "search", "export", "count"):
            params = [
                {
                    "name": "query" if verb == "search" else "status",
                    "type": "string",
                    "description": f"filter for the {_plural(e)} of the {domain}",
                },
                {"name": "limit", "type": "integer", "description": "max results", "required": False},
            ]
            returns = [
                {"name": _plural(key), "type": "array", "description": f"the matching {_plural(e)}"},
                {"name": "total", "type": "integer", "description": "how many matched"},
            ]
        elif verb == "create":
            params = [
                {"name": "title", "type": "string", "description": f"a title for the {e} in the {domain}"},
                {"name": "owner_id", "type": "string", "description": "who owns it", "required": False},
            ]
            returns = [{"name": f"{key}_id", "type": "string", "description": f"the new {e} id"}]
        else:
            params = [id_param]
            if verb == "assign":
                params.append({"name": "employee_id", "type": "string", "description": "the assignee"})
            returns = [
                {"name": f"{key}_id", "type": "string", "description": f"the {e} id"},
                {"name": "status", "type": "string", "description": f"the {e} status after the call"},
            ]
        out.append(
            {
                "name": name,
                "description": template.format(e=e, es=_plural(e), d=domain),
                "params": params,
                "returns": returns,
                "effect": effect,
                "reads": [e],
                "writes": [] if effect == "read" else [e],
                "idempotent": effect in ("read", "delete") or verb in ("archive", "restore"),
                "open_world": verb == "notify",
            }
        )
    return {"tools": out or [_filler(rng, domain)]}


def _filler(rng: random.Random, domain: str) -> dict[str, Any]:
    tag = rng.randrange(10**6)
    return {
        "name": f"custom_check_{tag}",
        "description": f"Run custom check {tag} on the {domain}.",
        "params": [],
        "returns": [{"name": "ok", "type": "boolean", "description": "passed"}],
        "effect": "read",
        "reads": [],
        "writes": [],
        "idempotent": True,
    }


def responder(request: Request) -> Reply | None:
    """The scripted reply for a synthesis request; None for anything else."""
    rf = request.body.get("response_format") or {}
    name = (rf.get("json_schema") or {}).get("name")
    text = _user_text(request)
    if name == "CategoryList":
        return Reply.json(categories(text))
    if name == "DomainList":
        return Reply.json(domains(text))
    if name == "ToolBatch":
        return Reply.json(tools(text))
    return None
