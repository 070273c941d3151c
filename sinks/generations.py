"""State generations: the high bits of every row version (docs/metrics.md#event-time-lateness-and-duplicates).

Input offsets alone are no version: a new broker or a recreated topic starts them at 0
again, and a correction written then would lose to a stale row of the earlier run. A
partition whose state starts empty takes a generation above every recorded one, and its
versions are `generation << OFFSET_BITS | offset`, so a re-run always wins.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sinks.store import Store

OFFSET_BITS = 40
# Versions written before generations existed were plain offsets: generation 0.
LEGACY = 0


def version(generation: int, offset: int) -> int:
    return (generation << OFFSET_BITS) | offset


def generation_of(version_: int) -> int:
    return version_ >> OFFSET_BITS


def next_generation(store: Store) -> int:
    """One above every generation recorded in the store (blocking: run it in a thread)."""
    newest = store.query(f"SELECT max(generation) FROM {store.database}.generations").scalar()
    return int(newest or LEGACY) + 1


def record(store: Store, generation: int, partition: int, events_topic: str) -> None:
    """Remember that `partition` started `generation`, so later ones start above it."""
    store.insert(
        "generations",
        ("generation", "partition", "events_topic", "started_at"),
        [(generation, partition, events_topic, datetime.now(UTC))],
    )
