"""Event-time alignment and the watermark ingest stamps on packed batches."""

from aiokafka import TopicPartition

from agents.ingest.alignment import Alignment

A, B, C = (TopicPartition("kefu.raw.chat", p) for p in range(3))


def test_watermark_waits_for_unread_backlog() -> None:
    align = Alignment(slack_ms=5_000)
    align.observe(A, 100_000)
    assert align.watermark({A, B}) is None
    assert align.ahead({A, B}) == {A}


def test_watermark_is_the_slowest_backlogged_source() -> None:
    align = Alignment(slack_ms=5_000)
    align.observe(A, 100_000)
    align.observe(B, 40_000)
    align.observe(C, 200_000)
    assert align.watermark({A, B}) == 40_000
    assert align.ahead({A, B}) == {A, C}


def test_caught_up_sources_hold_nobody_back() -> None:
    align = Alignment(slack_ms=5_000)
    align.observe(A, 100_000)
    align.observe(B, 40_000)
    assert align.watermark(set()) == 100_000
    assert align.ahead(set()) == set()


def test_marks_only_move_forward_and_forget_revoked() -> None:
    align = Alignment(slack_ms=5_000)
    align.observe(A, 100_000)
    align.observe(A, 90_000)
    assert align.marks[A] == 100_000
    align.forget({A})
    assert align.watermark(set()) is None
