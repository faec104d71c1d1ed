"""Flight bookings: flights with fares and seats per cabin, travellers, bookings, bags, seats and
special requests.

Run: ``python -m examples.mcp_servers.travel [--state FILE]`` (or by path); state file also from
``TRAVEL_STATE_FILE``. Money is in integer euro cents (the seed below writes whole euros); dates are ``YYYY-MM-DD`` and times ``HH:MM`` at the
departure airport. The world's clock stands still at ``NOW``, so what has departed never changes.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

if __package__ in (None, ""):  # run by path: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from examples.mcp_servers._common import ADD, CREATE, DESTROY, READ, UPDATE, JsonState, main

ENV_VAR = "TRAVEL_STATE_FILE"
# A fixed "now", so a replay on a fresh copy of the world sees the same flights as departed.
NOW = datetime(2026, 3, 16, 9, 30)
MAX_BAGS = 3
CANCEL_FEE_CENTS = 5000  # economy and premium, waived for gold and platinum travellers
REQUEST_CUTOFF_HOURS = 48
CABINS = ("economy", "premium", "business")
# Seat rows per cabin (letters A-F everywhere): a seat belongs to exactly one cabin.
ROWS = {"business": (1, 4), "premium": (5, 9), "economy": (10, 39)}

Cabin = Literal["economy", "premium", "business"]
Tier = Literal["none", "silver", "gold", "platinum"]


def _flight(
    fid: str,
    number: str,
    route: str,
    day: str,
    times: str,
    fares: tuple[int, int, int],
    seats: tuple[int, int, int],
) -> dict[str, Any]:
    origin, destination = route.split("-")
    departure, arrival = times.split("-")
    return {
        "id": fid,
        "flight_number": number,
        "origin": origin,
        "destination": destination,
        "date": day,
        "departure_time": departure,
        "arrival_time": arrival,
        "fares": {cabin: euros * 100 for cabin, euros in zip(CABINS, fares, strict=True)},
        "seats_left": dict(zip(CABINS, seats, strict=True)),
    }


def _traveller(tid: str, name: str, tier: str, home: str) -> dict[str, Any]:
    email = name.lower().replace(" ", ".") + "@example.com"
    return {"id": tid, "name": name, "email": email, "loyalty_tier": tier, "home_airport": home}


def _booking(bid: str, tid: str, fid: str, cabin: str, fare: int, bags: int, seat: str) -> dict[str, Any]:
    return {
        "id": bid,
        "traveller_id": tid,
        "flight_id": fid,
        "cabin": cabin,
        "fare_cents": fare * 100,
        "status": "confirmed",
        "checked_bags": bags,
        "seat": seat,
        "cancel_reason": "",
    }


SEED: dict[str, Any] = {
    # A small network (LHR, CDG, AMS, LIS, MAD) over a few days; flt_0107 and flt_0108 have
    # departed (before NOW), flt_0111 leaves within the 48 hours that close special requests,
    # flt_0103 has no business seats and flt_0110 no economy seats left.
    "flights": {
        f["id"]: f
        for f in [
            _flight(
                "flt_0101", "BA 316", "LHR-CDG", "2026-03-20", "07:25-09:40", (129, 219, 489), (42, 8, 4)
            ),
            _flight(
                "flt_0102", "AF 1681", "CDG-LIS", "2026-03-20", "12:10-13:55", (145, 240, 610), (17, 6, 2)
            ),
            _flight(
                "flt_0103", "KL 1002", "AMS-LHR", "2026-03-20", "16:40-17:05", (98, 180, 420), (23, 3, 0)
            ),
            _flight(
                "flt_0104", "TP 1351", "LIS-LHR", "2026-03-22", "10:05-12:50", (156, 275, 720), (5, 4, 6)
            ),
            _flight(
                "flt_0105", "IB 3163", "MAD-AMS", "2026-03-22", "18:30-21:05", (112, 205, 530), (31, 9, 3)
            ),
            _flight(
                "flt_0106", "BA 458", "LHR-MAD", "2026-03-22", "08:50-12:15", (138, 249, 575), (26, 7, 5)
            ),
            _flight("flt_0107", "KL 1579", "AMS-CDG", "2026-03-12", "09:00-10:15", (89, 160, 390), (0, 0, 0)),
            _flight(
                "flt_0108", "AF 1380", "CDG-AMS", "2026-03-16", "06:55-08:10", (92, 165, 395), (11, 2, 1)
            ),
            _flight(
                "flt_0109", "TP 1027", "LIS-MAD", "2026-03-25", "14:20-16:30", (84, 150, 365), (36, 10, 4)
            ),
            _flight(
                "flt_0110", "IB 3170", "MAD-LHR", "2026-03-25", "07:45-09:05", (149, 262, 640), (0, 5, 2)
            ),
            _flight(
                "flt_0111", "BA 428", "LHR-AMS", "2026-03-17", "18:20-20:35", (104, 190, 455), (19, 4, 3)
            ),
        ]
    },  # fmt: skip
    "travellers": {
        t["id"]: t
        for t in [
            _traveller("trv_amelia", "Amelia Hart", "gold", "LHR"),
            _traveller("trv_bruno", "Bruno Costa", "none", "LIS"),
            _traveller("trv_chiara", "Chiara Ricci", "silver", "CDG"),
            _traveller("trv_dev", "Dev Malhotra", "platinum", "AMS"),
            _traveller("trv_elena", "Elena Navarro", "none", "MAD"),
            _traveller("trv_farid", "Farid Haddad", "silver", "LHR"),
        ]
    },
    # Ids apart from the sequence new bookings and requests take (bkg_0001, req_0001, ...).
    "bookings": {
        b["id"]: b
        for b in [
            _booking("bkg_0901", "trv_amelia", "flt_0101", "business", 489, 2, "2A"),
            _booking("bkg_0902", "trv_bruno", "flt_0104", "economy", 156, 1, ""),
            _booking("bkg_0903", "trv_chiara", "flt_0102", "premium", 240, 0, "6C"),
            _booking("bkg_0904", "trv_dev", "flt_0107", "economy", 89, 1, "14F"),
            _booking("bkg_0905", "trv_elena", "flt_0106", "economy", 138, 0, "21D"),
            _booking("bkg_0906", "trv_farid", "flt_0103", "economy", 98, 3, ""),
            _booking("bkg_0907", "trv_amelia", "flt_0104", "premium", 275, 1, "7B"),
            _booking("bkg_0908", "trv_chiara", "flt_0111", "economy", 104, 1, "18A"),
        ]
    },
    "requests": {
        "req_0901": {
            "id": "req_0901",
            "booking_id": "bkg_0903",
            "details": "Vegetarian meal please, no mushrooms; I am allergic to them.",
            "status": "noted",
        },
    },
    "_counters": {},
}

TravellerId = Annotated[str, Field(description="traveller id, e.g. trv_amelia")]
FlightId = Annotated[str, Field(description="flight id, e.g. flt_0101 (from search_flights)")]
BookingId = Annotated[str, Field(description="booking id, e.g. bkg_0901")]
Airport = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="IATA airport code, e.g. LHR or LIS")]


class Fares(BaseModel):
    economy: int
    premium: int
    business: int


class Flight(BaseModel):
    id: str
    flight_number: str
    origin: str
    destination: str
    date: str = Field(description="departure date, YYYY-MM-DD")
    departure_time: str = Field(description="local time HH:MM")
    arrival_time: str = Field(description="local time HH:MM")
    fares: Fares = Field(description="fare per cabin in euro cents")
    seats_left: Fares = Field(description="seats left per cabin")
    departed: bool


class FlightList(BaseModel):
    flights: list[Flight]
    count: int


class Traveller(BaseModel):
    id: str
    name: str
    email: str
    loyalty_tier: str = Field(description="none, silver, gold or platinum")
    home_airport: str


class Booking(BaseModel):
    id: str
    traveller_id: str
    flight_id: str
    cabin: str = Field(description="economy, premium or business")
    fare_cents: int
    status: str = Field(description="confirmed or cancelled")
    checked_bags: int
    seat: str = Field(description="seat such as 14C; empty when none is assigned")
    cancel_reason: str


class BookingList(BaseModel):
    bookings: list[Booking]
    count: int


class Cancellation(BaseModel):
    """The cancelled booking with what the traveller gets back."""

    id: str
    traveller_id: str
    flight_id: str
    status: str = Field(description="cancelled")
    refund_cents: int
    fee_cents: int
    fare_cents: int
    cabin: str
    cancel_reason: str


class SpecialRequest(BaseModel):
    id: str
    booking_id: str
    details: str
    status: str = Field(description="noted")


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            raise ToolError(
                f"{value!r} is not a date on the calendar; ask the traveller for another"
            ) from exc
        raise ToolError(f"date must look like 2026-03-20 (YYYY-MM-DD), got {value!r}") from exc


def _departs(f: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(f"{f['date']}T{f['departure_time']}")


def build(path: Path | None = None) -> MCPServer:
    """A fresh server over the state at `path` (in memory when None)."""
    state = JsonState(path, SEED)
    server = MCPServer(
        "travel", version="0.1.0", instructions="Flight bookings: flights, travellers, bookings."
    )
    data = state.data

    def flight(fid: str) -> dict[str, Any]:
        if fid not in data["flights"]:
            raise ToolError(f"unknown flight {fid!r}; call search_flights to find flight ids")
        return data["flights"][fid]

    def traveller(tid: str) -> dict[str, Any]:
        if tid not in data["travellers"]:
            raise ToolError(f"unknown traveller {tid!r}; ask the traveller for their traveller id")
        return data["travellers"][tid]

    def booking(bid: str) -> dict[str, Any]:
        if bid not in data["bookings"]:
            raise ToolError(f"unknown booking {bid!r}; call list_bookings with the traveller id to find it")
        return data["bookings"][bid]

    def flight_out(f: dict[str, Any]) -> Flight:
        return Flight(**f, departed=_departs(f) <= NOW)

    def changeable(b: dict[str, Any]) -> dict[str, Any]:
        """The booking's flight, when the booking can still change: confirmed and not departed."""
        if b["status"] != "confirmed":
            raise ToolError(f"booking {b['id']} is cancelled; book_flight makes a new booking")
        f = flight(b["flight_id"])
        if _departs(f) <= NOW:
            raise ToolError(
                f"flight {f['flight_number']} of booking {b['id']} departed on {f['date']}; it can no longer change"
            )
        return f

    def cancellation(b: dict[str, Any], fee: int, refund: int) -> Cancellation:
        kept = {k: v for k, v in b.items() if k in Cancellation.model_fields}
        return Cancellation(**kept, fee_cents=fee, refund_cents=refund)

    def take_seat(f: dict[str, Any], cabin: str) -> None:
        left = f["seats_left"][cabin]
        if left <= 0:
            others = ", ".join(f"{c} ({n} left)" for c, n in f["seats_left"].items() if n > 0 and c != cabin)
            hint = f"offer {others} or " if others else ""
            raise ToolError(f"no {cabin} seats left on {f['id']}; {hint}search_flights for another flight")
        f["seats_left"][cabin] = left - 1

    @server.tool(annotations=READ)
    async def search_flights(
        origin: Airport,
        destination: Airport,
        date: Annotated[str, Field(description="departure date YYYY-MM-DD, e.g. 2026-03-20")],
        cabin: Annotated[Cabin, Field(description="cabin whose fare and seats to check")] = "economy",
        max_fare_cents: Annotated[
            int | None,
            Field(gt=0, description="highest fare in euro cents for that cabin, e.g. 20000 for 200 euros"),
        ] = None,
    ) -> FlightList:
        """Find flights on a route and day that still have seats in the cabin, cheapest first."""
        day = _day(date)
        if origin == destination:
            raise ToolError("origin and destination are the same airport; ask where the traveller flies to")
        if day < NOW.date():
            raise ToolError(f"{date} is in the past (today is {NOW.date()}); search from today on")
        found = [
            flight_out(f)
            for f in sorted(data["flights"].values(), key=lambda f: (f["fares"][cabin], f["id"]))
            if f["origin"] == origin
            and f["destination"] == destination
            and f["date"] == day.isoformat()
            and f["seats_left"][cabin] > 0
            and _departs(f) > NOW
            and (max_fare_cents is None or f["fares"][cabin] <= max_fare_cents)
        ]
        return FlightList(flights=found, count=len(found))

    @server.tool(annotations=READ)
    async def get_flight(flight_id: FlightId) -> Flight:
        """Get one flight with its times, fares and seats left per cabin."""
        return flight_out(flight(flight_id))

    @server.tool(annotations=READ)
    async def get_traveller(traveller_id: TravellerId) -> Traveller:
        """Get a traveller's profile: name, e-mail, loyalty tier and home airport."""
        return Traveller(**traveller(traveller_id))

    @server.tool(annotations=READ)
    async def list_bookings(
        traveller_id: TravellerId,
        status: Annotated[
            Literal["confirmed", "cancelled"] | None, Field(description="only bookings in this status")
        ] = None,
    ) -> BookingList:
        """List a traveller's bookings, optionally only confirmed or only cancelled ones."""
        traveller(traveller_id)
        found = [
            Booking(**b)
            for b in sorted(data["bookings"].values(), key=lambda b: b["id"])
            if b["traveller_id"] == traveller_id and (status is None or b["status"] == status)
        ]
        return BookingList(bookings=found, count=len(found))

    @server.tool(annotations=READ)
    async def get_booking(booking_id: BookingId) -> Booking:
        """Get one booking: flight, cabin, fare paid, bags, seat and status."""
        return Booking(**booking(booking_id))

    @server.tool(annotations=CREATE)
    async def book_flight(traveller_id: TravellerId, flight_id: FlightId, cabin: Cabin) -> Booking:
        """Book a seat in a cabin of a flight for a traveller at the cabin's current fare."""
        traveller(traveller_id)
        f = flight(flight_id)
        if _departs(f) <= NOW:
            raise ToolError(f"flight {flight_id} departed on {f['date']}; search_flights for a later date")
        for b in data["bookings"].values():
            if (
                b["traveller_id"] == traveller_id
                and b["flight_id"] == flight_id
                and b["status"] == "confirmed"
            ):
                raise ToolError(
                    f"{traveller_id} already holds booking {b['id']} on {flight_id}; change_cabin on it instead"
                )
        take_seat(f, cabin)
        new = Booking(
            id=state.next_id("bkg"),
            traveller_id=traveller_id,
            flight_id=flight_id,
            cabin=cabin,
            fare_cents=f["fares"][cabin],
            status="confirmed",
            checked_bags=0,
            seat="",
            cancel_reason="",
        )
        data["bookings"][new.id] = new.model_dump()
        state.save()
        return new

    @server.tool(annotations=UPDATE)
    async def change_cabin(booking_id: BookingId, cabin: Cabin) -> Booking:
        """Move a booking to another cabin of the same flight at that cabin's fare; the seat is released."""
        b = booking(booking_id)
        f = changeable(b)
        if b["cabin"] == cabin:
            raise ToolError(
                f"booking {booking_id} is already in {cabin}; ask which cabin the traveller wants"
            )
        take_seat(f, cabin)
        f["seats_left"][b["cabin"]] += 1
        b.update(cabin=cabin, fare_cents=f["fares"][cabin], seat="")
        state.save()
        return Booking(**b)

    @server.tool(annotations=CREATE)
    async def add_bags(
        booking_id: BookingId,
        bags: Annotated[int, Field(ge=1, le=MAX_BAGS, description="how many checked bags to add, 1 to 3")],
    ) -> Booking:
        """Add checked bags to a booking (at most 3 in all per booking)."""
        b = booking(booking_id)
        changeable(b)
        room = MAX_BAGS - b["checked_bags"]
        if bags > room:
            raise ToolError(
                f"booking {booking_id} has {b['checked_bags']} checked bags and allows {MAX_BAGS}; add at most {room}"
            )
        b["checked_bags"] += bags
        state.save()
        return Booking(**b)

    @server.tool(annotations=UPDATE)
    async def assign_seat(
        booking_id: BookingId,
        seat: Annotated[
            str, Field(pattern=r"^([1-9]|[1-3][0-9])[A-F]$", description="row and letter, e.g. 14C")
        ],
    ) -> Booking:
        """Give a booking a seat in its own cabin (business rows 1-4, premium 5-9, economy 10-39; letters A-F)."""
        b = booking(booking_id)
        changeable(b)
        row = int(seat[:-1])
        low, high = ROWS[b["cabin"]]
        if not low <= row <= high:
            raise ToolError(
                f"seat {seat} is not in {b['cabin']}; pick a seat in rows {low}-{high}, letters A-F"
            )
        for other in data["bookings"].values():
            taken = (
                other["flight_id"] == b["flight_id"]
                and other["seat"] == seat
                and other["status"] == "confirmed"
            )
            if taken and other["id"] != booking_id:
                raise ToolError(
                    f"seat {seat} is taken on {b['flight_id']}; pick another seat in rows {low}-{high}"
                )
        b["seat"] = seat
        state.save()
        return Booking(**b)

    @server.tool(annotations=DESTROY)
    async def cancel_booking(
        booking_id: BookingId,
        reason: Annotated[
            str,
            Field(
                min_length=10,
                description="why the traveller cancels, in their words, e.g. 'The conference was moved to May.'",
            ),
        ],
    ) -> Cancellation:
        """Cancel a booking before departure; the fare is refunded less a 50 euro fee (no fee in business or for gold and platinum travellers)."""
        b = booking(booking_id)
        fee = (
            0
            if b["cabin"] == "business"
            or traveller(b["traveller_id"])["loyalty_tier"] in ("gold", "platinum")
            else CANCEL_FEE_CENTS
        )
        if b["status"] == "cancelled":
            return cancellation(b, fee=0, refund=0)
        f = changeable(b)
        f["seats_left"][b["cabin"]] += 1
        b.update(status="cancelled", seat="", cancel_reason=reason)
        state.save()
        return cancellation(b, fee=fee, refund=max(b["fare_cents"] - fee, 0))

    @server.tool(annotations=ADD)
    async def add_special_request(
        booking_id: BookingId,
        details: Annotated[
            str,
            Field(
                min_length=15,
                description="the request in the traveller's words, e.g. 'Gluten-free meal please; I have coeliac disease.'",
            ),
        ],
    ) -> SpecialRequest:
        """Note a special request on a booking for the crew (a meal, wheelchair help, travelling with an infant, ...); requests close 48 hours before departure."""
        b = booking(booking_id)
        f = changeable(b)
        if (_departs(f) - NOW).total_seconds() < REQUEST_CUTOFF_HOURS * 3600:
            raise ToolError(
                f"special requests close {REQUEST_CUTOFF_HOURS} hours before departure "
                f"({f['date']} {f['departure_time']}); tell the traveller to ask at the check-in desk"
            )
        for r in data["requests"].values():
            if r["booking_id"] == booking_id and r["details"] == details:
                return SpecialRequest(**r)  # the same request again: already noted
        new = SpecialRequest(id=state.next_id("req"), booking_id=booking_id, details=details, status="noted")
        data["requests"][new.id] = new.model_dump()
        state.save()
        return new

    return server


if __name__ == "__main__":
    main("travel", ENV_VAR, build)
