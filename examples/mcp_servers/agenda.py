"""A calendar: calendars, events with attendees, conflicts and free slots.

Run: ``python -m examples.mcp_servers.agenda [--state FILE]`` (or by path); state file also from
``AGENDA_STATE_FILE``. Times are ISO 8601 strings (``2026-12-01T09:00``).
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field

if __package__ in (None, ""):  # run by path: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from examples.mcp_servers._common import ADD, CREATE, DESTROY, READ, UPDATE, JsonState, main

ENV_VAR = "AGENDA_STATE_FILE"


def _event(eid: str, cal: str, title: str, start: str, end: str, where: str) -> dict[str, Any]:
    return {
        "id": eid,
        "calendar_id": cal,
        "title": title,
        "start": start,
        "end": end,
        "location": where,
        "attendees": ["ada@example.com"],
        "status": "confirmed",
    }


SEED: dict[str, Any] = {
    "calendars": {
        "cal_work": {"id": "cal_work", "name": "Work", "owner": "ada@example.com", "timezone": "UTC"},
        "cal_home": {"id": "cal_home", "name": "Home", "owner": "ada@example.com", "timezone": "UTC"},
        "cal_team": {"id": "cal_team", "name": "Team", "owner": "grace@example.com", "timezone": "UTC"},
    },
    "events": {
        "evt_0001": {
            "id": "evt_0001",
            "calendar_id": "cal_work",
            "title": "Weekly planning",
            "start": "2026-12-01T09:00",
            "end": "2026-12-01T10:00",
            "location": "Room 4",
            "attendees": ["ada@example.com", "grace@example.com"],
            "status": "confirmed",
        },
        "evt_0002": {
            "id": "evt_0002",
            "calendar_id": "cal_work",
            "title": "Design review",
            "start": "2026-12-01T14:00",
            "end": "2026-12-01T15:30",
            "location": "",
            "attendees": ["ada@example.com"],
            "status": "confirmed",
        },
        # More of the month, on the other calendars; ids apart from the sequence new events take.
        **{
            e["id"]: e
            for e in [
                _event(
                    "evt_0101", "cal_home", "Dentist", "2026-12-02T08:30", "2026-12-02T09:15", "Smile Clinic"
                ),
                _event(
                    "evt_0102",
                    "cal_home",
                    "Dinner with Charles",
                    "2026-12-04T19:00",
                    "2026-12-04T21:00",
                    "Bistro 9",
                ),
                _event(
                    "evt_0103", "cal_team", "Sprint demo", "2026-12-03T15:00", "2026-12-03T16:00", "Room 2"
                ),
                _event(
                    "evt_0104", "cal_team", "Retrospective", "2026-12-03T16:30", "2026-12-03T17:30", "Room 2"
                ),
                _event(
                    "evt_0105",
                    "cal_team",
                    "Onboarding: Katherine",
                    "2026-12-07T10:00",
                    "2026-12-07T11:30",
                    "Room 4",
                ),
            ]
        },
    },
    "_counters": {"evt": 2},
}

IsoTime = Annotated[str, Field(description="ISO 8601 local time, e.g. 2026-12-01T09:00")]
EventId = Annotated[str, Field(description="event id, e.g. evt_0001")]
CalendarId = Annotated[str, Field(description="calendar id, e.g. cal_work")]


class Calendar(BaseModel):
    id: str
    name: str
    owner: str
    timezone: str


class CalendarList(BaseModel):
    calendars: list[Calendar]


class Event(BaseModel):
    id: str
    calendar_id: str
    title: str
    start: str
    end: str
    location: str
    attendees: list[str]
    status: str = Field(description="confirmed or cancelled")


class EventList(BaseModel):
    events: list[Event]
    count: int


class Slot(BaseModel):
    start: str
    end: str


class SlotList(BaseModel):
    day: str
    slots: list[Slot]


def _time(value: str, field: str) -> datetime:
    """A naive time in the calendars' zone (UTC): an offset given with it is applied, so stored
    and asked-for times always compare."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?", value.strip()):
            # Well formed but not on the calendar (2026-11-31): say so, not "wrong format".
            raise ToolError(
                f"{field} {value!r} is not a valid date or time ({exc}); ask for another"
            ) from exc
        raise ToolError(f"{field} must be an ISO 8601 time like 2026-12-01T09:00, got {value!r}") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def build(path: Path | None = None) -> MCPServer:
    """A fresh server over the state at `path` (in memory when None)."""
    state = JsonState(path, SEED)
    server = MCPServer("agenda", version="0.1.0", instructions="A calendar with events and attendees.")

    def calendar(calendar_id: str) -> dict[str, Any]:
        if calendar_id not in state.data["calendars"]:
            raise ToolError(f"unknown calendar {calendar_id!r}; call list_calendars for valid ids")
        return state.data["calendars"][calendar_id]

    def event(event_id: str) -> dict[str, Any]:
        if event_id not in state.data["events"]:
            raise ToolError(f"unknown event {event_id!r}; call list_events to find ids")
        return state.data["events"][event_id]

    def active(calendar_id: str) -> list[dict[str, Any]]:
        evs = [e for e in state.data["events"].values() if e["calendar_id"] == calendar_id]
        return sorted((e for e in evs if e["status"] == "confirmed"), key=lambda e: e["start"])

    def overlapping(calendar_id: str, start: datetime, end: datetime, skip: str = "") -> list[Event]:
        return [
            Event(**e)
            for e in active(calendar_id)
            if e["id"] != skip and _time(e["start"], "start") < end and start < _time(e["end"], "end")
        ]

    @server.tool(annotations=READ)
    async def list_calendars() -> CalendarList:
        """List the calendars the user can see."""
        return CalendarList(calendars=[Calendar(**c) for c in state.data["calendars"].values()])

    @server.tool(annotations=READ)
    async def list_events(
        calendar_id: CalendarId,
        start_after: Annotated[str | None, Field(description="only events starting at or after")] = None,
        end_before: Annotated[str | None, Field(description="only events ending at or before")] = None,
        include_cancelled: bool = False,
    ) -> EventList:
        """List a calendar's events in time order, optionally within a window."""
        calendar(calendar_id)
        events = sorted(
            (e for e in state.data["events"].values() if e["calendar_id"] == calendar_id),
            key=lambda e: e["start"],
        )
        if not include_cancelled:
            events = [e for e in events if e["status"] == "confirmed"]
        if start_after:
            events = [e for e in events if _time(e["start"], "start") >= _time(start_after, "start_after")]
        if end_before:
            events = [e for e in events if _time(e["end"], "end") <= _time(end_before, "end_before")]
        return EventList(events=[Event(**e) for e in events], count=len(events))

    @server.tool(annotations=READ)
    async def get_event(event_id: EventId) -> Event:
        """Get one event by id."""
        return Event(**event(event_id))

    @server.tool(annotations=CREATE)
    async def create_event(
        calendar_id: CalendarId,
        title: Annotated[str, Field(min_length=1, description="event title")],
        start: IsoTime,
        end: IsoTime,
        location: str = "",
        attendees: Annotated[list[str] | None, Field(description="attendee e-mail addresses")] = None,
        allow_conflict: bool = False,
    ) -> Event:
        """Create an event. Fails on overlap with a confirmed event unless allow_conflict is true."""
        calendar(calendar_id)
        t0, t1 = _time(start, "start"), _time(end, "end")
        if t1 <= t0:
            raise ToolError("end must be after start")
        clash = overlapping(calendar_id, t0, t1)
        if clash and not allow_conflict:
            raise ToolError(f"overlaps {', '.join(e.id for e in clash)}; pick another time or allow_conflict")
        new = Event(
            id=state.next_id("evt"),
            calendar_id=calendar_id,
            title=title,
            start=t0.isoformat(timespec="minutes"),
            end=t1.isoformat(timespec="minutes"),
            location=location,
            attendees=sorted(set(attendees or [])),
            status="confirmed",
        )
        state.data["events"][new.id] = new.model_dump()
        state.save()
        return new

    @server.tool(annotations=UPDATE)
    async def update_event(
        event_id: EventId,
        title: str | None = None,
        start: Annotated[str | None, Field(description="new ISO 8601 start")] = None,
        end: Annotated[str | None, Field(description="new ISO 8601 end")] = None,
        location: str | None = None,
    ) -> Event:
        """Change an event's title, time or location; unspecified fields keep their value."""
        e = dict(event(event_id))
        if e["status"] != "confirmed":
            raise ToolError(f"event {event_id} is cancelled and cannot be changed")
        if title is not None:
            e["title"] = title
        if location is not None:
            e["location"] = location
        t0 = _time(start or e["start"], "start")
        t1 = _time(end or e["end"], "end")
        if t1 <= t0:
            raise ToolError("end must be after start")
        if clash := overlapping(e["calendar_id"], t0, t1, skip=event_id):
            raise ToolError(f"overlaps {', '.join(c.id for c in clash)}; pick another time")
        e["start"], e["end"] = t0.isoformat(timespec="minutes"), t1.isoformat(timespec="minutes")
        state.data["events"][event_id] = e
        state.save()
        return Event(**e)

    @server.tool(annotations=DESTROY)
    async def cancel_event(event_id: EventId) -> Event:
        """Cancel an event (it stays listed with status 'cancelled' when include_cancelled is set)."""
        e = event(event_id)
        e["status"] = "cancelled"
        state.save()
        return Event(**e)

    @server.tool(annotations=ADD)
    async def add_attendee(
        event_id: EventId, email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    ) -> Event:
        """Invite someone to an event (no change if already invited)."""
        e = event(event_id)
        e["attendees"] = sorted(set(e["attendees"]) | {email})
        state.save()
        return Event(**e)

    @server.tool(annotations=DESTROY)
    async def remove_attendee(event_id: EventId, email: str) -> Event:
        """Remove someone from an event's attendees."""
        e = event(event_id)
        if email not in e["attendees"]:
            raise ToolError(f"{email} is not an attendee of {event_id}")
        e["attendees"] = [a for a in e["attendees"] if a != email]
        state.save()
        return Event(**e)

    @server.tool(annotations=READ)
    async def check_conflicts(calendar_id: CalendarId, start: IsoTime, end: IsoTime) -> EventList:
        """List the confirmed events that overlap a time window."""
        calendar(calendar_id)
        clash = overlapping(calendar_id, _time(start, "start"), _time(end, "end"))
        return EventList(events=clash, count=len(clash))

    @server.tool(annotations=READ)
    async def find_free_slots(
        calendar_id: CalendarId,
        day: Annotated[str, Field(description="the date, e.g. 2026-12-01")],
        duration_minutes: Annotated[int, Field(gt=0, le=600)] = 30,
        day_start_hour: Annotated[int, Field(ge=0, le=23)] = 9,
        day_end_hour: Annotated[int, Field(ge=1, le=24)] = 17,
    ) -> SlotList:
        """Find free slots of at least duration_minutes within working hours of one day."""
        calendar(calendar_id)
        d = _time(day, "day").replace(hour=0, minute=0)
        cursor, stop = d + timedelta(hours=day_start_hour), d + timedelta(hours=day_end_hour)
        need = timedelta(minutes=duration_minutes)
        slots: list[Slot] = []
        for e in active(calendar_id):
            s, t = _time(e["start"], "start"), _time(e["end"], "end")
            if t <= cursor or s >= stop:
                continue
            if s - cursor >= need:
                slots.append(
                    Slot(start=cursor.isoformat(timespec="minutes"), end=s.isoformat(timespec="minutes"))
                )
            cursor = max(cursor, t)
        if stop - cursor >= need:
            slots.append(
                Slot(start=cursor.isoformat(timespec="minutes"), end=stop.isoformat(timespec="minutes"))
            )
        return SlotList(day=d.date().isoformat(), slots=slots)

    return server


if __name__ == "__main__":
    main("agenda", ENV_VAR, build)
