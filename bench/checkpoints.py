"""`python -m bench.checkpoints`: what a stateful checkpoint costs, per event and per checkpoint.

One `PartitionState` applies packed batches of 500 events, as the stateful stage does, and
takes a checkpoint every `--every` events (each interval a fresh run), encoded into
changelog parts (`changelog.split`), a full one whenever the changelog's `Chain.full_due`
says so (`--ratio` is `checkpoint_delta_ratio`). Two kinds of input: `traffic`, the
chat-only traffic of `python -m bench` (bench.traffic), and `business`, generated days with
orders, refunds and ratings (pipeline.generator), so buyers with orders take the full
buyer-day form. Reported per interval: CPU µs per event of applying and of checkpointing
(taking and encoding; of it, the full snapshots), bytes per checkpoint and per event, and
the CPU of restoring the last chain (decoding its parts and loading them into a new
state). The collector is tuned as a worker tunes it. No broker: sending is the same bytes
whichever way they were made.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from agents.inquiries.hours import hours_from_settings
from agents.partition import changelog
from agents.partition.state import PartitionState
from bench.traffic import TrafficSpec, conversations
from core.errors import BadMessage
from core.settings import KefuSettings
from pipeline.generator import GenConfig, generate
from pipeline.runtime import tune_gc
from schemas.packed import PackedBatch, canonical_json
from schemas.validate import parse_event

BATCH = 500
EVERY = (2_000, 20_000, 100_000)
SETTINGS = KefuSettings()


@dataclass
class Figures:
    events: int = 0
    apply_s: float = 0.0
    checkpoint_s: float = 0.0
    full_s: float = 0.0
    checkpoints: int = 0
    fulls: int = 0
    bytes: int = 0
    restore_s: float = 0.0
    restore_bytes: int = 0


def traffic(events: int, events_per_second: float = 2_000.0) -> list[dict[str, Any]]:
    """The chat traffic of `python -m bench`, as ingest packs it (that much event time a
    second)."""
    return [
        {
            "event_id": e.event_id,
            "type": "chat.message",
            "shop_id": e.shop_id,
            "occurred_at": e.at_ms,
            "buyer_id": e.buyer_id,
            "sender": e.sender,
            "agent_id": e.agent_id,
            "msg_type": "text" if e.text else "image",
            "text": e.text,
        }  # fmt: skip
        for e in conversations(TrafficSpec(events=events, events_per_second=events_per_second))
    ]


def business(events: int) -> list[dict[str, Any]]:
    """Generated days of a few busy shops: chats, orders, refunds, ratings, complaints."""
    config = GenConfig(
        seed=3, start=datetime(2026, 11, 23, tzinfo=UTC), days=events / 60_000, shops=10,
        buyers_per_shop_day=1_600, disorder_seconds=20, duplicate_rate=0.01,
    )  # fmt: skip
    out: list[dict[str, Any]] = []
    for line in generate(config):
        if isinstance(line, dict):
            try:
                out.append(orjson.loads(canonical_json(parse_event(orjson.dumps(line)))))
            except BadMessage:
                continue
    return out[:events]


def run(events: list[dict[str, Any]], every: int, ratio: float = 1.0) -> Figures:
    state = PartitionState(0, hours_from_settings(SETTINGS), 30_000)
    chain = changelog.Chain()
    figures = Figures(events=len(events))
    written: list[bytes] = []
    batches_per_checkpoint = max(1, every // BATCH)
    for offset, start in enumerate(range(0, len(events), BATCH)):
        batch = events[start : start + BATCH]
        started = time.process_time()
        state.apply(PackedBatch(batch, watermark_ms=batch[-1]["occurred_at"]), offset, _drop, 0)
        state.take_outbox()
        figures.apply_s += time.process_time() - started
        if offset % batches_per_checkpoint == batches_per_checkpoint - 1:
            full = chain.full_due(ratio)
            started = time.process_time()
            parts = changelog.split(state.take_checkpoint(0, full))
            spent = time.process_time() - started
            figures.checkpoint_s += spent
            figures.full_s += spent if full else 0.0
            size = sum(len(p) for p in parts)
            chain.wrote(size, full=full)
            chain.base = offset if full else chain.base
            written = parts if full else written + parts
            figures.checkpoints += 1
            figures.fulls += full
            figures.bytes += size
    started = time.process_time()
    restored = PartitionState(0, hours_from_settings(SETTINGS), 30_000)
    for part in written:
        restored.load_checkpoint(changelog.decode(part))
    figures.restore_s = time.process_time() - started
    figures.restore_bytes = sum(len(p) for p in written)
    return figures


def _drop(table: str, row: tuple[Any, ...]) -> None:
    """Rows are the store's business; a checkpoint follows them."""


def report(name: str, every: int, f: Figures) -> str:
    per_event = 1e6 / f.events
    return (
        f"| {name} | {every:,} | {f.apply_s * per_event:.1f} | {f.checkpoint_s * per_event:.2f} "
        f"| {f.full_s * per_event:.2f} | {f.bytes / f.checkpoints / 1024:,.0f} "
        f"| {f.bytes / f.events:.0f} | {f.fulls} "
        f"| {f.restore_s * 1000:,.0f} ms, {f.restore_bytes / 2**20:.1f} MiB |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.checkpoints")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--every", type=int, nargs="+", default=list(EVERY))
    parser.add_argument("--data", nargs="+", choices=["traffic", "business"],
                        default=["traffic", "business"])  # fmt: skip
    parser.add_argument(
        "--ratio",
        type=float,
        default=SETTINGS.checkpoint_delta_ratio,
        help="checkpoint_delta_ratio",
    )
    args = parser.parse_args(argv)
    tune_gc()
    print("| input | events per checkpoint | apply µs/event | checkpoint µs/event | of it full ones "
          "| KiB per checkpoint | bytes per event | full ones | restore of the last chain |")  # fmt: skip
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for name in args.data:
        events = traffic(args.events) if name == "traffic" else business(args.events)
        for every in args.every:
            print(report(name, every, run(events, every, args.ratio)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
