"""Delivery order: time order within a bounded buffer, plus disorder, duplicates, bad lines."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from random import Random
from typing import Any

from pipeline.generator.config import GenConfig
from pipeline.generator.events import Event
from pipeline.generator.malformed import corrupt

Line = dict[str, Any] | bytes
# At-least-once sources redeliver within about a minute.
_DUPLICATE_DELAY_MS = (200, 60_000)


class Delivery:
    """Holds events until no later-generated event can precede them, then releases them.

    Each event is keyed by occurred_at plus a jitter in [0, disorder]; releasing in key
    order means an event never arrives after one that happened more than `disorder`
    later. Duplicates and malformed lines are extra; they never replace an event.
    """

    def __init__(self, config: GenConfig, rng: Random, tag: str) -> None:
        self._heap: list[tuple[int, int, Event, bool]] = []
        self._rng = rng
        self._tag = tag
        self._disorder_ms = int(config.disorder_seconds * 1_000)
        self._duplicate_rate = config.duplicate_rate
        self._malformed_rate = config.malformed_rate
        self._seq = 0
        self._malformed = 0

    def push(self, ms: int, event: Event) -> None:
        key = ms + self._rng.randint(0, self._disorder_ms) if self._disorder_ms else ms
        self._add(key, event, copy=False)

    def __len__(self) -> int:
        return len(self._heap)

    def _add(self, key: int, event: Event, *, copy: bool) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (key, self._seq, event, copy))

    def release(self, until: int | None = None) -> Iterator[Line]:
        """Everything keyed before `until` (all of it when None), in delivery order."""
        heap = self._heap
        while heap and (until is None or heap[0][0] < until):
            key, _, event, copy = heapq.heappop(heap)
            if copy:
                yield event
                continue
            if self._duplicate_rate and self._rng.random() < self._duplicate_rate:
                # Copy before yielding: a consumer may change the dict it receives.
                later = key + self._rng.randint(*_DUPLICATE_DELAY_MS)
                self._add(later, dict(event), copy=True)
            bad = None
            if self._malformed_rate and self._rng.random() < self._malformed_rate:
                bad = corrupt(event, self._rng, self._fresh_id(event))
            yield event
            if bad is not None:
                yield bad

    def _fresh_id(self, event: Event) -> str:
        self._malformed += 1
        prefix = str(event["event_id"]).split("-", 1)[0]
        return f"{prefix}-{self._tag}-x{self._malformed:06x}"
