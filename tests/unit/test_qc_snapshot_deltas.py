"""QC's snapshot deltas: the memory a snapshot chain restores equals the live one, with the
pending questions in the same order (it decides which goes first when the memory is full)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.qc.context import Conversations, Pending
from agents.qc.dictionary import reload
from agents.qc.findings import Inspection, Message
from agents.qc.held import HeldMessages
from agents.qc.recent_ids import RecentIds

RULES = reload()
BUYERS = st.sampled_from(("b1", "b2", "b3"))
# (kind, buyer, number): a question (with a price cue when number is odd), a human reply, a
# forgetting of questions before `number`, or a snapshot delta.
STEPS = st.lists(
    st.tuples(
        st.sampled_from(("ask", "ask", "ask", "reply", "forget", "delta", "delta")),
        BUYERS,
        st.integers(0, 9),
    ),
    max_size=40,
)


def message(sender: str, buyer: str, at: int) -> Message:
    return Message(f"{buyer}-{at}", "s1", buyer, "a1", sender, at, "")


def replay(base: dict[tuple[str, str], Pending], deltas: list[tuple[list, list]]) -> list:
    memory = dict(base)
    for gone, waiting in deltas:
        for key in [*gone, *(key for key, _ in waiting)]:
            memory.pop(key, None)
        memory.update(waiting)
    return list(memory.items())


@settings(max_examples=200, deadline=None)
@given(STEPS, st.integers(2, 6))
def test_pending_questions_restore_in_order(steps: list, max_open: int) -> None:
    memory: dict[tuple[str, str], Pending] = {}
    live = Conversations(memory, max_open=max_open)
    base, deltas, at = dict(memory), [], 0
    for kind, buyer, number in steps:
        at += 1
        if kind == "ask":
            asked = message("buyer", buyer, at)
            asked.inspection = Inspection((), True, "多少钱" if number % 2 else None)
            live.inspect(asked, RULES)
        elif kind == "reply":
            live.inspect(message("agent", buyer, at), RULES)
        elif kind == "forget":
            live.forget_before(at - 12 - number)
        else:
            deltas.append(live.take_changed())
    deltas.append(live.take_changed())
    assert replay(base, deltas) == list(memory.items())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("add", "add", "forget", "delta")), st.integers(0, 30))))
def test_seen_ids_restore_from_deltas(steps: list[tuple[str, int]]) -> None:
    """Ids are added at or after the newest cutoff, as QC adds them (older ones are judged
    alone and not remembered)."""
    live, restored = RecentIds(4), RecentIds(4)
    cutoff = 0
    for kind, number in steps:
        if kind == "add":
            live.add(f"e{number}", cutoff + number)
        elif kind == "forget":
            cutoff += number // 3
            live.forget_before(cutoff)
        else:
            _apply(restored, live.take_added(), live.cutoff_ms)
    _apply(restored, live.take_added(), live.cutoff_ms)
    assert restored.at == live.at


def _apply(restored: RecentIds, added: list, cutoff: int | None) -> None:
    if cutoff is not None:
        restored.forget_before(cutoff)
    for ident, at in added:
        restored.add(str(ident), int(at))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(("hold", "hold", "release", "delta")), st.integers(0, 9)))
)
def test_held_messages_restore_from_deltas(steps: list[tuple[str, int]]) -> None:
    """Held messages are later than the horizon, as QC holds them."""
    live, restored = HeldMessages(), HeldMessages()
    horizon = 0
    for kind, number in steps:
        if kind == "hold":
            live.hold(message("buyer", "b1", horizon + 1 + number * 400))
        elif kind == "release":
            horizon += number * 300
            live.release(horizon)
        else:
            restored.release(horizon)
            restored.load(live.take_new(horizon))
    restored.release(horizon)
    restored.load(live.take_new(horizon))
    assert sorted(restored.entries()) == sorted(live.entries())


def test_a_question_that_gains_a_price_cue_is_restored_in_its_place() -> None:
    memory: dict[tuple[str, str], Pending] = {}
    live = Conversations(memory)
    for at, (buyer, cue) in enumerate((("b1", None), ("b2", None), ("b1", "多少钱")), start=1):
        asked = message("buyer", buyer, at)
        asked.inspection = Inspection((), True, cue)
        live.inspect(asked, RULES)
        if at == 2:
            deltas = [live.take_changed()]
    deltas.append(live.take_changed())
    assert replay({}, deltas) == list(memory.items())
    assert memory[("s1", "b1")] == Pending(True, "多少钱", 1)
