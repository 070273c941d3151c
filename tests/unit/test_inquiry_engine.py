"""InquiryEngine, rule by rule, on hand-written conversations (Asia/Shanghai, 08:00-23:00)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest

from agents.inquiries.engine import InquiryEngine
from agents.inquiries.hours import ServiceHours
from schemas.inquiry import Inquiry, InquiryChange, Message

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = ServiceHours(SHANGHAI, time(8), time(23))
LATENESS = 30_000
SECOND = 1000
MINUTE = 60 * SECOND


def sh(hour: int, minute: int = 0, second: int = 0, day: int = 23) -> int:
    moment = datetime(2026, 11, day, hour, minute, second, tzinfo=SHANGHAI)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


T0 = sh(10)


def msg(
    event_id: str, sender: str, at: int, agent: str = "", buyer: str = "b1", shop: str = "s1"
) -> Message:
    return Message(event_id, shop, buyer, sender, agent, at)


def new_engine() -> InquiryEngine:
    return InquiryEngine(lambda shop: HOURS, LATENESS)


def feed(engine: InquiryEngine, *messages: Message) -> list[InquiryChange]:
    for m in messages:
        engine.add(m)
    return engine.take_changes()


def rows(changes: list[InquiryChange]) -> dict[str, Inquiry]:
    assert not any(c.deleted for c in changes)
    return {c.inquiry.inquiry_id: c.inquiry for c in changes}


def settle(engine: InquiryEngine, until: int) -> dict[str, Inquiry]:
    engine.flush(until)
    return rows(engine.take_changes())


def test_buyer_messages_join_and_the_first_agent_reply_answers() -> None:
    engine = new_engine()
    out = rows(
        feed(
            engine,
            msg("m1", "buyer", T0),
            msg("m2", "buyer", T0 + 5 * SECOND),
            msg("m3", "agent", T0 + 20 * SECOND, "a7"),
            msg("m4", "agent", T0 + 25 * SECOND, "a8"),
        )
    )
    assert list(out) == ["m1"]
    row = out["m1"]
    assert (row.status, row.answered_at_ms, row.answered_by, row.agent_id) == (
        "answered",
        T0 + 20 * SECOND,
        "a7",
        "a7",
    )
    assert (row.response_seconds, row.raw_response_seconds) == (20.0, 20.0)
    assert (row.within_30s, row.within_3m, row.within_5m) == (1, 1, 1)
    assert (row.business_date, row.in_8_23, row.effective_opened_at_ms) == (
        date(2026, 11, 23),
        1,
        T0,
    )
    assert engine.stats.open_inquiries == 0


@pytest.mark.parametrize(
    ("delay", "flags"),
    [
        (30 * SECOND, (1, 1, 1)),
        (30 * SECOND + 1, (0, 1, 1)),
        (180 * SECOND, (0, 1, 1)),
        (180 * SECOND + 1, (0, 0, 1)),
        (300 * SECOND, (0, 0, 1)),
        (300 * SECOND + 1, (0, 0, 0)),
    ],
)
def test_threshold_flags_are_inclusive(delay: int, flags: tuple[int, int, int]) -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", T0))
    engine.add(msg("m2", "agent", T0 + delay, "a1"))
    row = settle(engine, T0 + delay)["m1"]
    assert (row.within_30s, row.within_3m, row.within_5m) == flags
    assert row.response_seconds == delay / 1000


def test_bot_and_system_do_not_answer() -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", T0))
    engine.add(msg("m2", "bot", T0 + SECOND))
    engine.add(msg("m3", "system", T0 + 2 * SECOND))
    assert rows(engine.take_changes())["m1"].status == "open"
    engine.add(msg("m4", "agent", T0 + 40 * SECOND, "a1"))
    row = settle(engine, T0 + 40 * SECOND)["m1"]
    assert (row.answered_by, row.response_seconds, row.within_30s) == ("a1", 40.0, 0)


def test_attribution_prefers_the_assigned_agent() -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", T0, "a9"))
    engine.add(msg("m2", "agent", T0 + SECOND, "a1"))
    row = settle(engine, T0 + SECOND)["m1"]
    assert (row.agent_id, row.answered_by) == ("a9", "a1")


def test_attribution_only_reads_the_opening_message() -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", T0))
    engine.add(msg("m2", "buyer", T0 + SECOND, "a9"))
    engine.add(msg("m3", "agent", T0 + 2 * SECOND, "a1"))
    assert settle(engine, T0 + 2 * SECOND)["m1"].agent_id == "a1"


def test_attribution_falls_back_to_the_last_agent_before_the_inquiry() -> None:
    engine = new_engine()
    engine.add(msg("m1", "agent", T0, "a3"))  # a proactive message counts as a reply
    engine.add(msg("m2", "buyer", T0 + MINUTE))
    engine.add(msg("m3", "agent", T0 + 2 * MINUTE, "a4"))
    engine.add(msg("m4", "buyer", T0 + 3 * MINUTE))
    out = settle(engine, T0 + 3 * MINUTE)
    assert out["m2"].agent_id == "a4"  # answered: the answering agent
    assert out["m4"].agent_id == "a4"  # open: the last agent before it opened
    assert out["m4"].status == "open"


def test_attribution_skips_an_agent_reply_after_the_opening() -> None:
    """While open, the attribution is the agent before, not one who answers later."""
    engine = new_engine()
    engine.add(msg("m1", "agent", T0, "a3"))
    engine.add(msg("m2", "buyer", T0 + MINUTE))
    assert rows(engine.take_changes())["m2"].agent_id == "a3"


def test_no_agent_at_all_is_an_empty_attribution() -> None:
    engine = new_engine()
    engine.add(msg("m1", "bot", T0))
    engine.add(msg("m2", "buyer", T0 + SECOND))
    assert settle(engine, T0 + SECOND)["m2"].agent_id == ""


def test_reply_stamped_before_the_buyer_message_does_not_answer_it() -> None:
    """An agent's skewed clock puts the reply first: it answers nothing, it only attributes."""
    engine = new_engine()
    engine.add(msg("m1", "buyer", T0 + 2 * SECOND))
    engine.add(msg("m2", "agent", T0 + 1 * SECOND, "a5"))
    row = settle(engine, T0 + 10 * MINUTE)["m1"]
    assert (row.status, row.answered_at_ms, row.agent_id) == ("missed", None, "a5")


def test_night_inquiry_starts_its_clock_at_service_start() -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", sh(2)))
    engine.add(msg("m2", "agent", sh(8, 2), "a1"))
    row = settle(engine, sh(8, 2))["m1"]
    assert row.effective_opened_at_ms == sh(8)
    assert (row.response_seconds, row.raw_response_seconds) == (120.0, 6 * 3600.0 + 120)
    assert (row.within_30s, row.within_3m, row.within_5m, row.in_8_23) == (0, 1, 1, 0)
    assert row.business_date == date(2026, 11, 23)


def test_reply_before_the_effective_open_counts_zero() -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", sh(2)))
    engine.add(msg("m2", "agent", sh(7, 30), "a1"))
    row = settle(engine, sh(7, 30))["m1"]
    assert (row.response_seconds, row.raw_response_seconds) == (0.0, 5.5 * 3600)
    assert (row.within_30s, row.within_3m, row.within_5m) == (1, 1, 1)


def test_night_inquiry_is_not_missed_before_the_next_morning() -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", sh(23, 30)))
    row = settle(engine, sh(2, day=24))["m1"]
    assert (row.status, row.effective_opened_at_ms) == ("open", sh(8, day=24))
    assert row.business_date == date(2026, 11, 24)
    engine.flush(sh(8, 5, 1, day=24))
    assert rows(engine.take_changes())["m1"].status == "missed"


def test_missed_inquiry_answered_later_keeps_its_response_time() -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", T0))
    engine.add(msg("m2", "buyer", T0 + 6 * MINUTE, buyer="b2"))  # moves the horizon
    assert rows(engine.take_changes())["m1"].status == "missed"
    engine.add(msg("m3", "agent", T0 + 7 * MINUTE, "a1"))
    row = rows(engine.take_changes())["m1"]
    assert (row.status, row.response_seconds) == ("answered", 420.0)
    assert (row.within_30s, row.within_3m, row.within_5m) == (0, 0, 0)


def test_deadline_expires_without_further_messages_in_the_conversation() -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", T0))
    assert rows(engine.take_changes())["m1"].status == "open"
    deadline = T0 + 5 * MINUTE
    engine.add(msg("x1", "system", deadline + LATENESS, buyer="other"))  # horizon == deadline
    assert engine.take_changes() == []
    engine.add(msg("x2", "system", deadline + LATENESS + 1, buyer="other"))
    changes = engine.take_changes()
    assert [(c.inquiry.inquiry_id, c.inquiry.status) for c in changes] == [("m1", "missed")]
    assert engine.stats.open_inquiries == 1  # still unanswered, still held


@pytest.mark.parametrize(("until", "status"), [(0, "open"), (1, "missed")])
def test_flush_expires_strictly_past_the_deadline(until: int, status: str) -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", T0))
    assert settle(engine, T0 + 5 * MINUTE + until)["m1"].status == status


def test_duplicates_change_nothing() -> None:
    engine = new_engine()
    first = feed(engine, msg("m1", "buyer", T0), msg("m2", "agent", T0 + SECOND, "a1"))
    again = feed(engine, msg("m1", "buyer", T0), msg("m2", "agent", T0 + SECOND, "a1"))
    assert len(first) == 1
    assert again == []
    assert (engine.stats.messages, engine.stats.duplicates) == (4, 2)


def test_late_earlier_buyer_message_recuts_an_emitted_inquiry() -> None:
    engine = new_engine()
    engine.add(msg("m2", "buyer", T0 + 10 * SECOND))
    emitted = rows(engine.take_changes())["m2"]
    engine.add(msg("m1", "buyer", T0 + 5 * SECOND))  # within the lateness: not "late"
    changes = engine.take_changes()
    assert [(c.inquiry.inquiry_id, c.deleted) for c in changes] == [("m1", False), ("m2", True)]
    assert changes[1].inquiry == emitted
    assert engine.stats.late == 0
    assert engine.stats.open_inquiries == 1


def test_recut_of_a_row_never_emitted_emits_no_deletion() -> None:
    engine = new_engine()
    engine.add(msg("m2", "buyer", T0 + 10 * SECOND))
    engine.add(msg("m1", "buyer", T0 + 5 * SECOND))
    assert [(c.inquiry.inquiry_id, c.deleted) for c in engine.take_changes()] == [("m1", False)]


def test_late_agent_message_splits_an_inquiry_in_two() -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", T0))
    engine.add(msg("m3", "buyer", T0 + 20 * SECOND))
    engine.add(msg("m4", "agent", T0 + 30 * SECOND, "a2"))
    assert rows(engine.take_changes())["m1"].answered_by == "a2"
    engine.add(msg("m2", "agent", T0 + 10 * SECOND, "a1"))
    out = rows(engine.take_changes())
    assert (out["m1"].answered_by, out["m1"].response_seconds) == ("a1", 10.0)
    assert (out["m3"].answered_by, out["m3"].response_seconds) == ("a2", 10.0)


def test_changes_coalesce_to_the_latest_state() -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", T0))
    engine.add(msg("x1", "system", T0 + 10 * MINUTE, buyer="other"))  # settles and misses m1
    engine.add(msg("m2", "agent", T0 + 10 * MINUTE, "a1"))
    changes = engine.take_changes()
    assert [(c.inquiry.inquiry_id, c.inquiry.status) for c in changes] == [("m1", "answered")]


def test_too_late_message_is_counted_logged_and_folded_in(caplog: pytest.LogCaptureFixture) -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", T0))
    engine.add(msg("x1", "system", T0 + 2 * MINUTE, buyer="other"))  # horizon T0 + 90 s
    engine.take_changes()
    with caplog.at_level(logging.DEBUG, logger="agents.inquiries.engine"):
        engine.add(msg("m2", "agent", T0 + MINUTE, "a1"))
    assert engine.stats.late == 1
    assert "late message m2" in caplog.text
    row = rows(engine.take_changes())["m1"]
    assert (row.answered_by, row.response_seconds) == ("a1", 60.0)


def test_too_late_message_lands_after_the_settled_state() -> None:
    """A buyer message older than a settled inquiry cannot re-cut it: it joins the open one."""
    engine = new_engine()
    engine.add(msg("m2", "buyer", T0 + 10 * SECOND))
    engine.add(msg("x1", "system", T0 + 2 * MINUTE, buyer="other"))
    engine.add(msg("m1", "buyer", T0))
    out = rows(engine.take_changes())
    assert list(out) == ["m2"]
    assert engine.stats.late == 1


def test_duplicate_of_a_pending_message_arriving_out_of_order() -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", T0))
    engine.add(msg("m2", "agent", T0 + 20 * SECOND, "a1"))
    engine.add(msg("m3", "buyer", T0 + 25 * SECOND))
    engine.add(msg("m1", "buyer", T0))  # behind newer ones, still within the lateness
    out = rows(engine.take_changes())
    assert sorted(out) == ["m1", "m3"]
    assert (engine.stats.duplicates, engine.stats.late) == (1, 0)


def test_settled_conversation_keeps_only_its_last_agent() -> None:
    engine = new_engine()
    engine.add(msg("m1", "buyer", T0))
    engine.add(msg("m2", "agent", T0 + SECOND, "a1"))
    engine.add(msg("n1", "buyer", T0, buyer="b2"))
    engine.add(msg("n2", "bot", T0 + SECOND, buyer="b2"))
    engine.add(msg("n3", "system", T0 + 2 * SECOND, buyer="b3"))
    engine.take_changes()
    engine.take_dirty()
    engine.add(msg("x1", "system", T0 + 10 * MINUTE, buyer="other"))
    engine.take_changes()
    states = engine.take_dirty()
    assert states[("s1", "b1")] == "a1"
    assert states[("s1", "b3")] is None
    state = states[("s1", "b2")]
    assert state is not None and state[1] is not None  # still open
    # the last agent survives for attribution
    engine.add(msg("m3", "buyer", T0 + 11 * MINUTE))
    assert rows(engine.take_changes())["m3"].agent_id == "a1"


STREAM = [
    msg("m1", "buyer", T0),
    msg("k1", "buyer", T0 + 1 * SECOND, buyer="b2"),
    msg("m2", "agent", T0 + 20 * SECOND, "a1"),
    msg("k3", "buyer", T0 + 25 * SECOND, buyer="b2"),
    msg("m3", "buyer", T0 + 45 * SECOND),
    msg("k2", "buyer", T0 + 22 * SECOND, buyer="b2", shop="s2"),
    msg("m4", "bot", T0 + 50 * SECOND),
    msg("k0", "buyer", T0 + 24 * SECOND, buyer="b2"),
    msg("m5", "agent", T0 + 2 * MINUTE, "a2"),
    msg("k4", "agent", T0 + 3 * MINUTE, "a3", buyer="b2"),
    msg("m6", "buyer", T0 + 4 * MINUTE),
    msg("m6", "buyer", T0 + 4 * MINUTE),
    msg("x1", "system", T0 + 15 * MINUTE, buyer="x"),
    msg("m7", "agent", T0 + 15 * MINUTE, "a2"),
]


@pytest.mark.parametrize("cut", range(len(STREAM) + 1))
def test_export_and_load_mid_stream_continue_identically(cut: int) -> None:
    steady, restarted = new_engine(), new_engine()
    changelog: dict[tuple[str, str], object] = {}
    steady_out: list[list[InquiryChange]] = []
    restarted_out: list[list[InquiryChange]] = []
    for i, m in enumerate(STREAM):
        if i == cut:
            meta = orjson.loads(orjson.dumps(restarted.export_meta()))
            saved = orjson.loads(orjson.dumps([[*key, state] for key, state in changelog.items()]))
            restarted = new_engine()
            for shop, buyer, state in saved:
                restarted.load((shop, buyer), state)
            restarted.load_meta(meta)
            assert restarted.stats.open_inquiries == steady.stats.open_inquiries
        steady.add(m)
        restarted.add(m)
        steady_out.append(steady.take_changes())
        restarted_out.append(restarted.take_changes())
        changelog.update(restarted.take_dirty())
    steady.flush(T0 + 20 * MINUTE)
    restarted.flush(T0 + 20 * MINUTE)
    assert steady.take_changes() == restarted.take_changes()
    assert steady_out == restarted_out
    assert steady.stats == restarted.stats


def test_watermarked_engine_keeps_its_clock_off_the_messages() -> None:
    """Fed by several sources, the newest message must not move event time; the watermark does."""
    engine = InquiryEngine(lambda shop: HOURS, LATENESS, watermarked=True)
    assert engine.watermark_ms is None
    engine.add(msg("m1", "buyer", T0))
    engine.add(msg("far", "buyer", T0 + 3600_000, buyer="fast-source"))
    assert engine.watermark_ms is None
    engine.take_changes()
    engine.add(msg("r1", "agent", T0 + 20_000, "a1"))  # behind the newest message, not late
    assert engine.stats.late == 0
    assert rows(engine.take_changes())["m1"].status == "answered"
    engine.advance_watermark(T0 + 20_000 + LATENESS + 1)
    assert engine.watermark_ms == T0 + 20_000 + LATENESS + 1
    engine.add(msg("old", "buyer", T0 + 10_000, buyer="b2"))
    assert engine.stats.late == 1


def test_watermark_expires_deadlines() -> None:
    engine = InquiryEngine(lambda shop: HOURS, LATENESS, watermarked=True)
    engine.add(msg("m1", "buyer", T0))
    engine.take_changes()
    engine.advance_watermark(T0 + 5 * MINUTE + LATENESS)
    assert engine.take_changes() == []
    engine.advance_watermark(T0 + 5 * MINUTE + LATENESS + 1)
    assert [c.inquiry.status for c in engine.take_changes()] == ["missed"]
