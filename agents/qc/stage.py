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

from collections.abc import Callable
from typing import Any

from agents.partition.memory import DAY_MS, Sweeps
from agents.partition.watermarks import MemberWatermarks, batch_horizon
from agents.qc.context import Conversations, Pending
from agents.qc.findings import SIDES, Finding, Inspection, Message, ReplyContext, examine
from agents.qc.held import HeldMessages
from agents.qc.matcher import Ruleset
from agents.qc.recent_ids import RecentIds
from agents.qc.scripts import ScriptLibrary, ScriptUse
from agents.qc.threats import BatchScans
from core.settings import KefuSettings
from schemas.packed import PackedBatch, unpack

_ALONE = ReplyContext(question=False)
_NO_SCRIPTS = ScriptLibrary(())
Output = Finding | ScriptUse


def message_of(event: dict[str, Any]) -> Message | None:
    """The chat message QC judges, or None for other events and senders QC does not read."""
    sender = event.get("sender")
    if event.get("type") != "chat.message" or sender not in SIDES:
        return None
    text = event.get("text")
    if not text:
        return None
    # Positional: keyword arguments cost a third of building the message.
    return Message(
        event["event_id"],
        event["shop_id"],
        event["buyer_id"],
        event.get("agent_id") or "",
        sender,
        int(event["occurred_at"]),
        text,
    )


class QcPartition:
    """Apply packed batches of one partition; `offset` is the last input applied."""

    def __init__(
        self,
        settings: KefuSettings,
        rules: Callable[[], Ruleset],
        library: Callable[[], ScriptLibrary] = lambda: _NO_SCRIPTS,
        scans: BatchScans | None = None,
    ) -> None:
        self.rules = rules
        self.library = library
        self.scans = scans
        self.memory: dict[tuple[str, str], Pending] = {}
        self.conversations = Conversations(self.memory)
        # Ids are kept for the dedup window behind event time (the horizon), not behind the
        # newest message: ingest may deliver one source hours ahead of another.
        self.dedup_ms = settings.dedup_window_minutes * 60_000
        self.prunes = Sweeps(every_ms=max(1, self.dedup_ms // 8))
        self.seen = RecentIds(self.prunes.every_ms)
        self.waiting = HeldMessages()
        self.watermarks = MemberWatermarks()
        self.lateness_ms = settings.lateness_seconds * 1000
        self.memory_ms = settings.conversation_memory_days * DAY_MS
        self.sweeps = Sweeps()
        self.horizon_ms = 0
        self.offset = -1

    def apply(self, raw: bytes, offset: int) -> list[Output]:
        return self.apply_batch(unpack(raw), offset)

    def apply_batch(self, batch: PackedBatch, offset: int) -> list[Output]:
        """`apply` on a batch decoded once for every part of the stage (the events are read,
        never changed)."""
        out: list[Output] = []
        # One version of the rules and scripts per batch: a reload lands between batches.
        rules, library = self.rules(), self.library()
        scripted = library.has_scripts
        seen, scans = self.seen, self.scans
        for event in batch.events:
            msg = message_of(event)
            if msg is None:
                continue
            if msg.occurred_at_ms < self.horizon_ms - self.dedup_ms:
                # Older than the dedup window: maybe a re-sent message already inspected, so
                # it is judged on its own words, and the conversation memory is left alone.
                out += (self._early(msg, rules) or examine(msg, rules, _ALONE)).findings
                if scripted:
                    self._script(out, msg, library)
                continue
            if not seen.add(msg.event_id, msg.occurred_at_ms):
                continue
            self._early(msg, rules)
            if msg.occurred_at_ms <= self.horizon_ms:
                self._inspect(out, msg, rules, library if scripted else None)
            else:
                self.waiting.hold(msg)
        if scans is not None:
            scans.clear()
        horizon = batch_horizon(batch, self.watermarks, self.lateness_ms)
        if horizon is not None and horizon > self.horizon_ms:
            self.horizon_ms = horizon
            self._release(out, horizon, rules, library if scripted else None)
        self.offset = offset
        return out

    def _early(self, msg: Message, rules: Ruleset) -> Inspection | None:
        """A buyer message the escalation part scanned in this batch is inspected on that scan
        now (it needs no context); it keeps the inspection while it waits."""
        if self.scans is None or msg.sender != "buyer":
            return None
        found = self.scans.take(rules, msg.shop_id, msg.text)
        if found is not None:
            msg.inspection = examine(msg, rules, found=found)
        return msg.inspection

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
        for msg in self.waiting.release(horizon):
            self._inspect(out, msg, rules, library)
        if self.prunes.due(horizon):
            self.seen.forget_before(horizon - self.dedup_ms)
        if self.sweeps.due(horizon):
            # A question unanswered for the conversation memory no longer makes a reply an answer.
            self.conversations.forget_before(horizon - self.memory_ms)

    def dump(self) -> dict[str, Any]:
        self.conversations.forget_changes()
        self.seen.take_added()
        self.waiting.take_new(self.horizon_ms)
        return {
            **self._head(),
            "pending": [_pending(key, p) for key, p in self.memory.items()],
            "waiting": [[n, _fields(m)] for _, n, m in self.waiting.entries()],
            "seen": list(self.seen.at.items()),
        }

    def dump_delta(self) -> dict[str, Any]:
        """What changed since the last snapshot: the questions answered, forgotten or asked,
        the messages held, the ids seen, and the newest cutoff of the ids."""
        gone, asked = self.conversations.take_changed()
        return {
            **self._head(),
            "gone": [list(key) for key in gone],
            "pending": [_pending(key, p) for key, p in asked],
            "waiting": [[n, _fields(m)] for _, n, m in self.waiting.take_new(self.horizon_ms)],
            "seen": self.seen.take_added(),
            "cutoff": self.seen.cutoff_ms,
        }

    def load(self, data: dict[str, Any]) -> None:
        self._load_head(data)
        self.memory.clear()
        self._load_pending(data["pending"])
        self.waiting.load((m[5], n, Message(*m)) for n, m in data["waiting"])
        for ident, at in data["seen"]:
            self.seen.add(ident, at)
        self.seen.take_added()

    def load_delta(self, data: dict[str, Any]) -> None:
        self._load_head(data)
        for key in [*data["gone"], *([s, b] for s, b, *_ in data["pending"])]:
            self.memory.pop((key[0], key[1]), None)
        self._load_pending(data["pending"])
        self.waiting.release(self.horizon_ms)  # inspected before that snapshot
        self.waiting.load((m[5], n, Message(*m)) for n, m in data["waiting"])
        if data["cutoff"] is not None:
            self.seen.forget_before(data["cutoff"])
        for ident, at in data["seen"]:
            self.seen.add(ident, at)
        self.seen.take_added()

    def _head(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "horizon": self.horizon_ms,
            "swept": self.sweeps.swept_at,
            "pruned": self.prunes.swept_at,
            "members": self.watermarks.dump(),
        }

    def _load_head(self, data: dict[str, Any]) -> None:
        self.offset = data["offset"]
        self.horizon_ms = data["horizon"]
        self.sweeps.swept_at = data["swept"]
        self.prunes.swept_at = data["pruned"]
        self.watermarks.load(data.get("members", []))

    def _load_pending(self, pending: list[list[Any]]) -> None:
        for shop_id, buyer_id, question, price_cue, at_ms in pending:
            self.memory[(shop_id, buyer_id)] = Pending(question, price_cue, at_ms)


def _pending(key: tuple[str, str], pending: Pending) -> list[Any]:
    return [key[0], key[1], pending.question, pending.price_cue, pending.at_ms]


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
