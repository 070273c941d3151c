"""The escalations' packed redelivery memory (agents/escalation/seen_ids.py) against the dict
of ids it replaced."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.escalation import seen_ids
from agents.escalation.detector import Conversation

WINDOW_MS = 30 * 60_000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 90), st.integers(0, 60 * 60_000)), max_size=200))
def test_the_packed_ids_answer_as_the_dict_of_ids(arrivals: list[tuple[int, int]]) -> None:
    """Each id added when not held, pruned past 64 as the detector does: the same ids held."""
    seen, model, last = seen_ids.new(), dict[str, int](), 0
    for n, at in arrivals:
        ident, last = f"e{n}", max(last, at)
        held = seen_ids.holds(seen, seen_ids.digest(ident))
        assert held == (ident in model)
        if held:
            continue
        seen_ids.add(seen, seen_ids.digest(ident), at)
        model[ident] = at
        if seen_ids.count(seen) > 64:
            seen = seen_ids.since(seen, last - WINDOW_MS)
            model = {k: v for k, v in model.items() if v >= last - WINDOW_MS}
        assert seen_ids.count(seen) == len(model)
    assert bytes(seen) == b"".join(seen_ids.RECORD.pack(_signed(k), at) for k, at in model.items())


def _signed(ident: str) -> int:
    return int.from_bytes(seen_ids.digest(ident), "little", signed=True)


def test_a_match_across_fields_is_not_an_id() -> None:
    key = seen_ids.digest("m1")
    seen = seen_ids.new()
    seen_ids.add(seen, b"\0" * 8, _signed("m1"))  # a time equal to the digest
    seen_ids.add(seen, b"\0" * 4 + key[:4], int.from_bytes(key[4:] + b"\0" * 4, "little"))
    assert not seen_ids.holds(seen, key)
    seen_ids.add(seen, key, 7)
    assert seen_ids.holds(seen, key)


def test_the_digest_is_the_same_in_every_process() -> None:
    """Snapshots hold digests: a changed function would forget every id at a restore."""
    assert _signed("pdd-msg-1") == 5696805980998285542
    assert _signed("") == -5426141060434712860


def test_a_snapshot_of_before_the_packing_still_knows_its_ids() -> None:
    old = ["a1", 0, None, "", 5, {}, [], {"m1": 5, "m2": 9}]
    conversation = Conversation.load(old)
    assert seen_ids.holds(conversation.seen, seen_ids.digest("m2"))
    assert not seen_ids.holds(conversation.seen, seen_ids.digest("m3"))
    assert Conversation.load(conversation.dump()) == conversation
    assert conversation.dump()[-1] == [_signed("m1"), 5, _signed("m2"), 9]
