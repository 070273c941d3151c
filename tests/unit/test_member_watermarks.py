"""A partition's clock with several ingest members: the slowest live one decides."""

from agents.partition.watermarks import MemberWatermarks


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_slowest_member_holds_the_clock() -> None:
    marks = MemberWatermarks(expire_s=30, clock=Clock())
    assert marks.observe("a", 100) == 100
    assert marks.observe("b", 40) == 40
    assert marks.observe("a", 200) == 40


def test_unknown_watermark_holds_back_until_known() -> None:
    marks = MemberWatermarks(expire_s=30, clock=Clock())
    marks.observe("a", 100)
    assert marks.observe("b", None) is None
    assert marks.observe("b", 150) == 100


def test_gone_member_stops_holding_back() -> None:
    clock = Clock()
    marks = MemberWatermarks(expire_s=30, clock=clock)
    marks.observe("a", 100)
    marks.observe("b", 40)
    clock.now = 31
    assert marks.observe("a", 120) == 120


def test_a_member_never_moves_back() -> None:
    marks = MemberWatermarks(expire_s=30, clock=Clock())
    marks.observe("a", 100)
    assert marks.observe("a", 90) == 100


def test_a_restored_clock_still_waits_for_a_member_it_heard_before_its_checkpoint() -> None:
    """Input after a checkpoint can open with the fast member's batches: a state that forgot
    the slow one would run ahead of the slow one's sources."""
    before = MemberWatermarks(expire_s=30, clock=Clock())
    before.observe("fast", 500)
    before.observe("slow", 100)
    clock = Clock()
    restored = MemberWatermarks(expire_s=30, clock=clock)
    restored.load(before.dump())
    assert restored.observe("fast", 600) == 100
    clock.now = 31  # the slow member left: it stops holding the clock as it would have
    assert restored.observe("fast", 700) == 700
    forgetful = MemberWatermarks(expire_s=30, clock=Clock())
    assert forgetful.observe("fast", 600) == 600
