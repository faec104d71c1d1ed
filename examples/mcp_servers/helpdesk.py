"""A support helpdesk: tickets with priority, status, assignee and tags, the support agents who
work them, and comments (public replies to the requester, or internal notes).

Run: ``python -m examples.mcp_servers.helpdesk [--state FILE]`` (or by path); state file also from
``HELPDESK_STATE_FILE``. Dates are ISO 8601 days (``2026-03-09``); the desk's today is 2026-03-16.

Rules a caller can fix: a closed ticket never changes; a ticket is solved only after a public
reply; only a solved ticket is closed; work goes only to agents who are available.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

if __package__ in (None, ""):  # run by path: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from examples.mcp_servers._common import ADD, CREATE, DESTROY, READ, UPDATE, JsonState, main

ENV_VAR = "HELPDESK_STATE_FILE"
TODAY = "2026-03-16"  # the day new tickets are opened on: fixed, so a replay gives the same world

Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["open", "pending", "solved", "closed"]
Team = Literal["billing", "technical", "accounts"]
Visibility = Literal["public", "internal"]


def _agent(aid: str, name: str, team: str, available: bool) -> dict[str, Any]:
    email = name.split()[0].lower() + "@helpdesk.example.com"
    return {"id": aid, "name": name, "email": email, "team": team, "available": available}


def _ticket(
    tid: str,
    subject: str,
    requester: str,
    priority: str,
    status: str,
    assignee: str | None,
    tags: list[str],
    created_on: str,
    description: str,
) -> dict[str, Any]:
    return {
        "id": tid,
        "subject": subject,
        "description": description,
        "requester_email": requester,
        "priority": priority,
        "status": status,
        "assignee_id": assignee,
        "tags": sorted(tags),
        "created_on": created_on,
    }


def _comment(cid: str, tid: str, author: str, visibility: str, body: str) -> dict[str, Any]:
    return {"id": cid, "ticket_id": tid, "author": author, "visibility": visibility, "body": body}


SEED: dict[str, Any] = {
    "agents": {
        a["id"]: a
        for a in [
            _agent("agt_priya", "Priya Patel", "billing", True),
            _agent("agt_omar", "Omar Haddad", "technical", True),
            _agent("agt_sofia", "Sofia Rossi", "technical", True),
            _agent("agt_kenji", "Kenji Tanaka", "accounts", True),
            _agent("agt_elena", "Elena Petrova", "billing", False),
            _agent("agt_liam", "Liam Murphy", "technical", False),
        ]
    },
    # Ids sit apart from the sequence new records take (tkt_0201, cmt_0201, ...).
    "tickets": {
        t["id"]: t
        for t in [
            _ticket(
                "tkt_0101",
                "Login fails after password reset",
                "maria.garcia@example.com",
                "high",
                "open",
                "agt_omar",
                ["login", "web"],
                "2026-03-09",
                "Since I reset my password this morning the web app says my credentials are invalid. "
                "The mobile app still lets me in.",
            ),
            _ticket(
                "tkt_0102",
                "Charged twice for the March invoice",
                "chen.wei@example.com",
                "urgent",
                "open",
                "agt_priya",
                ["billing", "refund"],
                "2026-03-11",
                "My card was charged twice for invoice INV-2026-0311. Please refund the duplicate payment.",
            ),
            _ticket(
                "tkt_0103",
                "CSV export times out",
                "noah.kim@example.com",
                "normal",
                "pending",
                "agt_sofia",
                ["export"],
                "2026-03-05",
                "Exporting the full customer list to CSV stops after a minute with a timeout error.",
            ),
            _ticket(
                "tkt_0104",
                "Second admin for our account",
                "fatima.khan@example.com",
                "low",
                "open",
                None,
                ["account"],
                "2026-03-12",
                "We need a second administrator on the Northwind Traders account while I am on leave.",
            ),
            _ticket(
                "tkt_0105",
                "Mobile app crashes on photo upload",
                "lucas.silva@example.com",
                "high",
                "open",
                None,
                ["bug", "mobile"],
                "2026-03-13",
                "The Android app closes as soon as I attach a photo to a report. It started after the "
                "last update.",
            ),
            _ticket(
                "tkt_0106",
                "Update billing address",
                "hana.novak@example.com",
                "normal",
                "solved",
                "agt_priya",
                ["billing"],
                "2026-03-02",
                "Our office moved to 12 Harbor Street, Dublin. Please use it on future invoices.",
            ),
            _ticket(
                "tkt_0107",
                "VPN drops every hour",
                "daniel.costa@example.com",
                "normal",
                "closed",
                "agt_omar",
                ["network"],
                "2026-02-20",
                "The VPN client disconnects every hour on the hour and I have to log in again.",
            ),
            _ticket(
                "tkt_0108",
                "Dark mode for the dashboard",
                "zara.okafor@example.com",
                "low",
                "pending",
                "agt_kenji",
                ["feature-request"],
                "2026-03-06",
                "Could the dashboard get a dark mode? Several of us work night shifts.",
            ),
        ]
    },  # fmt: skip
    "comments": {
        c["id"]: c
        for c in [
            _comment(
                "cmt_0101",
                "tkt_0101",
                "agt_omar",
                "public",
                "Thanks Maria, I am looking into it. Could you tell me which browser you use?",
            ),
            _comment(
                "cmt_0102",
                "tkt_0102",
                "agt_priya",
                "internal",
                "Payment provider shows two captures for the same invoice; refund of the second one pending.",
            ),
            _comment(
                "cmt_0103",
                "tkt_0103",
                "agt_sofia",
                "public",
                "Could you try exporting one month at a time and tell us whether that finishes?",
            ),
            _comment(
                "cmt_0104",
                "tkt_0106",
                "agt_priya",
                "public",
                "Done: the billing address now reads 12 Harbor Street, Dublin.",
            ),
            _comment(
                "cmt_0105",
                "tkt_0107",
                "agt_omar",
                "public",
                "The new VPN profile fixes the hourly drop. Closing this, reply if it comes back.",
            ),
            _comment(
                "cmt_0106",
                "tkt_0108",
                "agt_kenji",
                "internal",
                "Logged as a feature request for the dashboard team.",
            ),
        ]
    },  # fmt: skip
    "_counters": {"tkt": 200, "cmt": 200},
}

TicketId = Annotated[str, Field(description="ticket id, e.g. tkt_0101")]
AgentId = Annotated[str, Field(description="support agent id, e.g. agt_priya")]
Tag = Annotated[
    str, Field(pattern=r"^[a-z0-9-]+$", description="a tag in lower case with dashes, e.g. billing or vpn")
]


class Agent(BaseModel):
    id: str
    name: str
    email: str
    team: Team
    available: bool = Field(description="false while the agent is away; away agents take no new tickets")
    open_tickets: int = Field(description="tickets assigned to the agent that are open or pending")


class AgentList(BaseModel):
    agents: list[Agent]
    count: int


class Ticket(BaseModel):
    id: str
    subject: str
    description: str
    requester_email: str
    priority: Priority
    status: Status
    assignee_id: str | None = Field(description="the support agent working the ticket; null when unassigned")
    tags: list[str]
    created_on: str = Field(description="the day the ticket was opened, e.g. 2026-03-09")


class TicketSummary(BaseModel):
    id: str
    subject: str
    requester_email: str
    priority: Priority
    status: Status
    assignee_id: str | None
    tags: list[str]
    created_on: str


class TicketList(BaseModel):
    tickets: list[TicketSummary]
    count: int


class Comment(BaseModel):
    id: str
    ticket_id: str
    author: str = Field(description="the agent id of the ticket's assignee, or 'support' when unassigned")
    visibility: Visibility = Field(
        description="public: a reply the requester sees; internal: a note for staff"
    )
    body: str


class TicketDetail(Ticket):
    comments: list[Comment] = Field(description="the ticket's replies and internal notes, oldest first")


def _day(value: str, field: str) -> str:
    """An ISO day, checked; a well-formed day the calendar has not got (2026-02-30) says so."""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise ToolError(
            f"{field} {value!r} is not a valid date; give a day like 2026-03-01 (YYYY-MM-DD)"
        ) from exc


def build(path: Path | None = None) -> MCPServer:
    """A fresh server over the state at `path` (in memory when None)."""
    state = JsonState(path, SEED)
    server = MCPServer(
        "helpdesk",
        version="0.1.0",
        instructions="A support helpdesk: tickets, support agents, public replies and internal notes.",
    )
    data = state.data

    def ticket(ticket_id: str) -> dict[str, Any]:
        if ticket_id not in data["tickets"]:
            raise ToolError(f"unknown ticket {ticket_id!r}; call search_tickets or list_tickets to find ids")
        return data["tickets"][ticket_id]

    def changeable(ticket_id: str) -> dict[str, Any]:
        t = ticket(ticket_id)
        if t["status"] == "closed":
            raise ToolError(
                f"ticket {ticket_id} is closed and cannot change; open a follow-up with create_ticket instead"
            )
        return t

    def agent(agent_id: str) -> Agent:
        if agent_id not in data["agents"]:
            raise ToolError(f"unknown agent {agent_id!r}; call list_agents to find ids")
        a = data["agents"][agent_id]
        busy = sum(
            1
            for t in data["tickets"].values()
            if t["assignee_id"] == agent_id and t["status"] in ("open", "pending")
        )
        return Agent(**a, open_tickets=busy)

    def comments_of(ticket_id: str) -> list[Comment]:
        found = (c for c in data["comments"].values() if c["ticket_id"] == ticket_id)
        return [Comment(**c) for c in sorted(found, key=lambda c: c["id"])]

    def summary(t: dict[str, Any]) -> TicketSummary:
        return TicketSummary(**{k: v for k, v in t.items() if k != "description"})

    @server.tool(annotations=READ)
    async def list_tickets(
        status: Annotated[Status | None, Field(description="only tickets in this status, e.g. open")] = None,
        priority: Annotated[
            Priority | None, Field(description="only tickets of this priority, e.g. urgent")
        ] = None,
        agent_id: Annotated[
            str | None, Field(description="only tickets assigned to this support agent, e.g. agt_omar")
        ] = None,
        tag: Annotated[str | None, Field(description="only tickets carrying this tag, e.g. billing")] = None,
        created_after: Annotated[
            str | None, Field(description="only tickets opened on or after this day, e.g. 2026-03-10")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=50, description="at most this many tickets, e.g. 10")] = 20,
    ) -> TicketList:
        """List tickets, newest id first, filtered by status, priority, assignee, tag or opening day."""
        if agent_id is not None:
            agent(agent_id)
        since = _day(created_after, "created_after") if created_after else None
        found = [
            summary(t)
            for t in sorted(data["tickets"].values(), key=lambda t: t["id"], reverse=True)
            if (status is None or t["status"] == status)
            and (priority is None or t["priority"] == priority)
            and (agent_id is None or t["assignee_id"] == agent_id)
            and (tag is None or tag in t["tags"])
            and (since is None or t["created_on"] >= since)
        ]
        return TicketList(tickets=found[:limit], count=len(found[:limit]))

    @server.tool(annotations=READ)
    async def search_tickets(
        query: Annotated[
            str,
            Field(
                min_length=1,
                description="words to find in the subject, description, requester or tags, e.g. vpn",
            ),
        ],
    ) -> TicketList:
        """Find tickets whose subject, description, requester e-mail or tags contain every word of the
        query (case-insensitive)."""
        words = query.lower().split()
        found = [
            summary(t)
            for t in sorted(data["tickets"].values(), key=lambda t: t["id"], reverse=True)
            if all(
                w in f"{t['subject']} {t['description']} {t['requester_email']} {' '.join(t['tags'])}".lower()
                for w in words
            )
        ]
        return TicketList(tickets=found, count=len(found))

    @server.tool(annotations=READ)
    async def get_ticket(ticket_id: TicketId) -> TicketDetail:
        """Get one ticket with its description and all its comments."""
        return TicketDetail(**ticket(ticket_id), comments=comments_of(ticket_id))

    @server.tool(annotations=READ)
    async def list_agents(
        team: Annotated[Team | None, Field(description="only agents of this team, e.g. billing")] = None,
        available_only: Annotated[bool, Field(description="leave out agents who are away")] = False,
    ) -> AgentList:
        """List the support agents with their team, availability and number of open tickets."""
        found = [
            agent(aid)
            for aid in sorted(data["agents"])
            if (team is None or data["agents"][aid]["team"] == team)
            and (not available_only or data["agents"][aid]["available"])
        ]
        return AgentList(agents=found, count=len(found))

    @server.tool(annotations=CREATE)
    async def create_ticket(
        subject: Annotated[
            str, Field(min_length=3, max_length=120, description="a short summary, e.g. Cannot open invoices")
        ],
        description: Annotated[
            str,
            Field(
                min_length=10,
                description="the problem in the requester's words, one or more sentences, e.g. "
                "'The invoice page shows a blank screen since Monday. I use Firefox on Windows.'",
            ),
        ],
        requester_email: Annotated[
            str,
            Field(
                pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="who asked, e.g. maria.garcia@example.com"
            ),
        ],
        priority: Annotated[Priority, Field(description="low, normal, high or urgent")] = "normal",
        tags: Annotated[list[Tag] | None, Field(description="labels such as billing or vpn")] = None,
    ) -> Ticket:
        """Open a new ticket for a requester; it starts open and unassigned."""
        new = Ticket(
            id=state.next_id("tkt"),
            subject=subject,
            description=description,
            requester_email=requester_email,
            priority=priority,
            status="open",
            assignee_id=None,
            tags=sorted(set(tags or [])),
            created_on=TODAY,
        )
        data["tickets"][new.id] = new.model_dump()
        state.save()
        return new

    @server.tool(annotations=CREATE)
    async def add_comment(
        ticket_id: TicketId,
        body: Annotated[
            str,
            Field(
                min_length=2,
                description="the full text of the comment, one or more sentences, e.g. 'We have reset your "
                "password. Please sign in again and tell us if the error comes back.'",
            ),
        ],
        visibility: Annotated[
            Visibility,
            Field(description="public: a reply the requester sees; internal: a note only staff see"),
        ] = "public",
    ) -> Comment:
        """Add a public reply or an internal note to a ticket; the assignee is its author."""
        t = changeable(ticket_id)
        new = Comment(
            id=state.next_id("cmt"),
            ticket_id=ticket_id,
            author=t["assignee_id"] or "support",
            visibility=visibility,
            body=body,
        )
        data["comments"][new.id] = new.model_dump()
        state.save()
        return new

    @server.tool(annotations=UPDATE)
    async def assign_ticket(ticket_id: TicketId, agent_id: AgentId) -> Ticket:
        """Give a ticket to a support agent who is available (replaces the current assignee)."""
        t = changeable(ticket_id)
        a = agent(agent_id)
        if t["assignee_id"] == agent_id:
            raise ToolError(f"ticket {ticket_id} is already assigned to {agent_id}; nothing to change")
        if not a.available:
            raise ToolError(
                f"agent {agent_id} ({a.name}) is away and takes no new tickets; "
                "call list_agents with available_only=true to pick someone available"
            )
        t["assignee_id"] = agent_id
        state.save()
        return Ticket(**t)

    @server.tool(annotations=UPDATE)
    async def set_ticket_priority(
        ticket_id: TicketId, priority: Annotated[Priority, Field(description="low, normal, high or urgent")]
    ) -> Ticket:
        """Change a ticket's priority."""
        t = changeable(ticket_id)
        if t["priority"] == priority:
            raise ToolError(f"ticket {ticket_id} is already {priority} priority; nothing to change")
        t["priority"] = priority
        state.save()
        return Ticket(**t)

    @server.tool(annotations=UPDATE)
    async def set_ticket_status(
        ticket_id: TicketId,
        status: Annotated[
            Status, Field(description="open, pending (waiting on the requester), solved or closed")
        ],
    ) -> Ticket:
        """Move a ticket to another status. Solving needs a public reply on the ticket; closing needs it
        solved first; a closed ticket never changes."""
        t = changeable(ticket_id)
        if status == t["status"]:
            raise ToolError(f"ticket {ticket_id} is already {status}; nothing to change")
        if status == "solved" and not any(c.visibility == "public" for c in comments_of(ticket_id)):
            raise ToolError(
                f"ticket {ticket_id} has no public reply yet; add one with add_comment "
                "(visibility public) before solving it"
            )
        if status == "closed" and t["status"] != "solved":
            raise ToolError(
                f"ticket {ticket_id} is {t['status']}; only solved tickets can be closed, set it to solved first"
            )
        t["status"] = status
        state.save()
        return Ticket(**t)

    @server.tool(annotations=ADD)
    async def tag_ticket(ticket_id: TicketId, tag: Tag) -> Ticket:
        """Add a tag to a ticket (no change if it already has it)."""
        t = changeable(ticket_id)
        t["tags"] = sorted(set(t["tags"]) | {tag})
        state.save()
        return Ticket(**t)

    @server.tool(annotations=DESTROY)
    async def untag_ticket(
        ticket_id: TicketId, tag: Annotated[str, Field(description="the tag to remove, e.g. billing")]
    ) -> Ticket:
        """Remove a tag from a ticket."""
        t = changeable(ticket_id)
        if tag not in t["tags"]:
            have = ", ".join(t["tags"]) or "none"
            raise ToolError(f"ticket {ticket_id} has no tag {tag!r}; its tags are: {have}")
        t["tags"] = [x for x in t["tags"] if x != tag]
        state.save()
        return Ticket(**t)

    return server


if __name__ == "__main__":
    main("helpdesk", ENV_VAR, build)
