"""Fixtures for the episode tests: a small synthetic ticketing library and the example shop toolkit.
Stores and the loopback LLM server (`llm_server`) come from the suite's conftest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from environments.episodes.toolkit import Toolkit, load_toolkit
from toolforge.core.types import ToolAnnotations, ToolSpec

REPO = Path(__file__).resolve().parents[2]
SHOP_REF = f"{REPO}/examples/domains/shop/toolkit.py:ShopToolkit"

TICKET = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "priority": {"type": "string", "enum": ["low", "normal", "high"]},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "assignee_id": {"type": "string"},
    },
    "required": ["id", "title", "status"],
}


def _tool(
    name: str, description: str, props: dict[str, Any], required: list[str], output: Any, **ann: Any
) -> ToolSpec:
    return ToolSpec(
        name=name,
        description=description,
        input_schema={
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": False,
        },
        output_schema=output,
        annotations=ToolAnnotations(**ann),
        source="synthetic",
        origin="helpdesk",
        category="software",
        domain="helpdesk",
    )


def ticket_tools() -> list[ToolSpec]:
    s = {"type": "string"}
    return [
        _tool(
            "create_ticket",
            "Open a support ticket.",
            {"title": s, "priority": {"type": "string", "enum": ["low", "normal", "high"]}, "assignee_id": s},
            ["title", "priority"],
            TICKET,
            read_only=False,
            destructive=False,
        ),
        _tool(
            "get_ticket", "Look up a ticket by id.", {"ticket_id": s}, ["ticket_id"], TICKET, read_only=True
        ),
        _tool(
            "list_tickets",
            "List tickets, optionally by status.",
            {"status": {"type": "string", "enum": ["open", "closed"]}},
            [],
            {
                "type": "object",
                "properties": {"tickets": {"type": "array", "items": TICKET}, "count": {"type": "integer"}},
                "required": ["tickets", "count"],
            },
            read_only=True,
        ),
        _tool(
            "close_ticket",
            "Close a ticket.",
            {"ticket_id": s, "resolution": s},
            ["ticket_id", "resolution"],
            TICKET,
            read_only=False,
            destructive=True,
        ),
        _tool(
            "assign_ticket",
            "Assign a ticket to an agent.",
            {"ticket_id": s, "assignee_id": s},
            ["ticket_id", "assignee_id"],
            TICKET,
            read_only=False,
        ),
        _tool(
            "get_assignee",
            "Look up a support agent by id.",
            {"assignee_id": s},
            ["assignee_id"],
            {
                "type": "object",
                "properties": {"id": s, "name": s, "email": {"type": "string", "format": "email"}},
                "required": ["id", "name"],
            },
            read_only=True,
        ),
    ]


@pytest.fixture
def tickets() -> list[ToolSpec]:
    return ticket_tools()


@pytest.fixture
def shop_ref() -> str:
    return SHOP_REF


@pytest.fixture
def shop() -> type[Toolkit]:
    return load_toolkit(SHOP_REF)
