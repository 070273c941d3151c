"""Everything one events partition remembers, and how a packed batch changes it."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from sys import intern
from typing import Any

from agents.facts.orders import OrderState, apply_order
from agents.facts.refunds import RefundState, apply_refund
from agents.inquiries.engine import InquiryEngine
from agents.inquiries.hours import HoursFor
from agents.partition import rows
from agents.partition.buyer_days import BuyerDays
from agents.partition.dedup import SeenWindow
from agents.partition.memory import DAY_MS, Recency, Sweeps
from agents.partition.old_duplicates import AppliedBeyondWindow, Lineage, beyond_window
from agents.partition.orphans import Orphans
from agents.partition.recalled import Recalled
from agents.partition.watermarks import MemberWatermarks
from schemas.inquiry import InquiryChange
from schemas.inquiry_changes import ChangedInquiry, changed
from schemas.packed import PackedBatch
from sinks.generations import LEGACY, version

log = logging.getLogger(__name__)

Emit = Callable[[str, rows.Row], None]
# A redelivery later than this (in event time) is no longer recognised by id; the tables
# still collapse it. Every id costs ~140 bytes, so the window is memory: KefuSettings sets it.
SEEN_RETENTION_MS = 30 * 60 * 1000
# One span per restore from a checkpoint (a restart or a rebalance). Dropping the oldest makes a
# redelivery, older than the seen window, of a message stored in that span a duplicate again.
MAX_LOST_SPANS = 256


@dataclass(slots=True)
class BatchStats:
    events: int = 0
    duplicates: int = 0
    failed: int = 0


class PartitionState:
    """Applies packed batches in offset order; a batch at or below `offset` was applied already."""

    def __init__(
        self,
        partition: int,
        hours_for: HoursFor,
        lateness_ms: int,
        conversion_status: str = "paid",
        seen_retention_ms: int = SEEN_RETENTION_MS,
        conversation_memory_ms: int = 7 * DAY_MS,
        fact_memory_ms: int = 7 * DAY_MS,
    ) -> None:
        self.partition = partition
        self.hours_for = hours_for
        self.engine = InquiryEngine(hours_for, lateness_ms, watermarked=True)
        self.watermarks = MemberWatermarks()
        self.refunds: dict[str, RefundState] = {}
        self.orders: dict[str, OrderState] = {}
        self.buyer_days = BuyerDays(conversion_status, conversation_memory_ms)
        self.conversation_memory_ms = conversation_memory_ms
        self.fact_memory_ms = fact_memory_ms
        self.recency = Recency()
        self.sweeps = Sweeps()
        self._gone: dict[str, set[str]] = {"refunds": set(), "orders": set()}
        # Whether any refund or order ever left memory: only then can an unknown id be one.
        self.forgot_facts = False
        self.seen = SeenWindow(seen_retention_ms)
        self.offset = -1
        # Restored from the checkpoint, or given a new one when the state starts empty.
        self.generation = LEGACY
        # This in-memory copy of the lineage: input applied again after a restore can give
        # other rows than the first time, so its flushes take other insert dedup tokens.
        self.incarnation = secrets.token_hex(4)
        self.orphans = Orphans()
        # Wall-clock ms: when this lineage began, and when its last checkpoint was taken.
        self.started_ms = 0
        self.snapshot_ms = -1
        # Wall-clock spans (ms, inclusive) in which a copy of this lineage that was then lost
        # (killed after its last checkpoint) stored rows this state never applied.
        self.lost: list[tuple[int, int]] = []
        self.applied_beyond_window = AppliedBeyondWindow()
        self._dirty_refunds: set[str] = set()
        self._dirty_orders: set[str] = set()
        self.outbox: list[ChangedInquiry] = []

    def business_date(self, shop_id: str, at_ms: int) -> Any:
        return self.hours_for(shop_id).business_date(at_ms)

    def lineage(self) -> Lineage:
        return Lineage(self.started_ms, self.snapshot_ms, tuple(self.lost))

    def resumed(self, now_ms: int) -> None:
        """This state was restored from its checkpoint at `now_ms`: what the copy that wrote the
        checkpoint stored after it is not in this state, whatever later checkpoints say."""
        if now_ms - 1 > self.snapshot_ms:
            self.lost = [*self.lost, (self.snapshot_ms + 1, now_ms - 1)][-MAX_LOST_SPANS:]

    def apply(
        self,
        batch: PackedBatch,
        offset: int,
        emit: Emit,
        now_ms: int,
        stored_duplicates: frozenset[str] = frozenset(),
        recalled: Recalled | None = None,
    ) -> BatchStats:
        """`stored_duplicates`: messages beyond the seen window that the store shows applied.

        `recalled`: the stored state of refunds and orders this batch names that memory lost.
        """
        recalled = recalled or Recalled()
        stats = BatchStats()
        if offset <= self.offset:
            return stats
        row_version = version(self.generation, offset)
        old = {e["event_id"] for e in beyond_window(batch.events, self.seen.horizon_ms)}
        for event in batch.events:
            stats.events += 1
            event_id = event["event_id"]
            if (
                event_id in stored_duplicates
                or (event_id in old and event_id in self.applied_beyond_window)
                or not self.seen.first_time(event_id, event["occurred_at"])
            ):
                stats.duplicates += 1
                continue
            try:
                self._apply_event(event, row_version, emit, now_ms, recalled)
            except (KeyError, TypeError, ValueError):
                # Ingest validated it, so this is our bug; keep the partition moving and say so.
                stats.failed += 1
                log.exception(
                    "partition %d: cannot apply event %s", self.partition, event.get("event_id")
                )
        self.applied_beyond_window.add(old - stored_duplicates)
        if batch.events or batch.watermark_ms is not None:
            watermark = self.watermarks.observe(batch.source, batch.watermark_ms)
            if watermark is not None:
                self.engine.advance_watermark(watermark)
        if batch.flush_ms is not None:
            self.engine.flush(batch.flush_ms)
        for change in self.engine.take_changes():
            emit("inquiries", rows.inquiry_row(change.inquiry, row_version, change.deleted))
            self.outbox.append(changed(change, row_version))
            self.buyer_days.inquiry(change.inquiry, change.deleted)
            self.orphans.written(change.inquiry)
        if self.orphans:
            self._settle_orphans(row_version, emit)
        for row in self.buyer_days.take_rows(row_version):
            emit("buyer_days", row)
        self.buyer_days.advance(self.engine.horizon_ms)
        if self.sweeps.due(self.engine.horizon_ms):
            self._forget_idle(self.engine.horizon_ms)
        self.offset = offset
        return stats

    def _settle_orphans(self, row_version: int, emit: Emit) -> None:
        # Not fed to buyer-days: this generation knows nothing else of those buyers' days.
        for inquiry, deleted in self.orphans.settle(self.engine.horizon_ms):
            emit("inquiries", rows.inquiry_row(inquiry, row_version, deleted))
            self.outbox.append(changed(InquiryChange(inquiry, deleted), row_version))

    def _apply_event(
        self,
        event: dict[str, Any],
        row_version: int,
        emit: Emit,
        now_ms: int,
        recalled: Recalled,
    ) -> None:
        kind = event["type"]
        if kind == "chat.message":
            emit("chat_messages", rows.chat_row(event, now_ms))
            # The shop interned: the key outlives the event (the engine and recency share it
            # for a new conversation), and shops are few.
            key = (intern(event["shop_id"]), event["buyer_id"])
            if self.orphans:
                self.orphans.heard(key[0], key[1], event["event_id"])
            previous = self.recency.seen(key, event["occurred_at"])
            if (
                previous is not None
                and event["occurred_at"] - previous > self.conversation_memory_ms
            ):
                self.engine.forget_silent(key, event["occurred_at"])
            self.engine.add_fields(
                key,
                event["occurred_at"],
                event["event_id"],
                event["sender"],
                event.get("agent_id") or "",
            )
        elif kind == "refund":
            rid = event["refund_id"]
            refund = apply_refund(self.refunds.get(rid) or recalled.refunds.get(rid), event)
            self.refunds[refund.refund_id] = refund
            self._dirty_refunds.add(refund.refund_id)
            self._gone["refunds"].discard(refund.refund_id)
            emit("refunds", rows.refund_row(refund, row_version))
        elif kind == "order":
            oid = event["order_id"]
            order = apply_order(self.orders.get(oid) or recalled.orders.get(oid), event)
            self.orders[order.order_id] = order
            self._dirty_orders.add(order.order_id)
            self._gone["orders"].discard(order.order_id)
            emit("orders", rows.order_row(order, row_version))
            self.buyer_days.order(order)
        elif kind == "rating":
            emit("ratings", rows.rating_row(event, self.business_date))
        elif kind == "complaint":
            emit("complaints", rows.complaint_row(event, self.business_date))

    def _forget_idle(self, horizon_ms: int) -> None:
        """Forget conversations, refunds and orders past their memory (see agents.partition.memory)."""
        for key in self.recency.idle(horizon_ms - self.conversation_memory_ms):
            self.engine.forget_silent(key, horizon_ms)
            self.recency.forget(key)
        cutoff = horizon_ms - self.fact_memory_ms
        for name, facts, dirty in (
            ("refunds", self.refunds, self._dirty_refunds),
            ("orders", self.orders, self._dirty_orders),
        ):
            # Not one changed since the last checkpoint: its row may not be stored yet.
            gone = [f for f, fact in facts.items() if fact.latest[0] < cutoff and f not in dirty]
            for fid in gone:
                del facts[fid]
            self._gone[name].update(gone)
            self.forgot_facts = self.forgot_facts or bool(gone)

    def held(self) -> dict[str, int]:
        """How much this partition holds in memory, per kind."""
        return {
            "conversations": len(self.recency.last),
            "refunds": len(self.refunds),
            "orders": len(self.orders),
            "event_ids": len(self.seen),
        }

    def take_outbox(self) -> list[ChangedInquiry]:
        outbox, self.outbox = self.outbox, []
        return outbox

    def take_checkpoint(self, now_ms: int = 0, full: bool = False) -> dict[str, Any]:
        """What changed since the last checkpoint (or all of it), JSON-able; see load_checkpoint."""
        self.snapshot_ms = max(self.snapshot_ms, now_ms)
        if full:
            self.engine.touch_all()
            self.buyer_days.touch_all()
            self._dirty_refunds, self._dirty_orders = set(self.refunds), set(self.orders)
        refunds = {rid: self.refunds[rid].dump() for rid in self._dirty_refunds}
        orders = {oid: self.orders[oid].dump() for oid in self._dirty_orders}
        self._dirty_refunds, self._dirty_orders = set(), set()
        gone, self._gone = self._gone, {"refunds": set(), "orders": set()}
        checkpoint: dict[str, Any] = {
            "offset": self.offset,
            "generation": self.generation,
            "started_ms": self.started_ms,
            "snapshot_ms": self.snapshot_ms,
            "lost": [list(span) for span in self.lost],
            "members": self.watermarks.dump(),
            "meta": self.engine.export_meta(),
            "conversations": [[k[0], k[1], v] for k, v in self.engine.take_dirty().items()],
            "refunds": refunds,
            "orders": orders,
            "buyer_days": self.buyer_days.take_dirty(),
            "seen": self.seen.export_all() if full else self.seen.take_new(),
            "recency": self.recency.take(full),
            "gone_refunds": sorted(gone["refunds"]),
            "gone_orders": sorted(gone["orders"]),
            "full": full,
            "forgot_facts": self.forgot_facts,
            # When memory was last swept: a restored state forgets exactly when this one would.
            "swept": [
                self.sweeps.swept_at,
                self.buyer_days.floor_sweeps.swept_at,
                self.seen.pruned_at,
            ],
        }
        if self.orphans.changed:
            checkpoint["orphans"] = self.orphans.dump()
        return checkpoint

    def load_checkpoint(self, part: dict[str, Any]) -> None:
        self.offset = max(self.offset, part["offset"])
        self.generation = part.get("generation", LEGACY)
        self.started_ms = part.get("started_ms", 0)
        self.snapshot_ms = part.get("snapshot_ms", -1)
        self.lost = [(start, end) for start, end in part.get("lost", ())]
        self.watermarks.load(part.get("members", []))
        if "orphans" in part:
            self.orphans.load(part["orphans"])
        self.engine.load_meta(part["meta"])
        for shop_id, buyer_id, state in part["conversations"]:
            self.engine.load((shop_id, buyer_id), state)
        for rid, data in part["refunds"].items():
            self.refunds[rid] = RefundState.load(data)
        for oid, data in part["orders"].items():
            self.orders[oid] = OrderState.load(data)
        swept = part.get("swept")  # not in checkpoints of releases before format 2
        if swept is not None:
            self.sweeps.swept_at, self.buyer_days.floor_sweeps.swept_at = swept[0], swept[1]
        pruned_at = None if swept is None else swept[2]
        self.seen.load([(eid, at) for eid, at in part["seen"]], pruned_at)
        self.recency.load(part.get("recency", ()))
        self.forgot_facts = part.get("forgot_facts", False)
        for rid in part.get("gone_refunds", ()):
            self.refunds.pop(rid, None)
        for oid in part.get("gone_orders", ()):
            self.orders.pop(oid, None)
        for shop_id, buyer_id, state in part.get("buyer_days", ()):
            self.buyer_days.load(shop_id, buyer_id, state)
