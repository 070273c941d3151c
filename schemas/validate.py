"""Bytes from a raw topic to a validated event, or a readable reason why not."""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError

from core.errors import BadMessage
from schemas.events import Event
from schemas.fast_chat import fast_chat
from schemas.packed import CanonicalEvent, canonical

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
_MAX_ERRORS_IN_REASON = 3


def parse_event(raw: bytes) -> Event:
    """Validate one wire message; BadMessage carries the reason a person can act on."""
    try:
        return EVENT_ADAPTER.validate_json(raw)
    except ValidationError as exc:
        raise BadMessage(describe(exc)) from None


def parse_canonical(raw: bytes) -> CanonicalEvent:
    """`canonical(parse_event(raw))`, byte for byte, with chat messages spared pydantic's cost."""
    return fast_chat(raw) or canonical(parse_event(raw))


def describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:_MAX_ERRORS_IN_REASON]:
        where = ".".join(str(p) for p in error["loc"]) or "message"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - _MAX_ERRORS_IN_REASON
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)
