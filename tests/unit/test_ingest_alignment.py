"""Event-time alignment and the watermark ingest stamps on packed batches."""

from aiokafka import TopicPartition

from agents.ingest.alignment import Alignment

A, B, C = (TopicPartition("kefu.raw.chat", p) for p in range(3))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def aligned(clock: Clock | None = None) -> Alignment:
    return Alignment(slack_ms=5_000, idle_after_s=5.0, clock=clock or Clock())


def test_watermark_waits_for_unread_backlog() -> None:
    align = aligned()
    align.observe(A, 100_000)
    assert align.watermark({A, B}) is None
    assert align.ahead({A, B}) == {A}


def test_watermark_is_the_slowest_active_source() -> None:
    align = aligned()
    align.observe(A, 100_000)
    align.observe(B, 40_000)
    align.observe(C, 200_000)
    assert align.watermark({A, B}) == 40_000
    assert align.ahead({A, B}) == {A, C}


def test_caught_up_but_active_source_still_holds_the_clock() -> None:
    """A producer may still be appending older events to a source our last fetch saw as done."""
    align = aligned()
    align.observe(A, 100_000)
    align.observe(B, 40_000)
    assert align.watermark(set()) == 40_000


def test_idle_sources_hold_nobody_back() -> None:
    clock = Clock()
    align = aligned(clock)
    align.observe(B, 40_000)
    clock.now = 6.0
    align.observe(A, 100_000)
    assert align.watermark(set()) == 100_000
    clock.now = 12.0
    assert align.watermark(set()) == 100_000
    assert align.ahead(set()) == set()


def test_marks_only_move_forward_and_forget_revoked() -> None:
    align = aligned()
    align.observe(A, 100_000)
    align.observe(A, 90_000)
    assert align.marks[A] == 100_000
    align.forget({A})
    assert align.watermark(set()) is None


def test_a_source_without_data_is_unknown_until_idle() -> None:
    """At start-up a producer may still be filling a partition that looks caught up."""
    clock = Clock()
    align = aligned(clock)
    align.assigned({A, B})
    align.observe(A, 100_000)
    assert align.watermark(set()) is None
    clock.now = 6.0
    assert align.watermark(set()) == 100_000


def test_revoked_sources_are_forgotten() -> None:
    align = aligned()
    align.assigned({A, B})
    align.observe(A, 100_000)
    align.observe(B, 50_000)
    align.assigned({A})
    assert B not in align.marks and B not in align.assigned_at
