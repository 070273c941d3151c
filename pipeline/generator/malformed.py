"""Broken lines as real sources produce them, each one something docs/events.md rejects."""

from __future__ import annotations

from random import Random

import orjson

from pipeline.generator.clock import HOUR, SECOND, format_rfc3339, parse_occurred_at
from pipeline.generator.events import Event

_COMMON = ("event_id", "type", "shop_id", "occurred_at")
_REQUIRED = {
    "chat.message": ("buyer_id", "sender"),
    "refund": ("refund_id", "order_id", "buyer_id", "status", "amount"),
    "order": ("order_id", "buyer_id", "status", "amount"),
    "rating": ("buyer_id", "score"),
    "complaint": ("complaint_id", "buyer_id", "category"),
}
_UNKNOWN_TYPES = ("chat.recall", "logistics", "coupon.issued", "message")
_CHINA = 8 * HOUR


def corrupt(event: Event, rng: Random, fresh_id: str) -> bytes:
    """A malformed line derived from `event` (under its own id), as bytes without newline."""
    bad = dict(event)
    bad["event_id"] = fresh_id
    kinds = [
        "truncated",
        "python_repr",
        "gbk",
        "missing_field",
        "unknown_type",
        "naive_time",
        "epoch_seconds",
    ]
    if "amount" in bad:
        kinds += ["negative_amount"] * 3
    if bad["type"] == "rating":
        kinds += ["bad_score"] * 3
    kind = rng.choice(kinds)
    if kind == "python_repr":
        # A connector that wrote str(dict): single quotes and None are not JSON.
        return repr(bad).encode()
    if kind == "gbk":
        return _gbk(bad, rng)
    if kind == "missing_field":
        fields = _COMMON + _REQUIRED.get(str(bad["type"]), ())
        del bad[rng.choice(fields)]
    elif kind == "unknown_type":
        bad["type"] = rng.choice(_UNKNOWN_TYPES)
    elif kind == "naive_time":
        # Local wall time without an offset: ambiguous, so not RFC 3339.
        ms, _ = parse_occurred_at(bad["occurred_at"])
        bad["occurred_at"] = format_rfc3339(ms, _CHINA)[:19].replace("T", " ")
    elif kind == "epoch_seconds":
        # Fractional epoch seconds where integer milliseconds belong.
        ms, _ = parse_occurred_at(bad["occurred_at"])
        bad["occurred_at"] = ms / SECOND + 0.0005
    elif kind == "negative_amount":
        bad["amount"] = f"-{bad['amount']}" if isinstance(bad["amount"], str) else -bad["amount"]
    elif kind == "bad_score":
        bad["score"] = rng.choice((9, 0, 10))
    else:
        return _truncated(bad, rng)
    return orjson.dumps(bad)


def _truncated(bad: Event, rng: Random) -> bytes:
    """A write cut short; any strict prefix of a JSON object is invalid."""
    whole = orjson.dumps(bad)
    return whole[: rng.randint(len(whole) // 3, len(whole) - 1)]


def _gbk(bad: Event, rng: Random) -> bytes:
    """A legacy connector encoding GBK instead of UTF-8; ASCII-only payloads stay valid
    there, so those are cut short instead."""
    encoded = orjson.dumps(bad).decode().encode("gbk", errors="replace")
    try:
        encoded.decode("utf-8")
    except UnicodeDecodeError:
        return encoded
    return _truncated(bad, rng)
