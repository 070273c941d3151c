"""One conversation (shop, buyer): buyer bursts, bot auto-replies, transfers, human replies."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from pipeline.generator import phrases
from pipeline.generator.clock import MINUTE, SECOND, in_service
from pipeline.generator.events import EventFactory
from pipeline.generator.replies import first_reply
from pipeline.generator.world import Agent

# (text, msg_type, order_id) of a buyer message.
Message = tuple[str | None, str, str | None]
# Waits after which an impatient buyer nudges ("在吗？"), each with some probability.
_NUDGE_AFTER_MS = (90 * SECOND, 4 * MINUTE, 10 * MINUTE, 25 * MINUTE)
# Chance that a buyer message names the assigned agent (the source does not always know).
_NAMES_AGENT = 0.88
# Ignored for longer than this, half the buyers leave instead of asking on.
_PATIENCE_MS = 5 * MINUTE


def text(value: str) -> Message:
    return value, "text", None


@dataclass
class Conversation:
    """State of one buyer's conversation with a shop, across its inquiries."""

    out: EventFactory
    rng: Random
    buyer_id: str
    assigned: Agent | None
    bot_share: float
    last_agent: Agent | None = None
    longest_wait_ms: int = 0
    last_wait_ms: int = 0
    clock: int = 0

    def _tick(self, ms: int) -> int:
        # Strictly increasing times keep (occurred_at, event_id) order equal to story order.
        self.clock = max(ms, self.clock + 1)
        return self.clock

    def buyer(self, ms: int, message: Message) -> int:
        at = self._tick(ms)
        named = self.assigned is not None and self.rng.random() < _NAMES_AGENT
        agent_id = self.assigned.agent_id if named and self.assigned else None
        content, msg_type, order_id = message
        self.out.chat(at, self.buyer_id, "buyer", agent_id, content, msg_type, order_id)
        return at

    def agent(self, agent: Agent, ms: int, content: str) -> int:
        if agent.silent(ms):
            return self.clock
        at = self._tick(ms)
        self.out.chat(at, self.buyer_id, "agent", agent.agent_id, content)
        self.last_agent = agent
        return at

    def bot(self, ms: int, content: str) -> int:
        at = self._tick(ms)
        self.out.chat(at, self.buyer_id, "bot", None, content)
        return at

    def system(self, ms: int, content: str) -> int:
        at = self._tick(ms)
        self.out.chat(at, self.buyer_id, "system", None, content)
        return at

    def exchange(self, opened: int, messages: list[Message], answer: str | None) -> int:
        """One inquiry: the buyer's messages, maybe a bot, then the first human reply.

        Returns the time of the last message. `answer=None` leaves it unanswered.
        """
        shop = self.out.shop
        reply = first_reply(shop, self.assigned, opened, self.rng) if answer else None
        horizon = reply.at if reply else opened + 30 * MINUTE
        moment = self.buyer(opened, messages[0])
        if self.rng.random() < self.bot_share:
            line = self._bot_line() if in_service(opened, shop.offset_ms) else None
            self.bot(opened + int(self.rng.uniform(800, 3_000)), line or phrases.BOT_AFTER_HOURS)
        for message in messages[1:]:
            moment += int(self.rng.uniform(2 * SECOND, 20 * SECOND))
            if moment < horizon:
                self.buyer(moment, message)
        if answer:
            self._nudge(opened, horizon)
        if reply is None or answer is None:
            self.last_wait_ms = horizon - opened if answer else 0
            return self.clock
        self.last_wait_ms = reply.at - opened
        self.longest_wait_ms = max(self.longest_wait_ms, self.last_wait_ms)
        if reply.transferred or self.assigned is None:
            if reply.transferred:
                note = phrases.SYSTEM_TRANSFER.format(agent=reply.agent.agent_id)
                self.system(reply.at - int(self.rng.uniform(1_000, 5_000)), note)
            self.assigned = reply.agent
        last = self.agent(reply.agent, reply.at, answer)
        if self.rng.random() < 0.35:
            follow = self.rng.choice(phrases.AGENT_FOLLOWUPS)
            last = self.agent(reply.agent, last + int(self.rng.uniform(3_000, 25_000)), follow)
        return last

    def gave_up(self) -> bool:
        """Whether the buyer leaves after the last inquiry instead of asking on."""
        return self.last_wait_ms > _PATIENCE_MS and self.rng.random() < 0.5

    def _bot_line(self) -> str:
        if self.rng.random() < 0.3:
            return phrases.BOT_BUSY
        return self.rng.choice(phrases.BOT_GREETINGS)

    def _nudge(self, opened: int, horizon: int) -> None:
        for after in _NUDGE_AFTER_MS:
            moment = opened + after + int(self.rng.uniform(0, 30 * SECOND))
            if moment >= horizon - SECOND:
                return
            if self.rng.random() < 0.6:
                self.buyer(moment, text(self.rng.choice(phrases.NUDGES)))
                if self.rng.random() < self.bot_share:
                    self.bot(moment + int(self.rng.uniform(800, 3_000)), phrases.BOT_BUSY)
