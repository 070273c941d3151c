"""The per-conversation memory the context rules need, for the stream stage to call.

`vague_answer` judges a reply to a question and `missed_promotion` the first human reply
after a price question, so QC remembers, per (shop, buyer), what the buyer asked since the
last human reply. Bot messages are judged on their words alone and do not answer anything.
The memory is a dict the caller may supply (the stage's, which it snapshots), so a restart
resumes with the same pending questions and a replay reproduces the same findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from agents.qc.findings import Finding, Message, ReplyContext, examine
from agents.qc.matcher import Ruleset

Key = tuple[str, str]
_UNPROMPTED = ReplyContext(question=False)
_QUESTION = ReplyContext(question=True)


@dataclass(slots=True)
class Pending:
    """What the buyer asked since the last human reply; never changed once made (not frozen:
    one is built per buyer question, and a frozen dataclass's __init__ costs three times more)."""

    question: bool
    price_cue: str | None
    at_ms: int


def _context(pending: Pending | None) -> ReplyContext:
    if pending is None:
        return _UNPROMPTED
    if pending.price_cue is None:
        return _QUESTION
    return ReplyContext(question=True, price_cue=pending.price_cue)


class Conversations:
    """Inspects messages in event order per conversation, keeping what context rules need."""

    __slots__ = ("_open", "_max_open", "_changed")

    def __init__(self, store: dict[Key, Pending] | None = None, max_open: int = 200_000) -> None:
        self._open: dict[Key, Pending] = {} if store is None else store
        self._max_open = max_open
        self._changed: set[Key] = set()  # since the last `take_changed`

    def inspect(self, msg: Message, rules: Ruleset) -> tuple[Finding, ...]:
        """The findings of `msg`, given what its conversation asked before it."""
        sender = msg.sender
        if sender == "buyer":
            seen = msg.inspection or examine(msg, rules)
            if seen.question:
                self._remember((msg.shop_id, msg.buyer_id), seen.price_cue, msg.occurred_at_ms)
            return seen.findings
        if sender == "agent":
            key = (msg.shop_id, msg.buyer_id)
            pending = self._open.pop(key, None)
            if pending is not None:
                self._changed.add(key)
            return examine(msg, rules, _context(pending)).findings
        return examine(msg, rules, _UNPROMPTED).findings

    def _remember(self, key: Key, price_cue: str | None, at_ms: int) -> None:
        before = self._open.get(key)
        if before is not None and (price_cue is None or before.price_cue is not None):
            return  # already waiting; its age counts from the first unanswered question
        # Moved to the end even when it was waiting: the order is that of the last change,
        # which a snapshot delta can restore (`take_changed`).
        self._open.pop(key, None)
        self._open[key] = Pending(True, price_cue, before.at_ms if before else at_ms)
        self._changed.add(key)
        if len(self._open) > self._max_open:
            # Oldest change first: nearly always the conversation unanswered longest.
            oldest = next(iter(self._open))
            del self._open[oldest]
            self._changed.add(oldest)

    def forget_before(self, at_ms: int) -> int:
        """Drop questions older than `at_ms` (event time); returns how many were dropped."""
        stale = [k for k, p in self._open.items() if p.at_ms < at_ms]
        for key in stale:
            del self._open[key]
        self._changed.update(stale)
        return len(stale)

    def take_changed(self) -> tuple[list[Key], list[tuple[Key, Pending]]]:
        """The keys changed since the last call that are gone, and those still waiting in
        their order here. Deleting every one of both from the memory as it was at that call,
        then adding the waiting ones in order, gives this memory, order included: each
        change moved its key to the end."""
        changed, self._changed = self._changed, set()
        if not changed:
            return [], []
        gone = [key for key in changed if key not in self._open]
        # The changed keys still here are the last ones, each change having moved its key.
        last = islice(reversed(self._open.items()), len(changed) - len(gone))
        return gone, list(last)[::-1]

    def forget_changes(self) -> None:
        """After a full snapshot: the next delta starts from it."""
        self._changed = set()

    def __len__(self) -> int:
        return len(self._open)
