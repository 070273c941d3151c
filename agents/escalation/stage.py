"""One events partition's escalation state: the detector, its event time, and SLA clocks.

Event time is the partition's watermark (the slowest ingest member) less `lateness_seconds`,
as in the stateful stage, or a replay's flush marker. Whatever batching brings, the same
input yields the same escalations and clock events (docs/metrics.md, "Escalations").
"""

from __future__ import annotations

import heapq
from typing import Any

from agents.escalation.detector import Detector
from agents.escalation.rules import Escalation
from agents.escalation.work_orders import Lifecycle, clocks, open_order
from agents.inquiries.hours import HoursFor
from agents.partition.watermarks import MemberWatermarks, batch_horizon
from agents.qc.threats import ThreatFinder
from core.settings import KefuSettings
from schemas.packed import PackedBatch, unpack

Output = Escalation | Lifecycle
Clock = tuple[int, str, str]


class EscalationPartition:
    """Apply packed batches of one partition; `offset` is the last input applied."""

    def __init__(self, settings: KefuSettings, hours_for: HoursFor, threats: ThreatFinder) -> None:
        self.settings = settings
        self.hours_for = hours_for
        self.detector = Detector(settings, hours_for, threats)
        self.watermarks = MemberWatermarks()
        self.lateness_ms = settings.lateness_seconds * 1000
        self.horizon_ms = 0
        self.offset = -1
        self.clocks: list[Clock] = []  # heap of (due, order id, action)
        # Since the last snapshot: the clocks pushed and not rung, and the newest horizon
        # rung (every clock due by then is gone), so that a delta need not carry the heap
        # (work orders' resolution clocks run for days).
        self._new_clocks: list[Clock] = []
        self._rung: int | None = None

    def apply(self, raw: bytes, offset: int) -> list[Output]:
        return self.apply_batch(unpack(raw), offset)

    def apply_batch(self, batch: PackedBatch, offset: int) -> list[Output]:
        out: list[Output] = []
        for event in batch.events:
            self._opened(out, self.detector.apply(event))
        horizon = batch_horizon(batch, self.watermarks, self.lateness_ms)
        if horizon is not None and horizon > self.horizon_ms:
            self.horizon_ms = horizon
            self._opened(out, self.detector.advance(horizon))
            self._ring(out, horizon)
        self.offset = offset
        return out

    def _opened(self, out: list[Output], raised: list[Escalation]) -> None:
        for escalation in raised:
            out.append(escalation)
            order = open_order(escalation, self.settings, self.hours_for)
            for clock in clocks(order):
                entry = (clock.at, clock.work_order_id, clock.action)
                heapq.heappush(self.clocks, entry)
                self._new_clocks.append(entry)

    def _ring(self, out: list[Output], horizon: int) -> None:
        while self.clocks and self.clocks[0][0] <= horizon:
            at, ident, action = heapq.heappop(self.clocks)
            out.append(Lifecycle(ident, action, at, by="kefu"))  # type: ignore[arg-type]
        self._rung = horizon
        self._new_clocks = [c for c in self._new_clocks if c[0] > horizon]

    def dump(self) -> dict[str, Any]:
        self.detector.forget_changes()
        self._new_clocks, self._rung = [], None
        return {
            **self._head(),
            "clocks": sorted(self.clocks),  # a sorted list is a heap, and equal copies match
            "conversations": self.detector.dump(),
        }

    def dump_delta(self) -> dict[str, Any]:
        """What changed since the last snapshot: the conversations touched since (whole),
        the clocks pushed since and still set, and the newest horizon rung since (the
        clocks of the snapshot before that are due by then are gone)."""
        added, self._new_clocks = self._new_clocks, []
        rung, self._rung = self._rung, None
        return {
            **self._head(),
            "clocks_added": added,
            "rung": rung,
            "changed": self.detector.take_changed(),
        }

    def load(self, data: dict[str, Any]) -> None:
        self._load_head(data)
        self.clocks = _clocks(data["clocks"])
        heapq.heapify(self.clocks)
        self.detector.load(data["conversations"])

    def load_delta(self, data: dict[str, Any]) -> None:
        self._load_head(data)
        if "clocks" in data:  # a delta of a release before clocks_added: the heap whole
            self.clocks = _clocks(data["clocks"])
        else:
            rung = data["rung"]
            kept = self.clocks if rung is None else [c for c in self.clocks if c[0] > rung]
            self.clocks = kept + _clocks(data["clocks_added"])
        heapq.heapify(self.clocks)
        self.detector.load_changed(data["changed"])

    def _head(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "horizon": self.horizon_ms,
            "members": self.watermarks.dump(),
        }

    def _load_head(self, data: dict[str, Any]) -> None:
        self.offset = data["offset"]
        self.horizon_ms = data["horizon"]
        self.watermarks.load(data.get("members", []))
        self._new_clocks, self._rung = [], None


def _clocks(data: list[Any]) -> list[Clock]:
    return [(int(at), str(ident), str(action)) for at, ident, action in data]
