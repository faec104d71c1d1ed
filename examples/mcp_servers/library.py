"""A public library: a catalog with copies, members with loan limits, loans, holds, fines.

Run: ``python -m examples.mcp_servers.library [--state FILE]`` (or by path); state file also from
``LIBRARY_STATE_FILE``. Dates are ISO 8601 days (``2026-03-16``); the library's clock stands still
at the seeded ``today`` so an episode and its replay agree. Money is in integer cents.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

if __package__ in (None, ""):  # run by path: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from examples.mcp_servers._common import ACTION, CREATE, DESTROY, READ, JsonState, main

ENV_VAR = "LIBRARY_STATE_FILE"

Subject = Literal["fiction", "science", "history", "children", "cooking", "travel"]
Tier = Literal["basic", "standard", "premium"]
LOAN_LIMITS: dict[str, int] = {"basic": 2, "standard": 5, "premium": 10}
MAX_RENEWALS = 2
RENEWAL_DAYS = 14
LATE_FEE_CENTS = 25  # per day late
FINE_BLOCK_CENTS = 500  # unpaid fines above this stop new checkouts


def _book(
    bid: str, title: str, author: str, isbn: str, year: int, subject: str, copies: int
) -> dict[str, Any]:
    # `available` is set below from the seeded loans, so the two always agree.
    return {
        "id": bid,
        "title": title,
        "author": author,
        "isbn": isbn,
        "year": year,
        "subject": subject,
        "copies_total": copies,
        "copies_available": copies,
    }


def _member(mid: str, name: str, email: str, tier: str, joined: str) -> dict[str, Any]:
    return {"id": mid, "name": name, "email": email, "tier": tier, "joined_on": joined}


def _loan(
    lid: str, mid: str, bid: str, out: str, due: str, renewals: int = 0, back: str | None = None
) -> dict[str, Any]:
    return {
        "id": lid,
        "member_id": mid,
        "book_id": bid,
        "checked_out_on": out,
        "due_on": due,
        "renewals": renewals,
        "status": "returned" if back else "active",
        "returned_on": back,
        "fine_cents": 0,
    }


def _hold(hid: str, mid: str, bid: str, placed: str) -> dict[str, Any]:
    return {"id": hid, "member_id": mid, "book_id": bid, "placed_on": placed, "status": "waiting"}


def _fine(fid: str, mid: str, amount: int, paid: int, what: str) -> dict[str, Any]:
    return {"id": fid, "member_id": mid, "amount_cents": amount, "paid_cents": paid, "description": what}


def _seed() -> dict[str, Any]:
    books = [
        _book("bk_dune", "Dune", "Frank Herbert", "9780441172719", 1965, "fiction", 3),
        _book("bk_middlemarch", "Middlemarch", "George Eliot", "9780141439549", 1871, "fiction", 2),
        _book("bk_hobbit", "The Hobbit", "J. R. R. Tolkien", "9780547928227", 1937, "children", 2),
        _book("bk_gruffalo", "The Gruffalo", "Julia Donaldson", "9780333710937", 1999, "children", 2),
        _book("bk_cosmos", "Cosmos", "Carl Sagan", "9780345539434", 1980, "science", 2),
        _book(
            "bk_brief_history",
            "A Brief History of Time",
            "Stephen Hawking",
            "9780553380163",
            1988,
            "science",
            1,
        ),
        _book("bk_sapiens", "Sapiens", "Yuval Noah Harari", "9780062316097", 2011, "history", 3),
        _book("bk_guns_august", "The Guns of August", "Barbara Tuchman", "9780345476098", 1962, "history", 1),
        _book("bk_salt_fat", "Salt, Fat, Acid, Heat", "Samin Nosrat", "9781476753836", 2017, "cooking", 1),
        _book("bk_patagonia", "In Patagonia", "Bruce Chatwin", "9780142437193", 1977, "travel", 1),
    ]
    members = [
        _member("mem_nadia", "Nadia Rahman", "nadia.rahman@example.org", "standard", "2021-04-09"),
        _member("mem_tomas", "Tomas Ruiz", "tomas.ruiz@example.org", "premium", "2018-09-22"),
        _member("mem_priya", "Priya Natarajan", "priya.n@example.org", "standard", "2024-01-15"),
        _member("mem_owen", "Owen Fletcher", "owen.fletcher@example.org", "standard", "2019-06-03"),
        _member("mem_lena", "Lena Vogel", "lena.vogel@example.org", "basic", "2025-11-30"),
        _member("mem_kofi", "Kofi Mensah", "kofi.mensah@example.org", "premium", "2016-02-11"),
    ]
    # Ids apart from the sequence new records take (loan_0001, hold_0001, ...).
    loans = [
        _loan("loan_0901", "mem_nadia", "bk_dune", "2026-03-02", "2026-03-23"),
        _loan("loan_0902", "mem_nadia", "bk_sapiens", "2026-01-19", "2026-03-20", renewals=2),
        _loan("loan_0903", "mem_lena", "bk_hobbit", "2026-02-16", "2026-03-23", renewals=1),
        _loan("loan_0904", "mem_lena", "bk_sapiens", "2026-02-16", "2026-03-09"),
        _loan("loan_0905", "mem_owen", "bk_brief_history", "2026-02-20", "2026-03-13"),
        _loan("loan_0906", "mem_tomas", "bk_hobbit", "2026-03-05", "2026-03-26"),
        _loan("loan_0907", "mem_kofi", "bk_sapiens", "2026-03-10", "2026-03-31"),
        _loan("loan_0908", "mem_kofi", "bk_dune", "2026-03-01", "2026-03-22"),
        _loan("loan_0909", "mem_priya", "bk_cosmos", "2026-02-02", "2026-02-23", back="2026-02-27"),
        _loan("loan_0910", "mem_tomas", "bk_salt_fat", "2026-01-05", "2026-01-26", back="2026-01-24"),
    ]
    holds = [
        _hold("hold_0901", "mem_priya", "bk_hobbit", "2026-03-06"),
        _hold("hold_0902", "mem_nadia", "bk_hobbit", "2026-03-11"),
        _hold("hold_0903", "mem_tomas", "bk_sapiens", "2026-03-12"),
        _hold("hold_0904", "mem_kofi", "bk_brief_history", "2026-03-14"),
    ]
    fines = [
        _fine("fine_0901", "mem_owen", 750, 0, "The Guns of August returned 30 days late"),
        _fine("fine_0902", "mem_nadia", 150, 0, "Dune returned 6 days late"),
        _fine("fine_0903", "mem_priya", 100, 100, "Cosmos returned 4 days late"),
        _fine("fine_0904", "mem_lena", 400, 150, "damaged dust jacket on The Gruffalo"),
    ]
    by_id = {b["id"]: b for b in books}
    for loan in loans:
        if loan["status"] == "active":
            by_id[loan["book_id"]]["copies_available"] -= 1
    return {
        "today": "2026-03-16",
        "books": by_id,
        "members": {m["id"]: m for m in members},
        "loans": {x["id"]: x for x in loans},
        "holds": {x["id"]: x for x in holds},
        "fines": {x["id"]: x for x in fines},
        "suggestions": {},
        "_counters": {},
    }


SEED: dict[str, Any] = _seed()

MemberId = Annotated[str, Field(description="library card id of the member, e.g. mem_nadia")]
BookId = Annotated[str, Field(description="catalog id of the book, e.g. bk_dune")]
LoanId = Annotated[str, Field(description="loan id, e.g. loan_0901")]
HoldId = Annotated[str, Field(description="hold id, e.g. hold_0901")]
FineId = Annotated[str, Field(description="fine id, e.g. fine_0901")]


class Book(BaseModel):
    id: str
    title: str
    author: str
    isbn: str
    year: int
    subject: Subject
    copies_total: int
    copies_available: int = Field(description="copies on the shelf that anyone may borrow now")
    holds_waiting: int = Field(description="members in the hold queue")


class BookList(BaseModel):
    books: list[Book]
    count: int


class Fine(BaseModel):
    id: str
    member_id: str
    amount_cents: int
    paid_cents: int
    description: str = Field(description="what the fine is for")
    status: Literal["unpaid", "paid"]


class Hold(BaseModel):
    id: str
    member_id: str
    book_id: str
    placed_on: str
    status: Literal["waiting", "ready", "fulfilled", "cancelled"] = Field(
        description="ready: a returned copy is kept aside for this member"
    )
    position: int = Field(description="place in the book's queue (1 = next); 0 when no longer waiting")


class Member(BaseModel):
    id: str
    name: str
    email: str
    tier: Tier
    joined_on: str
    loan_limit: int = Field(description="most books out at once for this tier")
    loans_out: int
    fines_due_cents: int = Field(description="unpaid fines; above 500 no new checkouts")
    fines: list[Fine]
    holds: list[Hold]


class Loan(BaseModel):
    id: str
    member_id: str
    book_id: str
    checked_out_on: str
    due_on: str
    renewals: int = Field(description=f"times renewed, at most {MAX_RENEWALS}")
    status: Literal["active", "returned"]
    returned_on: str | None
    fine_cents: int = Field(description="late fee charged when it came back")


class LoanList(BaseModel):
    loans: list[Loan]
    count: int


class Payment(BaseModel):
    fine_id: str
    paid_now_cents: int
    still_due_cents: int
    status: Literal["unpaid", "paid"]


class Suggestion(BaseModel):
    id: str
    member_id: str
    book_name: str
    author: str
    comment: str
    status: Literal["submitted"]


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ToolError(f"{field} must be an ISO date like 2026-03-20, got {value!r}") from exc


def _copies(n: int) -> str:
    return f"{n} copy" if n == 1 else f"{n} copies"


def _money(cents: int) -> str:
    return f"${cents / 100:.2f}"


def build(path: Path | None = None) -> MCPServer:
    """A fresh server over the state at `path` (in memory when None)."""
    state = JsonState(path, SEED)
    server = MCPServer(
        "library", version="0.1.0", instructions="A public library: catalog, members, loans, holds, fines."
    )
    data = state.data
    today = date.fromisoformat(data["today"])

    def book(bid: str) -> dict[str, Any]:
        if bid not in data["books"]:
            raise ToolError(f"unknown book {bid!r}; call search_books to find ids")
        return data["books"][bid]

    def member(mid: str) -> dict[str, Any]:
        if mid not in data["members"]:
            raise ToolError(f"unknown member {mid!r}; ask the member for their library card id")
        return data["members"][mid]

    def loan(lid: str) -> dict[str, Any]:
        if lid not in data["loans"]:
            raise ToolError(f"unknown loan {lid!r}; call list_loans to find ids")
        return data["loans"][lid]

    def hold(hid: str) -> dict[str, Any]:
        if hid not in data["holds"]:
            raise ToolError(f"unknown hold {hid!r}; call get_member to see the member's holds")
        return data["holds"][hid]

    def fine(fid: str) -> dict[str, Any]:
        if fid not in data["fines"]:
            raise ToolError(f"unknown fine {fid!r}; call get_member to see the member's fines")
        return data["fines"][fid]

    def queue(bid: str) -> list[dict[str, Any]]:
        """The waiting holds on a book, first placed first."""
        waiting = [h for h in data["holds"].values() if h["book_id"] == bid and h["status"] == "waiting"]
        return sorted(waiting, key=lambda h: (h["placed_on"], h["id"]))

    def active_loans(mid: str) -> list[dict[str, Any]]:
        return [x for x in data["loans"].values() if x["member_id"] == mid and x["status"] == "active"]

    def fines_due(mid: str) -> int:
        return sum(
            f["amount_cents"] - f["paid_cents"] for f in data["fines"].values() if f["member_id"] == mid
        )

    def book_out(b: dict[str, Any]) -> Book:
        return Book(**b, holds_waiting=len(queue(b["id"])))

    def fine_out(f: dict[str, Any]) -> Fine:
        return Fine(**f, status="paid" if f["paid_cents"] >= f["amount_cents"] else "unpaid")

    def hold_out(h: dict[str, Any]) -> Hold:
        waiting = [x["id"] for x in queue(h["book_id"])]
        return Hold(**h, position=waiting.index(h["id"]) + 1 if h["id"] in waiting else 0)

    def member_out(m: dict[str, Any]) -> Member:
        mid = m["id"]
        return Member(
            **m,
            loan_limit=LOAN_LIMITS[m["tier"]],
            loans_out=len(active_loans(mid)),
            fines_due_cents=fines_due(mid),
            fines=[
                fine_out(f)
                for f in sorted(data["fines"].values(), key=lambda f: f["id"])
                if f["member_id"] == mid
            ],
            holds=[
                hold_out(h)
                for h in sorted(data["holds"].values(), key=lambda h: h["id"])
                if h["member_id"] == mid and h["status"] in ("waiting", "ready")
            ],
        )

    def copy_back(bid: str) -> None:
        """A copy came back (or a ready hold lapsed): keep it for the next in the queue, else shelve it."""
        waiting = queue(bid)
        if waiting:
            waiting[0]["status"] = "ready"
        else:
            book(bid)["copies_available"] += 1

    @server.tool(annotations=READ)
    async def search_books(
        query: Annotated[
            str,
            Field(description="words to match in the title or author, e.g. 'dune' or 'sagan'; empty = all"),
        ] = "",
        subject: Annotated[Subject | None, Field(description="only books of this subject")] = None,
        available_only: Annotated[bool, Field(description="only books with a copy on the shelf")] = False,
    ) -> BookList:
        """Search the catalog by title or author words, subject and availability."""
        words = query.lower().split()
        found = [
            book_out(b)
            for b in sorted(data["books"].values(), key=lambda b: b["title"])
            if all(w in f"{b['title']} {b['author']}".lower() for w in words)
            and (subject is None or b["subject"] == subject)
            and (not available_only or b["copies_available"] > 0)
        ]
        return BookList(books=found, count=len(found))

    @server.tool(annotations=READ)
    async def get_book(book_id: BookId) -> Book:
        """Get one book with its ISBN, copies on the shelf and the length of its hold queue."""
        return book_out(book(book_id))

    @server.tool(annotations=READ)
    async def get_member(member_id: MemberId) -> Member:
        """Get a member's account: tier and loan limit, books out, fines and holds."""
        return member_out(member(member_id))

    @server.tool(annotations=READ)
    async def list_loans(
        member_id: MemberId,
        status: Annotated[
            Literal["active", "returned"],
            Field(description="active: still out (default); returned: the member's past loans"),
        ] = "active",
        due_before: Annotated[
            str | None, Field(description="only loans due on or before this day, e.g. 2026-03-20")
        ] = None,
    ) -> LoanList:
        """List a member's loans with due dates and renewals, optionally only those due by a day."""
        member(member_id)
        limit = _day(due_before, "due_before") if due_before else None
        found = [
            Loan(**x)
            for x in sorted(data["loans"].values(), key=lambda x: (x["due_on"], x["id"]))
            if x["member_id"] == member_id
            and x["status"] == status
            and (limit is None or date.fromisoformat(x["due_on"]) <= limit)
        ]
        return LoanList(loans=found, count=len(found))

    @server.tool(annotations=CREATE)
    async def open_loan(
        member_id: MemberId,
        book_id: BookId,
        loan_days: Annotated[int, Field(ge=7, le=28, description="length of the loan in days, 7 to 28")] = 21,
    ) -> Loan:
        """Check a book out: lend a copy to a member. Needs a copy on the shelf (or the member's ready hold),
        the member under their loan limit, and no more than $5.00 of unpaid fines."""
        m, b = member(member_id), book(book_id)
        due = fines_due(member_id)
        if due > FINE_BLOCK_CENTS:
            raise ToolError(
                f"{member_id} owes {_money(due)} in fines (checkouts stop above {_money(FINE_BLOCK_CENTS)}); "
                "pay_fine first (get_member lists the fine ids)"
            )
        out, limit = active_loans(member_id), LOAN_LIMITS[m["tier"]]
        if len(out) >= limit:
            raise ToolError(
                f"{member_id} already has {len(out)} of {limit} books out ({m['tier']} tier); return_book first"
            )
        if mine := [x["id"] for x in out if x["book_id"] == book_id]:
            raise ToolError(f"{member_id} already has {book_id} on loan ({mine[0]}); renew_loan instead")
        ready = [
            h for h in data["holds"].values()
            if h["book_id"] == book_id and h["member_id"] == member_id and h["status"] == "ready"
        ]  # fmt: skip
        if ready:
            ready[0]["status"] = "fulfilled"
        elif b["copies_available"] > 0:
            b["copies_available"] -= 1
        else:
            raise ToolError(f"no copy of {book_id} is on the shelf; place_hold to join the queue")
        new = Loan(
            id=state.next_id("loan"),
            member_id=member_id,
            book_id=book_id,
            checked_out_on=today.isoformat(),
            due_on=(today + timedelta(days=loan_days)).isoformat(),
            renewals=0,
            status="active",
            returned_on=None,
            fine_cents=0,
        )
        # A waiting hold of this member is served by this loan.
        for h in queue(book_id):
            if h["member_id"] == member_id:
                h["status"] = "fulfilled"
        data["loans"][new.id] = new.model_dump()
        state.save()
        return new

    @server.tool(annotations=ACTION)
    async def return_book(loan_id: LoanId) -> Loan:
        """Check a borrowed copy back in. A late return is charged 25 cents a day as a fine; the copy
        goes to the first member waiting in the hold queue, else back on the shelf."""
        x = loan(loan_id)
        if x["status"] != "active":
            raise ToolError(
                f"loan {loan_id} was already returned on {x['returned_on']}; list_loans shows active ones"
            )
        late = (today - date.fromisoformat(x["due_on"])).days
        x["status"], x["returned_on"] = "returned", today.isoformat()
        if late > 0:
            x["fine_cents"] = late * LATE_FEE_CENTS
            fid = state.next_id("fine")
            title = book(x["book_id"])["title"]
            data["fines"][fid] = _fine(
                fid, x["member_id"], x["fine_cents"], 0, f"{title} returned {late} days late"
            )
        copy_back(x["book_id"])
        state.save()
        return Loan(**x)

    @server.tool(annotations=ACTION)
    async def renew_loan(loan_id: LoanId) -> Loan:
        """Extend an active loan by 14 days from its due date. At most 2 renewals, and not while other
        members are waiting for the book."""
        x = loan(loan_id)
        if x["status"] != "active":
            raise ToolError(
                f"loan {loan_id} was returned on {x['returned_on']}; open_loan to borrow it again"
            )
        if x["renewals"] >= MAX_RENEWALS:
            raise ToolError(
                f"loan {loan_id} has been renewed {x['renewals']} times, the most allowed; "
                f"return_book by {x['due_on']}"
            )
        if waiting := [h for h in queue(x["book_id"]) if h["member_id"] != x["member_id"]]:
            raise ToolError(
                f"{len(waiting)} other member(s) are waiting for {x['book_id']}, so it cannot be renewed; "
                f"return_book by {x['due_on']}"
            )
        x["due_on"] = (date.fromisoformat(x["due_on"]) + timedelta(days=RENEWAL_DAYS)).isoformat()
        x["renewals"] += 1
        state.save()
        return Loan(**x)

    @server.tool(annotations=CREATE)
    async def place_hold(member_id: MemberId, book_id: BookId) -> Hold:
        """Join the queue for a book with no copy on the shelf; the member is told when a copy is kept
        aside for them."""
        member(member_id)
        b = book(book_id)
        if b["copies_available"] > 0:
            raise ToolError(f"{book_id} has {_copies(b['copies_available'])} on the shelf; open_loan instead")
        if any(x["book_id"] == book_id for x in active_loans(member_id)):
            raise ToolError(f"{member_id} already has {book_id} on loan; renew_loan instead")
        mine = [
            h["id"] for h in data["holds"].values()
            if h["member_id"] == member_id and h["book_id"] == book_id and h["status"] in ("waiting", "ready")
        ]  # fmt: skip
        if mine:
            raise ToolError(f"{member_id} already holds {book_id} ({mine[0]}); get_member shows its place")
        hid = state.next_id("hold")
        data["holds"][hid] = _hold(hid, member_id, book_id, today.isoformat())
        state.save()
        return hold_out(data["holds"][hid])

    @server.tool(annotations=DESTROY)
    async def cancel_hold(hold_id: HoldId) -> Hold:
        """Cancel a waiting or ready hold; a copy kept aside goes to the next in the queue."""
        h = hold(hold_id)
        if h["status"] == "cancelled":
            return hold_out(h)
        if h["status"] == "fulfilled":
            raise ToolError(f"hold {hold_id} was fulfilled by a loan; return_book to give the copy back")
        was_ready = h["status"] == "ready"
        h["status"] = "cancelled"
        if was_ready:
            copy_back(h["book_id"])
        state.save()
        return hold_out(h)

    @server.tool(annotations=ACTION)
    async def pay_fine(
        fine_id: FineId,
        amount_cents: Annotated[
            int | None, Field(gt=0, description="cents to pay, e.g. 250; default: all that is still due")
        ] = None,
    ) -> Payment:
        """Pay part or all of a member's fine."""
        f = fine(fine_id)
        left = f["amount_cents"] - f["paid_cents"]
        if left <= 0:
            raise ToolError(f"fine {fine_id} is already paid; get_member shows any other fines")
        amount = left if amount_cents is None else amount_cents
        if amount > left:
            raise ToolError(f"only {left} cents are due on {fine_id}; pay between 1 and {left}")
        f["paid_cents"] += amount
        state.save()
        return Payment(
            fine_id=fine_id,
            paid_now_cents=amount,
            still_due_cents=left - amount,
            status="paid" if amount == left else "unpaid",
        )

    @server.tool(annotations=CREATE)
    async def suggest_purchase(
        member_id: MemberId,
        book_name: Annotated[
            str, Field(min_length=1, description="title of the book, e.g. Braiding Sweetgrass")
        ],
        author: Annotated[str, Field(min_length=1, description="its author, e.g. Robin Wall Kimmerer")],
        comment: Annotated[
            str,
            Field(
                min_length=20,
                description="why the library should buy it, in the member's own words, e.g. 'Our book "
                "club reads it in May and the branch has no copy.'",
            ),
        ],
    ) -> Suggestion:
        """Ask the library to buy a book it does not have, with the member's comment for the buyers."""
        member(member_id)
        for b in data["books"].values():
            if b["title"].lower() == book_name.strip().lower():
                raise ToolError(
                    f"the catalog already has {b['title']!r} ({b['id']}); open_loan or place_hold"
                )
        new = Suggestion(
            id=state.next_id("sug"),
            member_id=member_id,
            book_name=book_name.strip(),
            author=author.strip(),
            comment=comment.strip(),
            status="submitted",
        )
        data["suggestions"][new.id] = new.model_dump()
        state.save()
        return new

    return server


if __name__ == "__main__":
    main("library", ENV_VAR, build)
