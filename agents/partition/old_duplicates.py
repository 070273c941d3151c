"""Redeliveries older than the seen window: a duplicate changes nothing, whatever its age.

The seen window keeps event ids for `dedup_window_minutes` of event time; a chat message
older than that cannot be judged by it. Such messages are rare (a source re-sending hours
later), so each batch's few are judged by two facts of this state's lineage: the ids this
process applied beyond the window, and the chat messages the store holds that this
generation stored before the state's last checkpoint (docs/metrics.md#event-time-lateness-and-duplicates).
A message stored after that checkpoint is not a duplicate of the restored state: a restart
applies it again, as it must, and the span in which the lost copy stored it stays out of the
lineage when the restored state checkpoints again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sinks.store import Store

# Ids applied beyond the window, remembered in this process; the store covers the rest.
REMEMBERED = 100_000

STORED_SQL = """
SELECT DISTINCT event_id FROM {database}.chat_messages
WHERE shop_id IN {{shops:Array(String)}}
  AND occurred_at BETWEEN fromUnixTimestamp64Milli({{first:Int64}}, 'UTC')
                      AND fromUnixTimestamp64Milli({{last:Int64}}, 'UTC')
  AND event_id IN {{ids:Array(String)}}
  AND ingested_at BETWEEN fromUnixTimestamp64Milli({{since:Int64}}, 'UTC')
                      AND fromUnixTimestamp64Milli({{until:Int64}}, 'UTC')
  AND NOT arrayExists((lo, hi) -> toUnixTimestamp64Milli(ingested_at) BETWEEN lo AND hi,
                      {{lost_from:Array(Int64)}}, {{lost_to:Array(Int64)}})
"""


@dataclass(frozen=True, slots=True)
class Lineage:
    """The wall-clock span in which this state's lineage stored what its checkpoint covers,
    less the spans in which lost copies of it stored what it does not.

    Copies on different hosts compare their clocks here: a restore comes a session timeout
    after the copy it replaces stopped, so clocks a few seconds apart still keep them apart.
    """

    since_ms: int
    until_ms: int
    lost: tuple[tuple[int, int], ...] = ()


class AppliedBeyondWindow:
    """Ids of chat messages applied although older than the seen window (most recent kept)."""

    def __init__(self, limit: int = REMEMBERED) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def add(self, event_ids: set[str]) -> None:
        for event_id in event_ids:
            self._ids[event_id] = None
        while len(self._ids) > self._limit:
            self._ids.popitem(last=False)


def beyond_window(events: list[dict[str, Any]], horizon_ms: int) -> list[dict[str, Any]]:
    """The chat messages of a batch that the seen window can no longer judge."""
    return [e for e in events if e["type"] == "chat.message" and e["occurred_at"] < horizon_ms]


def stored_before(store: Store, events: list[dict[str, Any]], lineage: Lineage) -> set[str]:
    """Which of `events` this lineage stored before its checkpoint (blocking: use a thread)."""
    if not events or lineage.until_ms < lineage.since_ms:
        return set()
    rows = store.query(
        STORED_SQL.format(database=store.database),
        {
            "shops": sorted({e["shop_id"] for e in events}),
            "first": min(e["occurred_at"] for e in events),
            "last": max(e["occurred_at"] for e in events),
            "ids": [e["event_id"] for e in events],
            "since": lineage.since_ms,
            "until": lineage.until_ms,
            "lost_from": [start for start, _ in lineage.lost],
            "lost_to": [end for _, end in lineage.lost],
        },
    ).rows
    return {row[0] for row in rows}
