"""One events partition's quality inspection, in event order (docs/metrics.md#quality-inspection).

The context rules (`vague_answer`, `missed_promotion`) judge a reply by the buyer question
before it, so messages are inspected in event-time order: a message waits until the
partition's event time (the slowest ingest member less `lateness_seconds`, or a replay's
flush marker) passes it, and a message later than that is inspected as it arrives. A
message older than the dedup window is judged on its own words only (no context rule).
Whatever batching brings, the same input then yields the same findings, and a redelivered
message (same id within the dedup window) is inspected once.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from agents.partition.memory import DAY_MS, Sweeps
from agents.partition.watermarks import MemberWatermarks, batch_horizon
from agents.qc.context import Conversations, Pending
from agents.qc.findings import SIDES, Finding, Message, ReplyContext, examine
from agents.qc.matcher import Ruleset
from agents.qc.scripts import ScriptLibrary, ScriptUse
from core.settings import KefuSettings
from schemas.packed import unpack

_ALONE = ReplyContext(question=False)
_NO_SCRIPTS = ScriptLibrary(())
Output = Finding | ScriptUse


def message_of(event: dict[str, Any]) -> Message | None:
    """The chat message QC judges, or None for other events and senders QC does not read."""
    if event.get("type") != "chat.message" or event.get("sender") not in SIDES:
        return None
    text = event.get("text")
    if not text:
        return None
    return Message(
        event_id=event["event_id"],
        shop_id=event["shop_id"],
        buyer_id=event["buyer_id"],
        agent_id=event.get("agent_id") or "",
        sender=event["sender"],
        occurred_at_ms=int(event["occurred_at"]),
        text=text,
    )


class QcPartition:
    """Apply packed batches of one partition; `offset` is the last input applied."""

    def __init__(
        self,
        settings: KefuSettings,
        rules: Callable[[], Ruleset],
        library: Callable[[], ScriptLibrary] = lambda: _NO_SCRIPTS,
    ) -> None:
        self.rules = rules
        self.library = library
        self.memory: dict[tuple[str, str], Pending] = {}
        self.conversations = Conversations(self.memory)
        # Ids are kept for the dedup window behind event time (the horizon), not behind the
        # newest message: ingest may deliver one source hours ahead of another.
        self.seen: dict[str, int] = {}
        self.dedup_ms = settings.dedup_window_minutes * 60_000
        self.prunes = Sweeps(every_ms=max(1, self.dedup_ms // 8))
        self.waiting: list[tuple[int, int, Message]] = []
        self.arrived = 0
        self.watermarks = MemberWatermarks()
        self.lateness_ms = settings.lateness_seconds * 1000
        self.memory_ms = settings.conversation_memory_days * DAY_MS
        self.sweeps = Sweeps()
        self.horizon_ms = 0
        self.offset = -1

    def apply(self, raw: bytes, offset: int) -> list[Output]:
        out: list[Output] = []
        batch = unpack(raw)
        # One version of the rules and scripts per batch: a reload lands between batches.
        rules, library = self.rules(), self.library()
        scripted = library.has_scripts
        for event in batch.events:
            msg = message_of(event)
            if msg is None:
                continue
            if msg.occurred_at_ms < self.horizon_ms - self.dedup_ms:
                # Older than the dedup window: maybe a re-sent message already inspected, so
                # it is judged on its own words, and the conversation memory is left alone.
                out += examine(msg, rules, _ALONE).findings
                if scripted:
                    self._script(out, msg, library)
                continue
            if msg.event_id in self.seen:
                continue
            self.seen[msg.event_id] = msg.occurred_at_ms
            if msg.occurred_at_ms <= self.horizon_ms:
                self._inspect(out, msg, rules, library if scripted else None)
            else:
                self.arrived += 1
                heapq.heappush(self.waiting, (msg.occurred_at_ms, self.arrived, msg))
        horizon = batch_horizon(batch, self.watermarks, self.lateness_ms)
        if horizon is not None and horizon > self.horizon_ms:
            self.horizon_ms = horizon
            self._release(out, horizon, rules, library if scripted else None)
        self.offset = offset
        return out

    def _inspect(
        self, out: list[Output], msg: Message, rules: Ruleset, library: ScriptLibrary | None
    ) -> None:
        if found := self.conversations.inspect(msg, rules):
            out += found
        if library is not None:
            self._script(out, msg, library)

    def _script(self, out: list[Output], msg: Message, library: ScriptLibrary) -> None:
        if msg.sender != "agent":
            return
        used = library.match(msg.shop_id, msg.text)
        if used is not None:
            out.append(
                ScriptUse(
                    msg.event_id,
                    msg.shop_id,
                    msg.buyer_id,
                    msg.agent_id,
                    msg.occurred_at_ms,
                    used.script.script_id,
                    used.score,
                )  # fmt: skip
            )

    def _release(
        self, out: list[Output], horizon: int, rules: Ruleset, library: ScriptLibrary | None
    ) -> None:
        waiting = self.waiting
        while waiting and waiting[0][0] <= horizon:
            self._inspect(out, heapq.heappop(waiting)[2], rules, library)
        if self.prunes.due(horizon):
            cutoff = horizon - self.dedup_ms
            self.seen = {ident: at for ident, at in self.seen.items() if at >= cutoff}
        if self.sweeps.due(horizon):
            # A question unanswered for the conversation memory no longer makes a reply an answer.
            self.conversations.forget_before(horizon - self.memory_ms)

    def dump(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "horizon": self.horizon_ms,
            "swept": self.sweeps.swept_at,
            "pending": [
                [s, b, p.question, p.price_cue, p.at_ms] for (s, b), p in self.memory.items()
            ],
            "waiting": [[n, _fields(m)] for _, n, m in self.waiting],
            "pruned": self.prunes.swept_at,
            "seen": list(self.seen.items()),
        }

    def load(self, data: dict[str, Any]) -> None:
        self.offset = data["offset"]
        self.horizon_ms = data["horizon"]
        self.sweeps.swept_at = data["swept"]
        for shop_id, buyer_id, question, price_cue, at_ms in data["pending"]:
            self.memory[(shop_id, buyer_id)] = Pending(question, price_cue, at_ms)
        self.waiting = [(m[5], n, Message(*m)) for n, m in data["waiting"]]
        heapq.heapify(self.waiting)
        self.arrived = max((n for _, n, _ in self.waiting), default=0)
        self.prunes.swept_at = data["pruned"]
        self.seen = {ident: at for ident, at in data["seen"]}


def _fields(msg: Message) -> list[Any]:
    return [
        msg.event_id,
        msg.shop_id,
        msg.buyer_id,
        msg.agent_id,
        msg.sender,
        msg.occurred_at_ms,
        msg.text,
    ]
