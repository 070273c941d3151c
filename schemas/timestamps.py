"""Event time on the wire (RFC 3339 with offset, or epoch ms) to UTC epoch milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Years 2000..2100 in epoch ms: outside this a number is a unit mistake (seconds, micros).
_MIN_MS = 946_684_800_000
_MAX_MS = 4_102_444_800_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def to_epoch_ms(value: object) -> int:
    """Accept an int of epoch ms or an RFC 3339 string that names its offset."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        msg = "occurred_at must be an RFC 3339 string or epoch milliseconds"
        raise ValueError(msg)
    ms = value if isinstance(value, int) else _parse_rfc3339(value)
    if not _MIN_MS <= ms < _MAX_MS:
        msg = f"occurred_at {value!r} is outside 2000..2100 (epoch milliseconds expected)"
        raise ValueError(msg)
    return ms


def _parse_rfc3339(text: str) -> int:
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError as exc:
        msg = f"occurred_at {text!r} is not an RFC 3339 timestamp"
        raise ValueError(msg) from exc
    if stamp.tzinfo is None:
        msg = f"occurred_at {text!r} has no UTC offset"
        raise ValueError(msg)
    # Integer division keeps millisecond exactness that float timestamps would lose.
    return (stamp - _EPOCH) // _ONE_MS


def from_epoch_ms(ms: int) -> datetime:
    return _EPOCH + ms * _ONE_MS
