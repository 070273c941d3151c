"""The work the peer and the naive agent do: per-shop 5-minute reply rates in 1-minute windows.

Per conversation (shop_id, buyer_id), in arrival order: a buyer message opens an inquiry
when none is open; the next `agent` message answers it; it counts as replied when the
answer came within five minutes. Per shop and per 1-minute tumbling window of the
inquiry's opening time: inquiries, replied, and their ratio (the 5-minute reply rate).
A window is final five minutes after its end (event time), when it is emitted.

This is the core of what our stateful stage computes (docs/metrics.md#inquiries-and-response-time), without service
hours, lateness re-ordering, attribution or storage. Standard library only: the peer
runner imports it from its own virtual environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

WINDOW_MS = 60_000
DEADLINE_MS = 300_000


def occurred_ms(value: Any) -> int:
    """`occurred_at` of the wire format (docs/events.md): epoch ms or RFC 3339 with an offset."""
    if isinstance(value, int):
        return value
    return int(datetime.fromisoformat(value).timestamp() * 1000)


def window_of(at_ms: int) -> int:
    return at_ms - at_ms % WINDOW_MS


@dataclass(frozen=True, slots=True)
class Outcome:
    """One count for a shop's window: an inquiry opened (n=1) or replied in time (r=1)."""

    shop_id: str
    opened_ms: int
    n: int
    r: int


def step(open_ms: int | None, event: dict[str, Any]) -> tuple[int | None, Outcome | None]:
    """One message of a conversation: its new open-inquiry time and the count it adds."""
    sender = event["sender"]
    if sender == "buyer":
        if open_ms is not None:
            return open_ms, None
        at = occurred_ms(event["occurred_at"])
        return at, Outcome(event["shop_id"], at, 1, 0)
    if sender == "agent" and open_ms is not None:
        replied = occurred_ms(event["occurred_at"]) - open_ms <= DEADLINE_MS
        return None, Outcome(event["shop_id"], open_ms, 0, 1) if replied else None
    return open_ms, None


@dataclass
class ReplyRates:
    """Conversations and shop windows in plain dicts, one event at a time."""

    open: dict[tuple[str, str], int] = field(default_factory=dict)
    windows: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    newest_ms: int = 0
    closed: int = 0
    inquiries: int = 0
    replied: int = 0

    def observe(self, event: dict[str, Any]) -> None:
        key = (event["shop_id"], event["buyer_id"])
        before = self.open.get(key)
        after, outcome = step(before, event)
        if after is None:
            self.open.pop(key, None)
        elif after != before:
            self.open[key] = after
        if outcome is not None:
            self._count(outcome)

    def _count(self, outcome: Outcome) -> None:
        counts = self.windows.setdefault((outcome.shop_id, window_of(outcome.opened_ms)), [0, 0])
        counts[0] += outcome.n
        counts[1] += outcome.r
        self.inquiries += outcome.n
        self.replied += outcome.r
        if outcome.n and window_of(outcome.opened_ms) > window_of(self.newest_ms):
            self.newest_ms = outcome.opened_ms
            self._close()

    def _close(self) -> None:
        """Emit (here: count) the windows every answer of which is in."""
        limit = self.newest_ms - DEADLINE_MS - WINDOW_MS
        for key in [k for k in self.windows if k[1] < limit]:
            del self.windows[key]
            self.closed += 1
