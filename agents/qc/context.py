"""The per-conversation memory the context rules need, for the stream stage to call.

`vague_answer` judges a reply to a question and `missed_promotion` the first human reply
after a price question, so QC remembers, per (shop, buyer), what the buyer asked since the
last human reply. Bot messages are judged on their words alone and do not answer anything.
The memory is a mapping the caller may supply (a changelogged table), so a restart resumes
with the same pending questions and a replay reproduces the same findings.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass

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

    __slots__ = ("_open", "_max_open")

    def __init__(
        self, store: MutableMapping[Key, Pending] | None = None, max_open: int = 200_000
    ) -> None:
        self._open: MutableMapping[Key, Pending] = {} if store is None else store
        self._max_open = max_open

    def inspect(self, msg: Message, rules: Ruleset) -> tuple[Finding, ...]:
        """The findings of `msg`, given what its conversation asked before it."""
        sender = msg.sender
        if sender == "buyer":
            seen = msg.inspection or examine(msg, rules)
            if seen.question:
                self._remember((msg.shop_id, msg.buyer_id), seen.price_cue, msg.occurred_at_ms)
            return seen.findings
        if sender == "agent":
            pending = self._open.pop((msg.shop_id, msg.buyer_id), None)
            return examine(msg, rules, _context(pending)).findings
        return examine(msg, rules, _UNPROMPTED).findings

    def _remember(self, key: Key, price_cue: str | None, at_ms: int) -> None:
        before = self._open.get(key)
        if before is not None and (price_cue is None or before.price_cue is not None):
            return  # already waiting; its age counts from the first unanswered question
        self._open[key] = Pending(True, price_cue, before.at_ms if before else at_ms)
        if len(self._open) > self._max_open:
            # Insertion order is age order: the conversation unanswered longest goes first.
            del self._open[next(iter(self._open))]

    def forget_before(self, at_ms: int) -> int:
        """Drop questions older than `at_ms` (event time); returns how many were dropped."""
        stale = [k for k, p in self._open.items() if p.at_ms < at_ms]
        for key in stale:
            del self._open[key]
        return len(stale)

    def __len__(self) -> int:
        return len(self._open)
