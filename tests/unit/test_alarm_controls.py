"""Silences and acks on numbers: who a silence covers and for how long, what an ack stops,
and that notification groups are re-counted once acked reminders are dropped."""

from __future__ import annotations

import pytest

from agents.alarms.agent import AlarmRunner
from agents.alarms.model import FIRING, Alert
from agents.controls.book import ControlBook
from agents.controls.model import ACK, SILENCE, Control
from core.errors import KefuError
from core.settings import KefuSettings
from pipeline.commands.alerts import duration_seconds

T = 1_800_000_000_000
MIN = 60_000


def silence(shop: str, agent: str = "", minutes: int = 30) -> Control:
    return Control(f"silence:{shop}{agent}", SILENCE, shop, agent, "", T + minutes * MIN,
                   "drill", "lead", T)  # fmt: skip


def alert(agent: str, *, reminder: bool = False, group: int = 0, since: int = T) -> Alert:
    return Alert(f"reply_rate_5m:s1:{agent or '*'}:{since}", "reply_rate_5m", "s1", agent,
                 FIRING, 0.1, 0.8, 12, None, None, T + MIN, T + MIN, reminder=reminder,
                 group=group)  # fmt: skip


def test_a_shop_silence_covers_its_agents_and_an_agent_silence_only_that_agent() -> None:
    book = ControlBook()
    book.apply(silence("s1"))
    book.apply(silence("s2", "s2-a1"))
    assert book.silenced("s1", "", T) and book.silenced("s1", "s1-a9", T + 29 * MIN)
    assert not book.silenced("s1", "", T + 30 * MIN) and not book.silenced("s1", "", T - 1)
    assert book.silenced("s2", "s2-a1", T) and not book.silenced("s2", "s2-a2", T)
    assert not book.silenced("s2", "", T)


def test_marking_records_silence_and_ack_and_quiet_spares_acked_first_alerts() -> None:
    book = ControlBook()
    book.apply(Control("ack:x", ACK, "s1", "", alert("").alert_id, None, "", "lead", T))
    marked = book.mark(alert(""))
    assert (marked.silenced, marked.acked_by) == (False, "lead")
    assert book.quiet(alert("", reminder=True), T) and not book.quiet(alert(""), T)
    book.apply(silence("s1"))
    assert book.mark(alert("s1-a1")).silenced and book.quiet(alert("s1-a1"), T)


def test_acked_reminders_are_dropped_and_their_group_recounted() -> None:
    runner = AlarmRunner(KefuSettings(), "127.0.0.1:9")
    acked = alert("s1-a1", reminder=True, group=2, since=T - 30 * MIN)
    runner.controls.apply(Control("ack:a1", ACK, "s1", "s1-a1", acked.alert_id, None, "",
                                  "lead", T))  # fmt: skip
    kept = runner._controlled([acked, alert("s1-a2", reminder=True, group=2)])
    assert [(a.agent_id, a.group) for a in kept] == [("s1-a2", 1)]


def test_durations() -> None:
    assert [duration_seconds(t) for t in ("90s", "30m", "2h", "1d")] == [90, 1800, 7200, 86400]
    for bad in ("30", "0m", "-5m", "half an hour"):
        with pytest.raises(KefuError, match="positive duration"):
            duration_seconds(bad)
