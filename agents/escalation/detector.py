"""The escalation rules over each conversation's events in order (docs/metrics.md, "Escalations").

Every rule is decided on event time only, so the same input raises the same escalations
whatever the batching: a long wait runs out at `effective open + escalate_after`, whether a
late human reply or the event-time horizon shows it first.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from agents.escalation import seen_ids
from agents.escalation.rules import Escalation, escalation_id
from agents.inquiries.hours import HoursFor
from agents.qc.threats import ThreatFinder
from core.settings import EscalationRule, KefuSettings

# Conversations quiet this long (event time) with no wait running are forgotten: their
# escalation ids name a business day long past, and the state stays bounded.
FORGET_AFTER_MS = 2 * 86_400_000


@dataclass(slots=True)
class Conversation:
    agent_id: str = ""
    unanswered: int = 0
    wait_due_ms: int | None = None
    wait_agent: str = ""  # the agent when the wait began: the same whoever ends it
    last_ms: int = 0
    # None while empty, as in most conversations: an empty set alone is 216 bytes, a
    # quarter of a conversation (a partition holds two days of them).
    rejections: dict[str, int] | None = None
    raised: set[str] | None = None
    seen: bytearray = field(default_factory=seen_ids.new)  # for dedup: seen_ids

    def dump(self) -> list[Any]:
        return [
            self.agent_id,
            self.unanswered,
            self.wait_due_ms,
            self.wait_agent,
            self.last_ms,
            self.rejections or {},
            sorted(self.raised or ()),
            seen_ids.dump(self.seen),
        ]

    @classmethod
    def load(cls, data: list[Any]) -> Conversation:
        agent, unanswered, due, wait_agent, last, rejections, raised, seen = data
        return cls(
            agent,
            unanswered,
            due,
            wait_agent,
            last,
            dict(rejections) or None,
            set(raised) or None,
            seen_ids.load(seen),
        )


class Detector:
    """Conversations keyed by (shop_id, buyer_id); `apply` events, `advance` event time."""

    def __init__(self, settings: KefuSettings, hours_for: HoursFor, threats: ThreatFinder) -> None:
        self._settings = settings
        self._hours_for = hours_for
        self._threats = threats
        self._dedup_ms = settings.dedup_window_minutes * 60_000
        self._conversations: dict[tuple[str, str], Conversation] = {}
        # Running waits by due time; an entry whose conversation moved on is skipped.
        self._waits: list[tuple[int, str, str]] = []
        self._swept_hour = 0  # conversations are forgotten once per hour of event time
        self._changed: set[tuple[str, str]] = set()  # since the last `take_changed`

    def dump(self) -> list[Any]:
        return [[shop, buyer, conv.dump()] for (shop, buyer), conv in self._conversations.items()]

    def load(self, data: list[Any]) -> None:
        self._conversations = {(shop, buyer): Conversation.load(c) for shop, buyer, c in data}
        self._waits = [
            (conv.wait_due_ms, shop, buyer)
            for (shop, buyer), conv in self._conversations.items()
            if conv.wait_due_ms is not None
        ]
        heapq.heapify(self._waits)
        self._changed = set()

    def take_changed(self) -> list[Any]:
        """[shop, buyer, conversation or None when forgotten] of the conversations changed
        since the last call or `dump`, for `load_changed` on the state as it was then."""
        changed, self._changed = self._changed, set()
        out: list[Any] = []
        for shop, buyer in changed:
            conv = self._conversations.get((shop, buyer))
            out.append([shop, buyer, None if conv is None else conv.dump()])
        return out

    def forget_changes(self) -> None:
        """After a full snapshot: the next delta starts from it."""
        self._changed = set()

    def load_changed(self, changed: list[Any]) -> None:
        for shop, buyer, data in changed:
            if data is None:
                self._conversations.pop((shop, buyer), None)
                continue
            conv = self._conversations[(shop, buyer)] = Conversation.load(data)
            if conv.wait_due_ms is not None:
                # An entry left for its old wait is skipped when due, as in `advance`.
                heapq.heappush(self._waits, (conv.wait_due_ms, shop, buyer))

    def apply(self, event: dict[str, Any]) -> list[Escalation]:
        key = (event["shop_id"], event.get("buyer_id") or "")
        conv = self._conversations.get(key)
        if conv is None:
            conv = self._conversations[key] = Conversation()
        self._changed.add(key)
        if self._redelivered(conv, event):
            return []
        kind = event["type"]
        if kind == "chat.message":
            return self._chat(key, conv, event)
        if kind == "refund":
            return self._refund(key, conv, event)
        if kind == "rating":
            return self._rating(key, conv, event)
        return []

    def advance(self, horizon_ms: int) -> list[Escalation]:
        """Waits that ran out by the horizon, before which all input is complete."""
        raised: list[Escalation] = []
        while self._waits and self._waits[0][0] <= horizon_ms:
            due, shop, buyer = heapq.heappop(self._waits)
            conv = self._conversations.get((shop, buyer))
            if conv is not None and conv.wait_due_ms == due:  # else the wait ended earlier
                conv.wait_due_ms = None
                self._changed.add((shop, buyer))
                raised += self._raise((shop, buyer), conv, "long_wait", due, conv.wait_agent, "")
        hour = horizon_ms // 3_600_000
        if hour > self._swept_hour:
            self._swept_hour = hour
            self._forget(horizon_ms - FORGET_AFTER_MS)
        return raised

    def _forget(self, before_ms: int) -> None:
        quiet = [
            key
            for key, conv in self._conversations.items()
            if conv.wait_due_ms is None and conv.last_ms < before_ms
        ]
        for key in quiet:
            del self._conversations[key]
        self._changed.update(quiet)

    def _redelivered(self, conv: Conversation, event: dict[str, Any]) -> bool:
        """A redelivered event (same id within the dedup window) must not count twice."""
        at = int(event["occurred_at"])
        conv.last_ms = max(conv.last_ms, at)
        ident = event.get("event_id")
        if not isinstance(ident, str):
            return False
        key = seen_ids.digest(ident)
        if seen_ids.holds(conv.seen, key):
            return True
        seen_ids.add(conv.seen, key, at)
        if seen_ids.count(conv.seen) > 64:
            conv.seen = seen_ids.since(conv.seen, conv.last_ms - self._dedup_ms)
        return False

    def _chat(
        self, key: tuple[str, str], conv: Conversation, ev: dict[str, Any]
    ) -> list[Escalation]:
        at = int(ev["occurred_at"])
        sender = ev.get("sender")
        if ev.get("agent_id"):
            conv.agent_id = ev["agent_id"]
        if sender == "agent":
            raised = self._wait_ended(key, conv, at)
            conv.unanswered = 0
            return raised
        if sender != "buyer":
            return []
        shop = self._settings.shop(key[0])
        raised = []
        conv.unanswered += 1
        if conv.wait_due_ms is None:
            opened = self._hours_for(key[0]).effective_open_ms(at)
            conv.wait_due_ms = opened + shop.escalate_after_seconds * 1000
            conv.wait_agent = conv.agent_id
            heapq.heappush(self._waits, (conv.wait_due_ms, key[0], key[1]))
        if conv.unanswered >= shop.unanswered_messages:
            detail = f"{conv.unanswered} messages"
            raised += self._raise(key, conv, "repeated_unanswered", at, conv.agent_id, detail)
        words = self._threats(key[0], ev.get("text") or "")
        if words:
            raised += self._raise(key, conv, "complaint_threat", at, conv.agent_id, ",".join(words))
        return raised

    def _wait_ended(self, key: tuple[str, str], conv: Conversation, at: int) -> list[Escalation]:
        due = conv.wait_due_ms
        conv.wait_due_ms = None
        if due is None or at < due:
            return []
        return self._raise(key, conv, "long_wait", due, conv.wait_agent, "")

    def _refund(
        self, key: tuple[str, str], conv: Conversation, ev: dict[str, Any]
    ) -> list[Escalation]:
        at = int(ev["occurred_at"])
        # Only the event's own agent: chat and refunds come on different raw topics, so which
        # chat message arrived first is not fixed, and the owner must not depend on it.
        agent = ev.get("agent_id") or ""
        status = ev.get("status")
        refund_id = str(ev.get("refund_id"))
        if status == "dispute_opened":
            return self._raise(key, conv, "dispute_opened", at, agent, refund_id)
        if status != "rejected":
            return []
        rejections = conv.rejections = conv.rejections or {}
        count = rejections[refund_id] = rejections.get(refund_id, 0) + 1
        if count < 2:
            return []
        return self._raise(key, conv, "refund_rejected_twice", at, agent, refund_id)

    def _rating(
        self, key: tuple[str, str], conv: Conversation, ev: dict[str, Any]
    ) -> list[Escalation]:
        comment = ev.get("comment")
        if int(ev["score"]) > 2 or not isinstance(comment, str) or not comment.strip():
            return []
        # Only the event's own agent: chat and refunds come on different raw topics, so which
        # chat message arrived first is not fixed, and the owner must not depend on it.
        agent = ev.get("agent_id") or ""
        detail = f"score {ev['score']}: {comment.strip()[:200]}"
        return self._raise(key, conv, "low_rating", int(ev["occurred_at"]), agent, detail)

    def _raise(
        self,
        key: tuple[str, str],
        conv: Conversation,
        rule: EscalationRule,
        at: int,
        agent_id: str,
        detail: str,
    ) -> list[Escalation]:
        shop_id, buyer_id = key
        severity = self._settings.shop(shop_id).escalation_rules.get(rule)
        if severity is None:
            return []
        day = self._hours_for(shop_id).business_date(at)
        ident = escalation_id(shop_id, buyer_id, rule, day)
        if conv.raised is None:
            conv.raised = {ident}
        elif ident in conv.raised:
            return []
        else:
            conv.raised.add(ident)
        return [Escalation(ident, shop_id, buyer_id, agent_id, rule, severity, at, day, detail)]
