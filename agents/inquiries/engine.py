"""InquiryEngine: the chat messages of one input partition in, inquiry row changes out.

Pure and synchronous (metrics.md 1). Per conversation the result equals processing its
messages sorted by (at_ms, event_id), as long as each arrives no later than `lateness_ms`
behind the newest message seen; the horizon (newest - lateness) settles older messages
into compact state and decides which unanswered inquiries are missed.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from heapq import heappop, heappush
from typing import Any

from agents.inquiries.conversation import Conversation, Item, Sig, replay, sig_from_json
from agents.inquiries.hours import HoursFor
from agents.inquiries.model import (
    DEADLINE_MS,
    MISSED,
    OPEN,
    WITHIN_3M,
    WITHIN_5M,
    WITHIN_30S,
    Inquiry,
    InquiryChange,
    Message,
)

log = logging.getLogger(__name__)

Key = tuple[str, str]
RowKey = tuple[str, str, str]
State = dict[str, Any]

_NEVER = -(1 << 62)
_ALL = 1 << 62


@dataclass(slots=True)
class EngineStats:
    """Counters since start; open_inquiries counts unanswered ones held (open or missed)."""

    messages: int = 0
    duplicates: int = 0
    late: int = 0
    open_inquiries: int = 0


class InquiryEngine:
    """Inquiries of every conversation of one input partition (one instance per partition)."""

    def __init__(self, hours_for: HoursFor, lateness_ms: int) -> None:
        self._hours_for = hours_for
        self._lateness = lateness_ms
        self._max_seen = _NEVER
        self._horizon = _NEVER
        self._sealed = _NEVER  # messages below may have settled (the horizon, or past a flush)
        self._convs: dict[Key, Conversation] = {}
        self._idle: dict[Key, str] = {}  # conversations with nothing open: their last agent
        self._settle_heap: list[tuple[int, Key]] = []
        self._deadlines: list[tuple[int, Key, str]] = []
        self._dirty: set[Key] = set()  # rows to reconcile before the next take_changes
        self._touched: set[Key] = set()  # states to hand out at the next take_dirty
        self._changes: dict[RowKey, tuple[Sig | None, Sig | None]] = {}  # (taken, current)
        self.stats = EngineStats()

    @property
    def max_seen_ms(self) -> int:
        return self._max_seen

    @property
    def horizon_ms(self) -> int:
        return self._horizon

    def add(self, msg: Message) -> None:
        """Take one chat message of any sender, in any order."""
        self.stats.messages += 1
        at = msg.at_ms
        if at > self._max_seen:
            self._max_seen = at
            horizon = at - self._lateness
            if horizon > self._horizon:
                self._horizon = horizon
                if horizon > self._sealed:
                    self._sealed = horizon
                self._advance(horizon)
        key = (msg.shop_id, msg.buyer_id)
        item = (at, msg.event_id, msg.sender, msg.agent_id)
        conv = self._convs.get(key)
        if conv is None:
            conv = self._convs[key] = Conversation(self._idle.pop(key, ""))
            conv.pending = [item]
        elif not self._insert(conv, item):
            self.stats.duplicates += 1
            return
        self._touched.add(key)
        if at < self._horizon:
            self.stats.late += 1
            log.debug(
                "late message %s of %s/%s, %d ms behind the horizon: folded in after settled state",
                msg.event_id,
                key[0],
                key[1],
                self._horizon - at,
            )
            self._reconcile(key, conv, _count_before(conv.pending, self._horizon))
            return
        if conv.settle_at is None or at < conv.settle_at:
            conv.settle_at = at
            heappush(self._settle_heap, (at, key))
        self._dirty.add(key)

    def flush(self, until_ms: int) -> None:
        """End of input up to until_ms: settle everything and expire deadlines it passed."""
        if until_ms > self._horizon:
            self._horizon = until_ms
        self._advance(self._horizon)
        heap = self._settle_heap
        while heap:
            at, key = heappop(heap)
            conv = self._convs.get(key)
            if conv is not None and conv.settle_at == at:
                conv.settle_at = None
                self._settle(key, conv, _ALL)
        self._sealed = max(self._sealed, self._horizon, self._max_seen + 1)

    def take_changes(self) -> list[InquiryChange]:
        """Net row changes since the last call: upserts, and deletions of emitted rows."""
        dirty, self._dirty = self._dirty, set()
        self._touched |= dirty  # their states lose the dirty mark
        for key in dirty:
            conv = self._convs.get(key)
            if conv is not None:
                self._reconcile(key, conv, 0)
        out: list[InquiryChange] = []
        for (shop, buyer, _), (taken, current) in self._changes.items():
            if current is None:
                if taken is not None:
                    out.append(InquiryChange(self._row(shop, buyer, taken), deleted=True))
            elif current != taken:
                out.append(InquiryChange(self._row(shop, buyer, current)))
        self._changes = {}
        return out

    def take_dirty(self) -> dict[Key, State | None]:
        """JSON-ready state of each conversation changed since the last call; None = forgotten.

        Take it at the same point as export_meta (normally right after take_changes).
        """
        out: dict[Key, State | None] = {}
        for key in self._touched:
            conv = self._convs.get(key)
            if conv is not None:
                out[key] = conv.to_state(key in self._dirty)
            else:
                agent = self._idle.get(key)
                out[key] = {"a": agent} if agent else None
        self._touched = set()
        return out

    def load(self, key: tuple[str, str], state: State | None) -> None:
        """Restore one conversation from a take_dirty state (None forgets it)."""
        key = (key[0], key[1])
        self._forget(key)
        if state is None:
            return
        conv = Conversation.from_state(state)
        if conv.idle and not conv.emitted:
            if conv.agent:
                self._idle[key] = conv.agent
            return
        self._convs[key] = conv
        if conv.pending:
            conv.settle_at = conv.pending[0][0]
            heappush(self._settle_heap, (conv.settle_at, key))
        tail = conv.emitted[-1] if conv.emitted else None
        if tail is not None and tail[2] is None:
            self.stats.open_inquiries += 1
            if tail[5] == OPEN:
                deadline = self._hours_for(key[0]).effective_open_ms(tail[1]) + DEADLINE_MS
                heappush(self._deadlines, (deadline, key, tail[0]))
                conv.deadline_id = tail[0]
        if state.get("d"):
            self._dirty.add(key)

    def export_meta(self) -> State:
        """Engine-level scalars and the changes not yet taken, JSON-ready."""
        return {
            "max_seen": self._max_seen,
            "horizon": self._horizon,
            "sealed": self._sealed,
            "messages": self.stats.messages,
            "duplicates": self.stats.duplicates,
            "late": self.stats.late,
            "changes": [[*row, taken, current] for row, (taken, current) in self._changes.items()],
        }

    def load_meta(self, meta: State) -> None:
        self._max_seen = meta["max_seen"]
        self._horizon = meta["horizon"]
        self._sealed = meta.get("sealed", self._horizon)
        self.stats.messages = meta.get("messages", 0)
        self.stats.duplicates = meta.get("duplicates", 0)
        self.stats.late = meta.get("late", 0)
        self._changes = {
            (shop, buyer, inquiry_id): (_maybe_sig(taken), _maybe_sig(current))
            for shop, buyer, inquiry_id, taken, current in meta.get("changes", ())
        }

    def _insert(self, conv: Conversation, item: Item) -> bool:
        """Put the item among the pending ones; False when it is a duplicate."""
        recent = conv.recent
        if recent and item[0] < self._sealed:
            i = bisect_left(recent, item)
            if i < len(recent) and recent[i] == item:
                return False
        pending = conv.pending
        if pending is None:
            conv.pending = [item]
        elif pending[-1] < item:
            pending.append(item)
        else:
            i = bisect_left(pending, item)
            if i < len(pending) and pending[i] == item:
                return False
            pending.insert(i, item)
        return True

    def _advance(self, horizon: int) -> None:
        """Settle what the horizon passed; mark conversations whose deadline it passed."""
        convs = self._convs
        heap = self._settle_heap
        while heap and heap[0][0] < horizon:
            at, key = heappop(heap)
            conv = convs.get(key)
            if conv is not None and conv.settle_at == at:
                conv.settle_at = None
                self._settle(key, conv, horizon)
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] < horizon:
            _, key, inquiry_id = heappop(deadlines)
            conv = convs.get(key)
            if conv is not None and conv.deadline_id == inquiry_id:
                conv.deadline_id = None
                self._dirty.add(key)
                self._touched.add(key)  # its state carries the dirty mark

    def _settle(self, key: Key, conv: Conversation, limit: int) -> None:
        """Fold the pending messages with at_ms < limit into the settled scalars."""
        if conv.pending is None:
            return
        cut = _count_before(conv.pending, limit)
        if not cut:
            return
        if key in self._dirty:  # rows are stale: recompute them while settling
            self._reconcile(key, conv, cut)
            return
        # Rows are current, so the first ones are exactly those the settled part answers.
        final: list[Sig] = []
        self._fold(key, conv, cut, final)
        if final:
            conv.emitted = conv.emitted[len(final) :]
        if conv.idle:
            self._drop(key, conv)

    def _fold(self, key: Key, conv: Conversation, cut: int, rows: list[Sig]) -> None:
        """Settle the first `cut` pending items; the inquiries they answer go to rows."""
        pending = conv.pending
        assert pending is not None
        done = pending[:cut] if cut < len(pending) else pending
        conv.agent, conv.opened = replay(conv.agent, conv.opened, done, rows)
        self._remember(conv, done)
        if cut < len(pending):
            rest = conv.pending = pending[cut:]
            if conv.settle_at is None or rest[0][0] < conv.settle_at:
                conv.settle_at = rest[0][0]
                heappush(self._settle_heap, (conv.settle_at, key))
        else:
            conv.pending = None
        self._touched.add(key)

    def _reconcile(self, key: Key, conv: Conversation, cut: int) -> None:
        """Recompute the conversation's rows, settling the first `cut` pending items first.

        Differences from the rows last reconciled go to the change buffer; inquiries the
        settled part answered are final and leave the conversation.
        """
        rows: list[Sig] = []
        final = 0
        if cut:
            self._fold(key, conv, cut, rows)
            final = len(rows)
            self._dirty.discard(key)
        elif conv.recent and conv.recent[0][0] < self._horizon - self._lateness:
            self._remember(conv, ())
            self._touched.add(key)
        agent, opened = conv.agent, conv.opened
        if conv.pending is not None:
            agent, opened = replay(agent, opened, conv.pending, rows)
        if opened is None:
            conv.deadline_id = None
        else:
            rows.append(self._open_row(key, conv, opened))
        new = tuple(rows)
        old = conv.emitted
        if new != old:
            self._diff(key, old, new)
            self.stats.open_inquiries += (opened is not None) - bool(old and old[-1][2] is None)
            self._touched.add(key)
        conv.emitted = new[final:] if final else new
        if conv.idle:
            self._drop(key, conv)

    def _drop(self, key: Key, conv: Conversation) -> None:
        """Forget a conversation with nothing open; keep its last agent for attribution."""
        del self._convs[key]
        if conv.agent:
            self._idle[key] = conv.agent

    def _open_row(self, key: Key, conv: Conversation, opened: tuple[str, int, str, str]) -> Sig:
        inquiry_id, at, assigned, prior = opened
        deadline = self._hours_for(key[0]).effective_open_ms(at) + DEADLINE_MS
        if self._horizon > deadline:
            status = MISSED
        else:
            status = OPEN
            if conv.deadline_id != inquiry_id:
                conv.deadline_id = inquiry_id
                heappush(self._deadlines, (deadline, key, inquiry_id))
        return (inquiry_id, at, None, None, assigned or prior, status)

    def _remember(self, conv: Conversation, settled: list[Item] | tuple[()]) -> None:
        """Keep the items settled within `lateness` before the horizon, to spot duplicates."""
        cutoff = self._horizon - self._lateness
        recent = conv.recent
        if recent and recent[0][0] < cutoff:
            recent = recent[_count_before(recent, cutoff) :]
        if settled and settled[-1][0] >= cutoff:
            fresh = settled[_count_before(settled, cutoff) :]
            if recent and recent[-1] > fresh[0]:
                recent = tuple(sorted((*recent, *fresh)))
            else:
                recent = (*recent, *fresh)
        conv.recent = recent

    def _diff(self, key: Key, old: tuple[Sig, ...], new: tuple[Sig, ...]) -> None:
        before = {sig[0]: sig for sig in old}
        shop, buyer = key
        for sig in new:
            previous = before.pop(sig[0], None)
            if previous != sig:
                self._record((shop, buyer, sig[0]), previous, sig)
        for previous in before.values():
            self._record((shop, buyer, previous[0]), previous, None)

    def _record(self, row: RowKey, previous: Sig | None, current: Sig | None) -> None:
        entry = self._changes.get(row)
        self._changes[row] = (previous if entry is None else entry[0], current)

    def _forget(self, key: Key) -> None:
        conv = self._convs.pop(key, None)
        if conv is not None and conv.emitted and conv.emitted[-1][2] is None:
            self.stats.open_inquiries -= 1
        self._idle.pop(key, None)

    def _row(self, shop: str, buyer: str, sig: Sig) -> Inquiry:
        inquiry_id, opened, answered, answered_by, agent_id, status = sig
        hours = self._hours_for(shop)
        effective = hours.effective_open_ms(opened)
        if answered is None:
            response = raw = None
            w30 = w3m = w5m = 0
        else:
            response = max(0, answered - effective) / 1000
            raw = max(0, answered - opened) / 1000
            w30 = int(response <= WITHIN_30S)
            w3m = int(response <= WITHIN_3M)
            w5m = int(response <= WITHIN_5M)
        return Inquiry(
            shop_id=shop,
            buyer_id=buyer,
            inquiry_id=inquiry_id,
            agent_id=agent_id,
            opened_at_ms=opened,
            effective_opened_at_ms=effective,
            answered_at_ms=answered,
            answered_by=answered_by,
            response_seconds=response,
            within_30s=w30,
            within_3m=w3m,
            within_5m=w5m,
            business_date=hours.business_date(effective),
            status=status,
            in_8_23=hours.in_8_23(opened),
            raw_response_seconds=raw,
        )


def _count_before(items: Sequence[Item], at_ms: int) -> int:
    """How many of the sorted items have at_ms below the given one."""
    return bisect_left(items, (at_ms,))


def _maybe_sig(row: list[Any] | None) -> Sig | None:
    return None if row is None else sig_from_json(row)
