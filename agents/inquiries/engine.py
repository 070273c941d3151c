"""InquiryEngine: the chat messages of one input partition in, inquiry row changes out.

Pure and synchronous (docs/metrics.md#inquiries-and-response-time). Per conversation the result equals processing its
messages sorted by (at_ms, event_id), as long as each arrives no later than `lateness_ms`
behind the newest message seen. The horizon (newest - lateness) settles older messages
into compact state and decides which unanswered inquiries are missed. A message older
than the horizon is still applied, after the settled state, and counted as late.

An exact duplicate (same at_ms, event_id, sender, agent_id) of a message still pending
changes nothing; redeliveries from further back are the partition's SeenWindow's job.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from dataclasses import dataclass
from heapq import heappop, heappush
from sys import intern
from typing import Any

from agents.inquiries.conversation import (
    SIG_ANSWERED,
    SIG_ID,
    SIG_OPENED,
    SIG_STATUS,
    STATE_AGENT,
    STATE_STALE,
    WAITING_ID,
    WAITING_LEN,
    WAITING_STATUS,
    Conversation,
    Item,
    Opened,
    Sig,
    State,
    Waiting,
    inquiry_row,
    replay,
    row_changes,
    sig_or_none,
    waiting_row,
    waiting_state,
)
from agents.inquiries.hours import HoursFor
from schemas.inquiry import ANSWERED, DEADLINE_MS, MISSED, OPEN, InquiryChange, Message

log = logging.getLogger(__name__)

Key = tuple[str, str]
RowKey = tuple[str, str, str]
Meta = dict[str, Any]
# A conversation is held in full while messages are pending, else compactly: a Waiting
# tuple when an inquiry is open, the last agent's id when nothing is.
Held = Conversation | Waiting | str
# What take_dirty hands out per conversation: a Conversation's state, or the compact form held.
Exported = State | Waiting | str | None

_NEVER = -(1 << 62)
_ALL = 1 << 62
# Conversations settle in buckets of 2**10 ms of their first pending at_ms: one heap
# operation per bucket rather than per conversation, settling at most ~1 s late.
_BUCKET_BITS = 10


@dataclass(slots=True)
class EngineStats:
    """Counters since start; open_inquiries counts the unanswered ones held (open or missed)."""

    messages: int = 0
    duplicates: int = 0
    late: int = 0
    open_inquiries: int = 0


class InquiryEngine:
    """Inquiries of every conversation of one input partition (one instance per partition).

    A settle queue (buckets of first pending at_ms) and a deadline heap of (effective
    opening ms, key, inquiry_id), both invalidated lazily, let the horizon reach
    conversations that receive no further message. The heap holds the opening rather than
    the deadline (opening + DEADLINE_MS): that int exists already, a deadline would be one
    more per open inquiry.
    """

    def __init__(self, hours_for: HoursFor, lateness_ms: int, *, watermarked: bool = False) -> None:
        """`watermarked`: event time comes from advance_watermark(), not from the messages.

        A partition fed by several sources must not let the fastest one set the clock; the
        pipeline passes ingest's watermark (the slowest source's progress) instead.
        """
        self._hours_for = hours_for
        self._lateness = lateness_ms
        self._watermarked = watermarked
        self._max_seen = _NEVER
        self._horizon = _NEVER
        self._convs: dict[Key, Held] = {}
        self._settle_queue: dict[int, list[Key]] = {}
        self._buckets: list[int] = []  # heap of the settle queue's buckets
        self._deadlines: list[tuple[int, Key, str]] = []  # see the class docstring
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

    @property
    def watermark_ms(self) -> int | None:
        """The event time the engine stands at (its horizon plus the lateness); None before any."""
        return None if self._horizon == _NEVER else self._horizon + self._lateness

    def add(self, msg: Message) -> None:
        """Take one chat message of any sender, in any order (see the module docstring)."""
        self.add_fields(
            (msg.shop_id, msg.buyer_id), msg.at_ms, msg.event_id, msg.sender, msg.agent_id
        )

    def add_fields(self, key: Key, at: int, event_id: str, sender: str, agent_id: str) -> None:
        """`add` without making a Message: the stateful stage calls this once per chat event.

        A new conversation is held under `key` itself when its shop is interned, so the
        caller can keep the same tuple for it (one key per conversation, not one each).
        """
        self.stats.messages += 1
        if at > self._max_seen:
            self._max_seen = at
            if not self._watermarked and at - self._lateness > self._horizon:
                self._advance(at - self._lateness)
        item = (at, event_id, sender, agent_id)
        conv = self._convs.get(key)
        last = True
        if not isinstance(conv, Conversation):
            conv = self._wake(key, conv)
            conv.pending = [item]
        elif conv.pending is None:
            conv.pending = [item]
        elif conv.pending[-1] < item:
            conv.pending.append(item)
        else:
            pending = conv.pending
            i = bisect_left(pending, item)
            if i < len(pending) and pending[i] == item:
                self.stats.duplicates += 1
                return
            pending.insert(i, item)
            last = False
        key = conv.key  # the tuple the dict holds: heap entries share it
        if at >= self._horizon:
            if conv.settle_at is None or at < conv.settle_at:
                self._queue(key, conv, at)
            if last and key not in self._dirty:
                self._append(key, conv, item)  # rows are current: extend them in place
            else:
                self._dirty.add(key)
            return
        self.stats.late += 1
        log.debug(
            "late message %s of %s/%s, %d ms behind the horizon: folded in after settled state",
            event_id,
            key[0],
            key[1],
            self._horizon - at,
        )
        self._touched.add(key)
        self._reconcile(key, conv, bisect_left(conv.pending, (self._horizon,)))

    def advance_watermark(self, watermark_ms: int) -> None:
        """Every source has delivered up to watermark_ms; the horizon trails it by the lateness."""
        if watermark_ms - self._lateness > self._horizon:
            self._advance(watermark_ms - self._lateness)

    def flush(self, until_ms: int) -> None:
        """End of input up to until_ms: settle everything and expire deadlines it passed."""
        self._advance(max(self._horizon, until_ms))
        self._settle_buckets(_ALL, _ALL)

    def take_changes(self) -> list[InquiryChange]:
        """Net row changes since the last call: upserts, and deletions of emitted rows."""
        # Long-lived containers are cleared, not replaced: big young ones would make
        # every generation-0 garbage collection walk them.
        dirty = list(self._dirty)
        self._dirty.clear()
        self._touched.update(dirty)
        convs = self._convs
        for key in dirty:
            conv = convs.get(key)
            if isinstance(conv, Conversation):
                self._reconcile(key, conv, 0)
        out: list[InquiryChange] = []
        hours_for = self._hours_for
        for (shop, buyer, _), (taken, current) in self._changes.items():
            if current is None:
                if taken is not None:
                    row = inquiry_row(shop, buyer, taken, hours_for(shop))
                    out.append(InquiryChange(row, True))
            elif current != taken:
                out.append(InquiryChange(inquiry_row(shop, buyer, current, hours_for(shop))))
        self._changes.clear()
        return out

    def take_dirty(self) -> dict[Key, Exported]:
        """JSON-ready state of each conversation changed since the last call; None = forgotten.

        A conversation held compactly is handed out as it is held (its `Waiting` tuple or
        its last agent), not copied: both are immutable. Take it at the same point as
        export_meta (normally right after take_changes). Settling alone is no change: a
        restored conversation settles again, identically.
        """
        out: dict[Key, Exported] = {}
        dirty = self._dirty
        touched = self._touched
        touched.update(dirty)
        convs = self._convs
        for key in touched:
            conv = convs.get(key)
            out[key] = conv.to_state(key in dirty) if isinstance(conv, Conversation) else conv
        touched.clear()
        return out

    def forget_silent(self, key: Key, until_ms: int) -> None:
        """Forget a conversation silent since long before `until_ms` (docs/metrics.md#memory-horizons).

        What it holds is settled first, and an inquiry still open is closed as missed: its
        deadline passed long ago in event time, even when the stream's clock lags behind.
        """
        conv = self._convs.get(key)
        if isinstance(conv, Conversation) and conv.pending is not None:
            self._settle(key, conv, until_ms)
            conv = self._convs.get(key)
        if isinstance(conv, tuple) and conv[WAITING_STATUS] == OPEN:
            missed = (*conv[:5], MISSED)
            self._record((key[0], key[1], conv[WAITING_ID]), waiting_row(conv), waiting_row(missed))
        self._forget(key)
        self._touched.add(key)

    def touch_all(self) -> None:
        """Have the next take_dirty hand out every conversation held (a full snapshot)."""
        self._touched.update(self._convs)

    def load(self, key: tuple[str, str], state: Exported) -> None:
        """Restore one conversation from a take_dirty state (None forgets it).

        Also from the states of releases before the compact forms: `[agent]` for an agent
        alone, and a `Waiting` spelled out as a `Conversation` state.
        """
        key = (intern(key[0]), key[1])
        self._forget(key)
        if not state:
            return
        if isinstance(state, str):
            self._convs[key] = intern(state)
            return
        if len(state) == WAITING_LEN:
            state = waiting_state(tuple(state))
        elif len(state) == 1:
            if state[STATE_AGENT]:
                self._convs[key] = intern(state[STATE_AGENT])
            return
        conv = self._convs[key] = Conversation.from_state(key, state)
        tail = conv.emitted[-1] if conv.emitted else None
        if tail is not None and tail[SIG_ANSWERED] is None:
            self.stats.open_inquiries += 1
            if tail[SIG_STATUS] == OPEN:
                opened = self._hours_for(key[0]).effective_open_ms(tail[SIG_OPENED])
                heappush(self._deadlines, (opened, key, tail[SIG_ID]))
                conv.deadline_id = tail[SIG_ID]
        if state[STATE_STALE]:
            self._dirty.add(key)
        elif conv.pending is None:
            self._compact(key, conv)
        if conv.pending is not None:
            self._queue(key, conv, conv.pending[0][0])
            self._advance(self._horizon)  # settles it if the horizon passed its bucket

    def export_meta(self) -> Meta:
        """Engine-level scalars and the changes not yet taken, JSON-ready."""
        return {
            "max_seen": self._max_seen,
            "horizon": self._horizon,
            "messages": self.stats.messages,
            "duplicates": self.stats.duplicates,
            "late": self.stats.late,
            "changes": [[*row, taken, current] for row, (taken, current) in self._changes.items()],
        }

    def load_meta(self, meta: Meta) -> None:
        """Restore export_meta's scalars, before or after the conversations."""
        self._max_seen = meta["max_seen"]
        self.stats.messages = meta["messages"]
        self.stats.duplicates = meta["duplicates"]
        self.stats.late = meta["late"]
        self._changes.clear()
        for shop, buyer, inquiry_id, taken, current in meta["changes"]:
            self._changes[(shop, buyer, inquiry_id)] = (sig_or_none(taken), sig_or_none(current))
        self._advance(meta["horizon"])

    def _wake(self, key: Key, held: Waiting | str | None) -> Conversation:
        """The full form of a conversation held compactly, or of a new one."""
        if held is not None:
            del self._convs[key]  # so that the dict holds the new key tuple
        shop = intern(key[0])
        if shop is not key[0]:
            key = (shop, key[1])
        if held is None:
            conv = Conversation(key)
        elif isinstance(held, str):
            conv = Conversation(key, held)
        else:
            conv = Conversation.woken(key, held)
            if held[WAITING_STATUS] == OPEN:
                conv.deadline_id = held[WAITING_ID]  # its deadline is still on the heap
        self._convs[key] = conv
        return conv

    def _compact(self, key: Key, conv: Conversation) -> None:
        """Hold a conversation with nothing pending (and current rows) compactly."""
        opened = conv.opened
        if opened is not None:
            inquiry_id, at, assigned, prior = opened
            status = conv.emitted[-1][5]
            agent = intern(conv.agent)
            self._convs[key] = (inquiry_id, at, intern(assigned), intern(prior), agent, status)
            return
        if conv.agent:
            self._convs[key] = intern(conv.agent)
        else:
            del self._convs[key]
        self._touched.add(key)

    def _append(self, key: Key, conv: Conversation, item: Item) -> None:
        """Apply an item that sorts last to rows that are current (the replay, one step)."""
        at, event_id, sender, who = item
        if sender == "buyer":
            if conv.tail_open is None:
                conv.tail_open = (event_id, at, who, conv.tail_agent)
                sig = self._open_row(key, conv, conv.tail_open)
                conv.emitted = (*conv.emitted, sig)
                self._record((key[0], key[1], event_id), None, sig)
                self.stats.open_inquiries += 1
        elif sender == "agent":
            opened = conv.tail_open
            if opened is not None:
                inquiry_id, opened_at, assigned, prior = opened
                sig = (inquiry_id, opened_at, at, who, assigned or who or prior, ANSWERED)
                self._record((key[0], key[1], inquiry_id), conv.emitted[-1], sig)
                conv.emitted = (*conv.emitted[:-1], sig)
                conv.tail_open = conv.deadline_id = None
                self.stats.open_inquiries -= 1
            if who:
                conv.tail_agent = who
        self._touched.add(key)

    def _advance(self, horizon: int) -> None:
        """Move the horizon up: settle what it passed, mark the deadlines it passed."""
        horizon = self._horizon = max(self._horizon, horizon)
        if self._buckets and self._buckets[0] < horizon >> _BUCKET_BITS:
            self._settle_buckets(horizon >> _BUCKET_BITS, horizon)
        convs = self._convs
        deadlines = self._deadlines
        opened_before = horizon - DEADLINE_MS
        while deadlines and deadlines[0][0] < opened_before:
            _, key, inquiry_id = heappop(deadlines)
            conv = convs.get(key)
            if isinstance(conv, Conversation):
                if conv.deadline_id == inquiry_id:
                    conv.deadline_id = None
                    self._dirty.add(key)
            elif (
                isinstance(conv, tuple)
                and conv[WAITING_ID] == inquiry_id
                and conv[WAITING_STATUS] == OPEN
            ):
                missed = convs[key] = (*conv[:5], MISSED)
                self._record((key[0], key[1], inquiry_id), waiting_row(conv), waiting_row(missed))
                self._touched.add(key)

    def _queue(self, key: Key, conv: Conversation, at: int) -> None:
        """Have the conversation settled once the horizon passes at_ms's whole bucket."""
        queued = conv.settle_at
        conv.settle_at = at
        bucket = at >> _BUCKET_BITS
        if queued is not None and queued >> _BUCKET_BITS == bucket:
            return
        keys = self._settle_queue.get(bucket)
        if keys is None:
            self._settle_queue[bucket] = [key]
            heappush(self._buckets, bucket)
        else:
            keys.append(key)

    def _settle_buckets(self, below: int, limit: int) -> None:
        """Settle (up to limit) the conversations queued in buckets below the given one."""
        convs = self._convs
        buckets = self._buckets
        while buckets and buckets[0] < below:
            bucket = heappop(buckets)
            for key in self._settle_queue.pop(bucket):
                conv = convs.get(key)
                if isinstance(conv, Conversation) and conv.settle_at is not None:
                    if conv.settle_at >> _BUCKET_BITS == bucket:
                        conv.settle_at = None
                        self._settle(key, conv, limit)

    def _settle(self, key: Key, conv: Conversation, limit: int) -> None:
        """Fold the pending messages with at_ms < limit into the settled scalars."""
        pending = conv.pending
        if pending is None:
            return
        cut = bisect_left(pending, (limit,))
        if not cut:
            return
        if key in self._dirty:  # rows are stale: recompute them while settling
            self._reconcile(key, conv, cut)
            return
        # The rows are current, so the first ones are exactly those the settled part answers.
        if cut == len(pending):  # all of it: the tail state becomes the settled one
            conv.agent, conv.opened = conv.tail_agent, conv.tail_open
            conv.pending = None
            self._compact(key, conv)
            return
        final: list[Sig] = []
        self._fold(key, conv, cut, final)
        if final:
            conv.emitted = conv.emitted[len(final) :]

    def _fold(self, key: Key, conv: Conversation, cut: int, rows: list[Sig]) -> None:
        """Settle the first `cut` pending items; the inquiries they answer go to rows."""
        pending = conv.pending
        assert pending is not None
        done = pending[:cut] if cut < len(pending) else pending
        conv.agent, conv.opened = replay(conv.agent, conv.opened, done, rows)
        if cut == len(pending):
            conv.pending = None
        else:
            conv.pending = pending[cut:]
            self._queue(key, conv, conv.pending[0][0])

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
            self._touched.add(key)  # its new messages reach the state now or never
        agent, opened = conv.agent, conv.opened
        if conv.pending is not None:
            agent, opened = replay(agent, opened, conv.pending, rows)
        conv.tail_agent, conv.tail_open = agent, opened
        if opened is None:
            conv.deadline_id = None
        else:
            rows.append(self._open_row(key, conv, opened))
        new = tuple(rows)
        old = conv.emitted
        if new != old:
            for inquiry_id, previous, current in row_changes(old, new):
                self._record((key[0], key[1], inquiry_id), previous, current)
            self.stats.open_inquiries += (opened is not None) - bool(old and old[-1][2] is None)
            self._touched.add(key)
        conv.emitted = new[final:] if final else new
        if conv.pending is None:
            self._compact(key, conv)

    def _open_row(self, key: Key, conv: Conversation, opened: Opened) -> Sig:
        inquiry_id, at, assigned, prior = opened
        effective = self._hours_for(key[0]).effective_open_ms(at)
        if self._horizon > effective + DEADLINE_MS:
            status = MISSED
        else:
            status = OPEN
            if conv.deadline_id != inquiry_id:
                conv.deadline_id = inquiry_id
                heappush(self._deadlines, (effective, key, inquiry_id))
        return (inquiry_id, at, None, None, assigned or prior, status)

    def _record(self, row: RowKey, previous: Sig | None, current: Sig | None) -> None:
        entry = self._changes.get(row)
        self._changes[row] = (previous if entry is None else entry[0], current)

    def _forget(self, key: Key) -> None:
        held = self._convs.pop(key, None)
        if isinstance(held, tuple) or (
            isinstance(held, Conversation) and held.emitted and held.emitted[-1][2] is None
        ):
            self.stats.open_inquiries -= 1
