"""`python -m bench.state_memory [N]`: memory of one events partition's whole state at N open conversations.

The engine alone is measured by `python -m bench` (bench.engine_scale); this adds what the
stateful stage holds beside it: buyer-days, the dedup window, the refund and order folds.
`PartitionState` gets one buyer message for each of N distinct buyers (spread over four
minutes of event time, so every inquiry stays open), in packed batches of 1,000 with a
checkpoint taken every 50 batches, as a worker takes them. It prints the growth of the
resident set, then tracemalloc's split by module at N/10 (tracing is too slow for N).
Then the same for the side stage's parts on the same events (escalations and QC, one
decode, shared scans, a snapshot delta every 50 batches): a worker holds both.
"""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

from agents.escalation.stage import EscalationPartition
from agents.inquiries.hours import hours_from_settings
from agents.partition.state import PartitionState
from agents.qc.dictionary import reload
from agents.qc.stage import QcPartition
from agents.qc.threats import BatchScans, threat_finder
from bench.measure import rss_bytes
from bench.traffic import DAY_START_MS
from core.settings import KefuSettings
from pipeline.runtime import tune_gc
from schemas.packed import PackedBatch

BATCH = 1000
SPAN_MS = 240_000


def _event(j: int, n: int) -> dict[str, Any]:
    return {
        "event_id": f"mem-{j:09d}", "type": "chat.message", "shop_id": f"s{j % 50}",
        "occurred_at": DAY_START_MS + j * SPAN_MS // n, "buyer_id": f"pdd_{j:09d}",
        "sender": "buyer", "agent_id": None, "msg_type": "text", "text": "在吗", "order_id": None,
    }  # fmt: skip


def _batches(n: int) -> Iterator[PackedBatch]:
    """The N buyers' messages in packed batches, each watermarked at its end."""
    for start in range(0, n, BATCH):
        events = [_event(j, n) for j in range(start, min(n, start + BATCH))]
        yield PackedBatch(events, watermark_ms=DAY_START_MS + (start + BATCH) * SPAN_MS // n)


def fill(n: int) -> PartitionState:
    state = PartitionState(0, hours_from_settings(KefuSettings()), 30_000)
    for offset, batch in enumerate(_batches(n)):
        state.apply(batch, offset, lambda *_: None, 0)
        state.take_outbox()
        if offset % 50 == 49:
            state.take_checkpoint()
    state.take_checkpoint()
    return state


def fill_side(n: int) -> list[object]:
    settings = KefuSettings()
    rules = reload()
    scans = BatchScans()
    finder = threat_finder(lambda: rules, scans)
    escalations = EscalationPartition(settings, hours_from_settings(settings), finder)
    qc = QcPartition(settings, lambda: rules, scans=scans)
    for offset, batch in enumerate(_batches(n)):
        escalations.apply_batch(batch, offset)
        qc.apply_batch(batch, offset)
        if offset % 50 == 49:
            escalations.dump_delta()
            qc.dump_delta()
    return [escalations, qc]


def _growth(what: str, fill_state: Callable[[int], object], n: int) -> None:
    """Print the resident set's growth while `fill_state(n)` is held."""
    before = rss_bytes()
    state = fill_state(n)
    grown = rss_bytes() - before
    print(f"{what} {grown / 2**20:,.0f} MiB RSS growth, {grown / n:,.0f} bytes per conversation")
    del state


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 1_000_000
    tune_gc()  # as a worker runs
    _growth(f"{n:,} open conversations: partition state", fill, n)
    tracemalloc.start()
    traced_n = max(1, n // 10)
    kept = fill(traced_n)
    print(f"\ntraced at {traced_n:,} (bytes per conversation, by module):")
    for stat in tracemalloc.take_snapshot().statistics("filename")[:6]:
        print(f"  {stat.size / traced_n:6.0f}  {stat.traceback[0].filename}")
    del kept
    _growth("\nside stage (escalations, QC) on the same events:", fill_side, n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
