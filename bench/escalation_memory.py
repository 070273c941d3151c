"""`python -m bench.escalation_memory [N] [K]`: the escalation detector's memory and time
with N conversations of K chat messages each.

`bench.state_memory` gives each conversation one message; a conversation of a real day has
several, and the detector keeps every conversation, with the ids of its events, for up to
two days of quiet. This feeds a `Detector` K rounds of one message per conversation (buyer
and agent in turn, each with an id of its own), untraced for the time per event, then again
under tracemalloc for the bytes per conversation it holds afterwards.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

from agents.escalation.detector import Detector
from agents.inquiries.hours import hours_from_settings
from agents.qc.dictionary import reload
from agents.qc.threats import threat_finder
from bench.traffic import DAY_START_MS
from core.settings import KefuSettings


def _events(n: int, k: int) -> Iterator[dict[str, Any]]:
    for round_ in range(k):
        for j in range(n):
            yield {
                "event_id": f"pdd-msg-{j:08d}-{round_:03d}", "type": "chat.message",
                "shop_id": f"s{j % 50}", "buyer_id": f"pdd_{j:09d}",
                "sender": "buyer" if round_ % 2 == 0 else "agent", "agent_id": "a1",
                "text": "好的", "occurred_at": DAY_START_MS + round_ * 1000 + j,
            }  # fmt: skip


def _fed(n: int, k: int) -> tuple[Detector, float]:
    """A detector after the traffic, and the CPU seconds its `apply` took."""
    settings = KefuSettings()
    rules = reload()
    detector = Detector(settings, hours_from_settings(settings), threat_finder(lambda: rules))
    started = time.process_time()
    for event in _events(n, k):
        detector.apply(event)
    return detector, time.process_time() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    _, cpu = _fed(n, k)
    gc.collect()
    tracemalloc.start()
    held = _fed(n, k)
    gc.collect()
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(
        f"{n:,} conversations x {k} messages: {size / n:,.0f} bytes per conversation held "
        f"(traced), apply {cpu / (n * k) * 1e6:.2f} µs per event (untraced)"
    )
    del held


if __name__ == "__main__":
    main()
