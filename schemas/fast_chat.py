"""Chat messages, the hot event, validated and made canonical without pydantic.

A hand-written check of ChatMessage's rules on the `orjson.loads` result, giving the bytes
`canonical_json(parse_event(raw))` gives. It only ever accepts: on anything it cannot prove
valid it returns None and the caller asks pydantic, so ChatMessage stays the one definition
of validity and of the reasons given for rejecting.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
from typing import Any

import orjson
import pydantic_core

from schemas import timestamps
from schemas.events import ChatMessage
from schemas.packed import CanonicalEvent
from schemas.timestamps import to_epoch_ms

log = logging.getLogger(__name__)

# What the rules below were checked against (see model_fingerprint). A change to the model,
# to the timestamp rules or to pydantic turns the fast path off until someone re-checks it.
CHAT_MODEL_FINGERPRINT = "e1ff832bf2f818ae"

# The model's fields in its order with its defaults; None stands in for a required field,
# as no required field accepts null.
_TEMPLATE = {
    name: None if field.is_required() else field.default
    for name, field in ChatMessage.model_fields.items()
}
_SENDERS = frozenset(("buyer", "agent", "bot", "system"))
_MSG_TYPES = frozenset(("text", "image", "goods", "order", "emoji", "other"))
# Floats are left out: orjson reads integers beyond 64 bits as floats, pydantic keeps them.
_PLAIN = frozenset((str, int, bool, type(None)))
# pydantic's JSON parser refuses nesting deeper than about 200 levels, orjson's about 1024.
_MAX_DEPTH = 16

# Producers stamp thousands of messages a minute, and parsing a whole stamp costs more than
# every other check together: the minute is parsed once, seconds and millis are looked up.
_MINUTE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})")
_MINUTES: dict[str, int] = {}
_MAX_MINUTES = 4096
_SECONDS = {f":{s:02d}": s * 1000 for s in range(60)}
_MILLIS = {f".{ms:03d}": ms for ms in range(1000)}


def model_fingerprint() -> str:
    """ChatMessage's core schema and source, the timestamp rules, pydantic-core's version."""
    schema = re.sub(r"0x[0-9a-f]+|:\d+'", "", repr(ChatMessage.__pydantic_core_schema__))
    sources = (inspect.getsource(ChatMessage), inspect.getsource(timestamps))
    text = "\n".join((pydantic_core.__version__, schema, *sources))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _matches_model() -> bool:
    try:
        found = model_fingerprint()
    except (OSError, TypeError):
        found = "source not available"
    if found != CHAT_MODEL_FINGERPRINT:
        log.warning("ChatMessage changed (%s): chat messages take the pydantic path", found)
        return False
    return True


ENABLED = _matches_model()


def fast_chat(raw: bytes) -> CanonicalEvent | None:
    """The canonical form of a valid chat message, or None: "ask pydantic", not "invalid"."""
    if not ENABLED:
        return None
    try:
        body = orjson.loads(raw)
        return _canonical(body) if body["type"] == "chat.message" else None
    # Not JSON, not an object, no type, an unhashable sender: pydantic will say why.
    except (ValueError, KeyError, TypeError):
        return None


def _canonical(body: dict[str, Any]) -> CanonicalEvent | None:
    """Fields in the model's order, extras after them in input order, as pydantic emits them.

    The checks are inline: in this loop a function call costs about as much as two checks.
    """
    canonical = {**_TEMPLATE, **body}
    (event_id, shop_id, occurred_at, _, buyer_id, sender, agent_id, msg_type, text, order_id,
     *extras) = canonical.values()  # fmt: skip
    ms = _epoch_ms(occurred_at)
    if ms is None or not (
        type(event_id) is str
        and 0 < len(event_id) <= 128
        and type(shop_id) is str
        and 0 < len(shop_id) <= 64
        and type(buyer_id) is str
        and sender in _SENDERS
        and msg_type in _MSG_TYPES
        and (agent_id is None or type(agent_id) is str)
        and (text is None or type(text) is str)
        and (order_id is None or type(order_id) is str)
        and (sender != "agent" or bool(agent_id))
        and (not extras or _plain_values(extras))
    ):
        return None
    canonical["occurred_at"] = ms
    # An exact-size copy: orjson's bytes live in an oversized malloc block, and kept alive
    # for a whole poll (until it is published) they fragment the heap; measured, that cost
    # more per event than validating it.
    json = b"%b" % orjson.dumps(canonical)
    return shop_id, buyer_id, ms, json


def _epoch_ms(value: object) -> int | None:
    """`to_epoch_ms(value)`, or None where it raises: its message is pydantic's to report."""
    if type(value) is str:
        # Slices of any string: a lookup that misses only means "not the usual shape".
        seconds = _SECONDS.get(value[16:19])
        millis = _MILLIS.get(value[19:23])
        if seconds is not None and millis is not None:
            key = value[:16] + value[23:]
            minute = _MINUTES.get(key)
            if minute is None:
                minute = _minute_ms(key)
            if minute is not None:
                return minute + seconds + millis
    try:
        return to_epoch_ms(value)
    except ValueError:
        return None


def _minute_ms(key: str) -> int | None:
    """Epoch ms of "YYYY-MM-DDTHH:MM" + offset, if every millisecond of it is in range."""
    if not _MINUTE.fullmatch(key):
        return None
    try:
        found = to_epoch_ms(f"{key[:16]}:00{key[16:]}")
        to_epoch_ms(found + 59_999)  # the range is an interval: both ends in, all of it in
    except ValueError:
        return None
    if len(_MINUTES) >= _MAX_MINUTES:
        _MINUTES.clear()
    _MINUTES[key] = found
    return found


def _plain_values(values: list[Any]) -> bool:
    return all(_plain(value, _MAX_DEPTH) for value in values)


def _plain(value: object, depth: int) -> bool:
    """A JSON value orjson writes back exactly as pydantic does."""
    if type(value) in _PLAIN:
        return True
    if depth == 0:
        return False
    if isinstance(value, list):
        return all(_plain(item, depth - 1) for item in value)
    if isinstance(value, dict):
        return all(_plain(item, depth - 1) for item in value.values())
    return False
