"""The chain rule: the calls of a multi-call trajectory belong to one task.

A trajectory whose steps share no entity and pass no data along (free slots looked up on one
calendar, the event then created on another; an event renamed, then free time sought on an
unrelated day) teaches a model to string unrelated calls together. The links are computed by
`toolforge.core.call_links`, the same rule the chain builder applies, from the messages alone.
"""

from __future__ import annotations

from judges.values import parse_json
from judges.violations import Violation
from toolforge.core.call_links import Call, chain_problems
from toolforge.core.types import Message


def calls_of(messages: list[Message]) -> list[Call]:
    """The trajectory's calls in order, each with its parsed result (None after an error)."""
    results = {m.tool_call_id: m for m in messages if m.role == "tool" and m.tool_call_id}
    calls: list[Call] = []
    for message in messages:
        if message.role != "assistant":
            continue
        for call in message.tool_calls or []:
            try:
                arguments = call.parsed_arguments()
            except ValueError:
                arguments = {}
            result = results.get(call.id)
            failed = result is None or bool(result.is_error) or (result.content or "").startswith("Error")
            value = None if failed or result is None else parse_json(result.content)
            calls.append(Call(call.name, arguments, value, failed))
    return calls


def chain_violations(messages: list[Message]) -> list[Violation]:
    """One violation per call that stands apart from the others or crosses their records: a
    crossed chain is as wrong as an unrelated one, both teach calls that serve no one goal."""
    return [Violation(p.code, p.message) for p in chain_problems(calls_of(messages))]
