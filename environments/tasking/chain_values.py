"""Values a chain's later step takes from its earlier ones, so the steps serve one task.

The blueprint sampler draws each argument from earlier results first; what no result holds used
to come from anywhere in the world, and chains fell apart: free slots looked up on `cal_team`,
the event then created on `cal_home`. Here a later step names what the earlier ones named:

- `earlier_argument`: the same argument sent before (the calendar the slots were looked up on);
- `day_of_earlier`: a `day`/`date` argument on the day of an earlier start or slot;
- `in_scope`: a record drawn from the world belongs to the records named so far (an event of the
  calendar just searched, an order of the customer just read);
- `fit_span`: a start and end taken from a free slot keep the event's own length (a one-hour
  meeting, or the moved event's duration), not the whole free afternoon.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from toolforge.core.call_links import day_of, is_id_key

# (arguments, where each came from) of the earlier, successful steps, oldest first.
Earlier = Sequence[tuple[dict[str, Any], Mapping[str, str]]]
_DAY_ARGS = ("day", "date", "on_date")
_START_KEYS = ("start", "starts_at", "start_time", "begin")


def earlier_argument(name: str, earlier: Earlier) -> tuple[bool, Any, str]:
    """The value an earlier step sent for `name` (newest first), and where it came from."""
    for arguments, sources in reversed(earlier):
        if name in arguments and isinstance(arguments[name], str | int | float):
            return True, arguments[name], sources.get(name, "user")
    return False, None, ""


def day_of_earlier(name: str, results: Sequence[Any], earlier: Earlier) -> tuple[bool, Any, str]:
    """For a `day` argument: the day of the newest start an earlier result or step holds."""
    if name not in _DAY_ARGS:
        return False, None, ""
    for result in reversed(results):
        day = _first_day(result)
        if day:
            return True, day, "result"
    for arguments, sources in reversed(earlier):
        for key in _START_KEYS:
            value = arguments.get(key)
            if isinstance(value, str) and (day := day_of(value)):
                return True, day, sources.get(key, "user")
    return False, None, ""


def _first_day(value: Any, depth: int = 0) -> str | None:
    if depth > 3:
        return None
    if isinstance(value, dict):
        for key in _START_KEYS:
            if isinstance(value.get(key), str) and (day := day_of(value[key])):
                return day
        for sub in value.values():
            if isinstance(sub, dict | list) and (day := _first_day(sub, depth + 1)):
                return day
    if isinstance(value, list):
        for item in value[:3]:
            if day := _first_day(item, depth + 1):
                return day
    return None


def scope_of(earlier: Earlier, results: Sequence[Any]) -> dict[str, Any]:
    """The records named so far, by id key: `{"calendar_id": "cal_team"}` after slots were looked
    up on cal_team; a single record's own parents (an event's calendar) count too."""
    scope: dict[str, Any] = {}
    for arguments, _ in earlier:
        scope.update(
            {k: v for k, v in arguments.items() if is_id_key(k) and k != "id" and isinstance(v, str)}
        )
    for result in results:
        if isinstance(result, dict) and isinstance(result.get("id"), str):
            for key, value in result.items():
                if key != "id" and is_id_key(key) and isinstance(value, str):
                    scope.setdefault(key, value)
    return scope


def in_scope(records: list[dict[str, Any]], scope: dict[str, Any]) -> list[dict[str, Any]]:
    """The records that agree with every id of `scope` they carry; all of them when none does."""
    fitting = [r for r in records if all(r.get(k, v) == v for k, v in scope.items())]
    return fitting or records


def fit_span(
    arguments: dict[str, Any], sources: Mapping[str, str], before: dict[str, Any] | None, earlier: Earlier
) -> None:
    """A start and end both taken from a result (a free slot) are cut to the event's length: the
    moved record's own duration (`before`), else the duration asked for earlier, else an hour;
    never past the slot's end. In place."""
    start, end = arguments.get("start"), arguments.get("end")
    if sources.get("start") != "result" or sources.get("end") != "result":
        return
    if not isinstance(start, str) or not isinstance(end, str):
        return
    try:
        t0, t1 = datetime.fromisoformat(start), datetime.fromisoformat(end)
    except ValueError:
        return
    length = timedelta(hours=1)
    if before and isinstance(before.get("start"), str) and isinstance(before.get("end"), str):
        try:
            length = datetime.fromisoformat(before["end"]) - datetime.fromisoformat(before["start"])
        except ValueError:
            pass
    else:
        found, minutes, _ = earlier_argument("duration_minutes", earlier)
        if found and isinstance(minutes, int) and minutes > 0:
            length = timedelta(minutes=minutes)
    if timedelta(0) < length < t1 - t0:
        arguments["end"] = (t0 + length).isoformat(timespec="minutes")
