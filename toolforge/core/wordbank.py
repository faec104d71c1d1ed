"""The words generated values are made of: names, places, codes and, per domain, the nouns that
titles and notes are built from. Data only; `toolforge.core.values` picks from it.

Every word here is one a real record of its domain could hold. Placeholder vocabularies (radio
alphabets, dummy Latin) are never used: a model trained on them learns that tools answer nonsense.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Ada", "Grace", "Alan", "Maria", "Chen", "Priya", "Omar", "Sofia", "Liam", "Amara", "Kenji",
    "Elena", "Mateo", "Fatima", "Noah", "Ingrid", "Tariq", "Hana", "Lucas", "Zara", "Daniel", "Mei",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Hopper", "Turing", "Garcia", "Wei", "Patel", "Haddad", "Rossi", "Murphy", "Okafor",
    "Tanaka", "Petrova", "Silva", "Khan", "Johansson", "Nguyen", "Kim", "Costa", "Adeyemi", "Novak",
)  # fmt: skip
COMPANIES = (
    "Northwind Traders", "Blue Harbor Logistics", "Greenfield Supplies", "Summit Analytics",
    "Brightline Media", "Oakridge Partners", "Riverbend Foods", "Cobalt Systems", "Meridian Health",
    "Silverline Travel", "Pinecrest Realty", "Lumen Labs",
)  # fmt: skip
TEAMS = ("Finance", "Operations", "Sales", "Support", "Platform", "Marketing", "Legal", "Research")
CITIES = (
    "Paris", "Berlin", "Tokyo", "Toronto", "Nairobi", "Sydney", "Madrid", "Chicago", "Seoul",
    "Lisbon", "Mumbai", "Amsterdam", "Dublin", "Austin", "Singapore", "Vancouver",
)  # fmt: skip
REGIONS = ("California", "Ontario", "Bavaria", "Catalonia", "Queensland", "Texas", "Hokkaido", "Leinster")
COUNTRIES = (
    ("France", "FR"), ("Germany", "DE"), ("Japan", "JP"), ("Canada", "CA"), ("Kenya", "KE"),
    ("Australia", "AU"), ("Spain", "ES"), ("United States", "US"), ("South Korea", "KR"),
    ("Portugal", "PT"), ("India", "IN"), ("Netherlands", "NL"), ("Ireland", "IE"), ("Brazil", "BR"),
)  # fmt: skip
AIRPORTS = ("CDG", "BER", "HND", "YYZ", "NBO", "SYD", "MAD", "ORD", "ICN", "LIS", "BOM", "AMS", "DUB")
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "INR")
LANGUAGES = ("en", "fr", "de", "es", "ja", "pt", "nl", "ko")
TIMEZONES = ("UTC", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago", "Asia/Tokyo")
STREETS = (
    "Harbor Street",
    "Maple Avenue",
    "Station Road",
    "Elm Street",
    "King Street",
    "Park Lane",
    "Mill Road",
)
COLORS = ("black", "white", "navy", "green", "red", "grey", "blue")
SIZES = ("S", "M", "L", "XL")
MIME_TYPES = ("application/pdf", "text/csv", "image/png", "application/json")
PLACES = (
    "Harbor View", "Riverside", "Maple Street", "Central Park", "Old Town", "Lakeside", "Hillcrest",
    "Market Square",
)  # fmt: skip

ADJECTIVES = (
    "Quarterly", "Annual", "Monthly", "Weekly", "Urgent", "Revised", "Initial", "Final", "Internal",
    "Regional", "Spring", "Year-end", "Follow-up",
)  # fmt: skip
REASONS = (
    "Requested by the customer",
    "Duplicate of an earlier entry",
    "Resolved after a configuration change",
    "Approved by the finance team",
    "Date no longer works for the team",
    "Replaced with an updated version",
    "Fixed in the latest release",
)
HEADS = ("review", "update", "plan", "request", "summary", "check", "report", "meeting")
VERBS = ("Prepare", "Follow up on", "Review", "Confirm", "Finalize", "Share", "Schedule")
TAILS = (
    "before the next team meeting",
    "with the updated figures",
    "for the regional office",
    "by the end of the week",
    "and flag anything unusual",
    "with the customer's latest feedback",
    "as discussed on the last call",
)

# Domain → (keywords that select it from a tool's words, subjects for titles, categories, products
# or services it sells, the kind of place it runs).
DOMAINS: dict[str, dict[str, tuple[str, ...]]] = {
    "commerce": {
        "keys": (
            "order",
            "product",
            "cart",
            "shop",
            "store",
            "retail",
            "customer",
            "sku",
            "catalog",
            "checkout",
            "inventory",
            "stock",
            "warehouse",
            "supplier",
            "purchase",
            "commerce",
        ),  # fmt: skip
        "subjects": (
            "spring catalog",
            "inventory",
            "supplier order",
            "returns",
            "holiday promotion",
            "restock",
        ),
        "categories": ("electronics", "home", "office", "kitchen", "outdoor", "apparel"),
        "products": (
            "Desk lamp LED",
            "Ergonomic office chair",
            "Wireless keyboard",
            "USB-C charger",
            "Stainless water bottle",
            "Notebook A5",
            "Noise-cancelling headphones",
            "Standing desk",
            "Coffee grinder",
            "Yoga mat",
            "Travel backpack",
            "Ceramic mug set",
        ),  # fmt: skip
        "places": ("Store", "Outlet", "Warehouse"),
        # What a shopper says when an order is refunded, returned or cancelled.
        "reasons": (
            "Arrived with a cracked handle",
            "Ordered the wrong size",
            "No longer needed, it is still in its box",
            "Ordered twice by mistake",
            "Arrived too late for the birthday it was for",
            "Does not match the photos on the product page",
        ),
    },
    "finance": {
        "keys": (
            "invoice",
            "payment",
            "account",
            "budget",
            "ledger",
            "loan",
            "transaction",
            "bank",
            "expense",
            "fund",
            "tax",
            "card",
            "refund",
            "billing",
            "finance",
            "wallet",
            "transfer",
        ),  # fmt: skip
        "subjects": (
            "budget",
            "expense report",
            "vendor payment",
            "cash flow",
            "tax filing",
            "audit",
            "forecast",
        ),
        "categories": ("travel", "software", "office supplies", "payroll", "utilities", "consulting"),
        "products": ("Business checking", "Savings plus", "Corporate card", "Invoice financing"),
        "places": ("Branch",),
    },
    "travel": {
        "keys": (
            "flight",
            "hotel",
            "booking",
            "trip",
            "reservation",
            "travel",
            "itinerary",
            "passenger",
            "airport",
            "rental",
            "room",
            "guest",
            "stay",
            "tour",
            "hospitality",
        ),  # fmt: skip
        "subjects": (
            "conference trip",
            "team offsite",
            "client visit",
            "itinerary",
            "room block",
            "airport transfer",
        ),
        "categories": ("economy", "business", "standard room", "suite", "day tour"),
        "products": (
            "Deluxe double room",
            "Economy return flight",
            "City walking tour",
            "Compact car rental",
        ),
        "places": ("Hotel", "Inn", "Airport"),
        # Sentences a traveller writes: why a trip is off, what the crew or the hotel should know.
        "reasons": (
            "The conference I was flying to is postponed until May.",
            "My visa did not come through in time.",
            "Our client cancelled the meeting, so the trip is off.",
            "I have the flu and my doctor told me not to travel.",
            "We decided to take the train instead.",
            "A family emergency means I have to stay home this week.",
        ),
        "notes": (
            "Vegetarian meal please, and no mushrooms as I am allergic to them.",
            "I use a wheelchair and need help from the check-in desk to the aircraft door.",
            "I am travelling with a nine-month-old baby and would like a bassinet seat.",
            "Gluten-free meal please; I have coeliac disease.",
            "I carry an insulin pen and a cooling pouch in my hand luggage.",
            "Please seat me away from the galley; I am a light sleeper on night flights.",
            "I am bringing a folding stroller and would like to check it at the gate.",
        ),
    },
    "health": {
        "keys": (
            "patient",
            "appointment",
            "clinic",
            "doctor",
            "prescription",
            "pharmacy",
            "health",
            "medical",
            "lab",
            "treatment",
            "visit",
            "clinical",
        ),  # fmt: skip
        "subjects": (
            "annual checkup",
            "lab results",
            "prescription refill",
            "physiotherapy",
            "vaccination",
            "follow-up visit",
        ),
        "categories": ("general practice", "cardiology", "dermatology", "pediatrics", "radiology"),
        "products": ("Blood panel", "Flu vaccine", "Physiotherapy session", "Dental cleaning"),
        "places": ("Clinic", "Medical Center", "Pharmacy"),
    },
    "education": {
        "keys": (
            "course",
            "student",
            "lesson",
            "class",
            "school",
            "grade",
            "assignment",
            "tutoring",
            "enrollment",
            "teacher",
            "exam",
            "education",
            "learning",
        ),  # fmt: skip
        "subjects": ("algebra unit", "essay draft", "lab report", "reading list", "midterm", "field trip"),
        "categories": ("mathematics", "biology", "history", "literature", "computer science"),
        "products": ("Intro to Statistics", "Creative Writing", "Data Structures", "World History"),
        "places": ("Academy", "Learning Center", "School"),
    },
    "support": {
        "keys": (
            "ticket",
            "issue",
            "bug",
            "incident",
            "helpdesk",
            "support",
            "release",
            "deploy",
            "repository",
            "project",
            "task",
            "sprint",
            "software",
            "device",
            "alert",
            "service",
        ),  # fmt: skip
        "subjects": (
            "login failure",
            "printer jam",
            "VPN access",
            "password reset",
            "slow dashboard",
            "release",
            "data export",
        ),
        "categories": ("hardware", "software", "network", "access", "billing"),
        "products": ("Standard support", "Premium support", "Onboarding package"),
        "places": ("Service Desk",),
        # What an agent writes on a ticket, and why a ticket changes.
        "notes": (
            "Asked the customer for a screenshot of the error message.",
            "Reset the password and sent a fresh sign-in link.",
            "Reproduced the crash on Android 14; passing it to the mobile team.",
            "Customer confirms the VPN connects again after the client reinstall.",
            "The duplicate charge is refunded; it shows in 3 to 5 working days.",
            "Cleared the browser cache with the customer and the login works now.",
        ),
        "reasons": (
            "The customer confirmed the fix works",
            "Duplicate of a ticket opened the same morning",
            "Waiting on the customer for more details",
            "Escalated by the customer's account manager",
        ),
    },
    "people": {
        "keys": ("employee", "shift", "candidate", "payroll", "leave", "staff", "hiring", "team", "member"),
        "subjects": ("onboarding", "shift rota", "leave request", "performance", "hiring", "training"),
        "categories": ("full-time", "part-time", "contractor", "intern"),
        "products": ("Health plan", "Training budget", "Commuter pass"),
        "places": ("Office",),
    },
    "logistics": {
        "keys": (
            "shipment",
            "delivery",
            "route",
            "vehicle",
            "driver",
            "fleet",
            "package",
            "dispatch",
            "logistics",
            "parcel",
            "freight",
            "carrier",
        ),  # fmt: skip
        "subjects": ("delivery route", "pallet pickup", "customs paperwork", "fleet maintenance", "shipment"),
        "categories": ("express", "standard", "freight", "same-day"),
        "products": ("Express parcel", "Pallet freight", "Same-day courier"),
        "places": ("Depot", "Distribution Center"),
    },
    "events": {
        "keys": ("event", "meeting", "calendar", "schedule", "venue", "agenda", "attendee", "session"),
        "subjects": (
            "planning session",
            "design review",
            "product launch",
            "all-hands",
            "workshop",
            "board meeting",
        ),
        "categories": ("meeting", "workshop", "conference", "webinar"),
        "products": ("Conference pass", "Workshop seat", "Exhibitor booth"),
        "places": ("Conference Center", "Hall", "Room"),
    },
    "media": {
        "keys": (
            "campaign",
            "article",
            "post",
            "newsletter",
            "media",
            "marketing",
            "content",
            "ad",
            "audience",
        ),
        "subjects": (
            "product launch",
            "newsletter",
            "social campaign",
            "press release",
            "blog post",
            "webinar",
        ),
        "categories": ("news", "opinion", "announcement", "tutorial"),
        "products": ("Sponsored post", "Banner placement", "Newsletter slot"),
        "places": ("Studio",),
    },
    "property": {
        "keys": ("listing", "property", "lease", "tenant", "apartment", "rent", "estate", "landlord"),
        "subjects": ("lease renewal", "property inspection", "maintenance request", "rent review", "viewing"),
        "categories": ("apartment", "house", "office", "retail unit"),
        "products": ("Two-bedroom apartment", "Studio flat", "Office suite"),
        "places": ("Residences", "Towers"),
    },
    "library": {
        "keys": ("library", "book", "isbn", "librarian", "borrow", "borrower", "reader", "shelf"),
        "subjects": (
            "book club",
            "reading list",
            "story time",
            "author talk",
            "summer reading",
            "local history",
        ),
        "categories": ("fiction", "science", "history", "children", "poetry", "biography"),
        # Real titles, so a book a member asks for reads like one.
        "products": ("Braiding Sweetgrass", "The Overstory", "Klara and the Sun", "Educated", "The Road"),
        "places": ("Branch Library", "Reading Room"),
        # What a member or a librarian writes about a loan, a hold or a fine.
        "notes": (
            "Returned with a coffee stain on the back cover.",
            "Member asked to be told as soon as the copy is back.",
            "Fine waived once: the book drop was locked that weekend.",
            "Large-print edition requested if one comes in.",
        ),
        "reasons": (
            "Returned late because the member was in hospital",
            "Copy lost on a train; the member will pay for it",
            "The member changed their mind",
        ),
    },
    "general": {
        "keys": (),
        "subjects": ("project", "budget", "planning", "onboarding", "vendor", "operations"),
        "categories": ("general", "standard", "priority", "internal"),
        "products": ("Standard plan", "Premium plan", "Starter kit"),
        "places": ("Office", "Center"),
    },
}

# Status words by the entity they describe; the first group whose word the entity name contains.
STATUSES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("order", "purchase", "cart"), ("placed", "paid", "shipped", "delivered", "cancelled")),
    (("shipment", "delivery", "parcel", "package"), ("pending", "in_transit", "delivered", "returned")),
    (
        ("ticket", "issue", "incident", "bug", "case", "request"),
        ("open", "in_progress", "resolved", "closed"),
    ),
    (("task", "todo", "job"), ("todo", "in_progress", "done")),
    (("invoice", "bill", "payment", "refund", "transaction"), ("draft", "pending", "paid", "overdue")),
    (
        ("appointment", "booking", "reservation", "event", "meeting", "visit", "session"),
        ("scheduled", "confirmed", "completed", "cancelled"),
    ),
    (("account", "user", "subscription", "member", "customer", "card"), ("active", "pending", "suspended")),
    (("employee", "staff", "driver"), ("active", "on_leave", "inactive")),
    (("listing", "product", "item"), ("active", "draft", "archived")),
    (("campaign", "article", "post"), ("draft", "scheduled", "published")),
    (("application", "claim", "loan"), ("submitted", "under_review", "approved", "rejected")),
)
DEFAULT_STATUSES = ("active", "pending", "completed")
PRIORITIES = ("low", "normal", "high", "urgent")
