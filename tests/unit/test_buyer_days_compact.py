"""The compact buyer form changes nothing: rows, checkpoints and restores equal the full form's.

BuyerDays(compact=False) holds every buyer in full, as before the compact form existed. Both
get the same calls, in any order and with any inputs (re-cuts, days moving, late orders,
settling, restores from either form's checkpoint), and must answer identically.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.inquiries.hours import hours_from_settings
from agents.partition import changelog
from agents.partition.buyer_days import CONVERSION_WINDOW_MS, GRACE_MS, BuyerDays
from agents.partition.buyer_forms import Buyer, Lone
from agents.partition.state import PartitionState
from schemas.inquiry import ANSWERED, MISSED, OPEN
from schemas.packed import PackedBatch, canonical_json
from sinks.tables import BUYER_DAYS
from tests.unit.test_buyer_days import HOUR, MINUTE, T0, D, inquiry, order
from tests.unit.test_buyer_days_partition import BATCH, NOW_MS, SETTINGS, events

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SETTLED_MS = CONVERSION_WINDOW_MS + GRACE_MS

_INQUIRY = st.tuples(
    st.just("inquiry"),
    st.sampled_from(["i1", "i2", "i3"]),
    st.sampled_from(["b1", "b2"]),
    st.integers(-2, 120),  # opened, hours after T0
    st.none() | st.integers(1, 900),
    st.sampled_from([OPEN, MISSED, ANSWERED]),
    st.sampled_from([0, 0, 0, -1, 1]),  # the business day, around the opening's
    st.booleans(),
)
_ORDER = st.tuples(
    st.just("order"),
    st.sampled_from(["O1", "O2"]),
    st.sampled_from(["b1", "b2"]),
    st.none() | st.integers(-2, 200).map(lambda h: T0 + h * HOUR),
    st.sampled_from(["10.00", "59.90"]),
)
# Event time moves on a few hours, or to within a millisecond of when the buyer-day of an
# inquiry opened at some hour settles.
_ADVANCE = st.tuples(
    st.just("advance"),
    st.integers(0, 24).map(lambda h: h * HOUR)
    | st.tuples(st.integers(-2, 120), st.integers(-1, 1)).map(
        lambda hd: T0 + hd[0] * HOUR + SETTLED_MS + hd[1]
    ),
)
_STEPS = {
    "inquiry": _INQUIRY,
    "order": _ORDER,
    "rows": st.tuples(st.just("rows")),
    "advance": _ADVANCE,
    "dirty": st.tuples(st.just("dirty")),
    "restore": st.tuples(st.just("restore")),
}
# Mostly inquiries and rows, as the stateful stage calls them.
_KINDS = ["inquiry"] * 4 + ["rows"] * 3 + ["advance"] * 2 + ["order", "dirty", "restore"]
_STEP = st.sampled_from(_KINDS).flatmap(_STEPS.__getitem__)


class Pair:
    """A compact and a full BuyerDays fed alike; every answer is compared."""

    def __init__(self) -> None:
        self.compact = BuyerDays()
        self.full = BuyerDays(compact=False)
        self.version = 0
        self.horizon = T0 - HOUR

    def same(self, name: str, *args: Any) -> Any:
        a = getattr(self.compact, name)(*args)
        b = getattr(self.full, name)(*args)
        assert a == b, name
        return a

    def step(self, step: tuple[Any, ...]) -> None:
        kind = step[0]
        if kind == "inquiry":
            self._inquiry(*step[1:])
        elif kind == "order":
            _, order_id, buyer, paid, amount = step
            state = order(order_id, paid, amount)
            state.buyer_id = buyer
            self.same("order", state)
        elif kind == "rows":
            self.version += 1
            self.same("take_rows", self.version)
        elif kind == "advance":
            by_or_to = step[1]  # a step of hours, or a moment in event time
            self.horizon = max(self.horizon, by_or_to) if by_or_to > T0 else self.horizon + by_or_to
            self.same("advance", self.horizon)
        elif kind == "dirty":
            self.same("take_dirty")
        else:
            self.restore()

    def _inquiry(
        self,
        inquiry_id: str,
        buyer: str,
        hours: int,
        answered_after: int | None,
        status: str,
        day_shift: int,
        deleted: bool,
    ) -> None:
        if status == OPEN:
            answered_after = None
        elif answered_after is None:
            status = MISSED
        else:
            status = ANSWERED
        day = D + timedelta(days=hours // 24 + day_shift)
        row = inquiry(inquiry_id, T0 + hours * HOUR, answered_after, "a1", status, day, buyer)
        self.same("inquiry", row, deleted)

    def restore(self) -> None:
        """New instances of both forms, loaded from the full snapshot both forms wrote alike."""
        self.same("touch_all")
        snapshot = orjson.loads(orjson.dumps(self.same("take_dirty")))  # as the changelog does
        self.compact, self.full = BuyerDays(), BuyerDays(compact=False)
        for shop, buyer, state in snapshot:
            self.same("load", shop, buyer, state)

    def form(self, buyer: str) -> type:
        return type(self.compact._buyers[("s1", buyer)])


@PROPERTY
@given(st.lists(_STEP, min_size=10, max_size=60))
def test_compact_and_full_forms_answer_alike(steps: list[tuple[Any, ...]]) -> None:
    pair = Pair()
    for step in steps:
        pair.step(step)
    pair.version += 1
    pair.same("take_rows", pair.version)
    pair.same("touch_all")
    pair.same("take_dirty")


def buyer_day(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(BUYER_DAYS, row, strict=True))


def test_a_buyer_with_one_open_inquiry_is_held_compactly_until_it_needs_more() -> None:
    pair = Pair()
    pair.same("inquiry", inquiry("i1", T0, status=OPEN), False)
    assert len(pair.same("take_rows", 1)) == 1
    assert pair.form("b1") is Lone
    pair.same("inquiry", inquiry("i1", T0, answered_after=20), False)
    assert pair.same("take_rows", 2) == []  # answered in time: the row stays as it was
    assert pair.form("b1") is Lone
    pair.same("order", order("O1", T0 + HOUR))
    assert pair.form("b1") is Buyer
    (row,) = pair.same("take_rows", 3)
    assert (buyer_day(row)["converted"], buyer_day(row)["conversion_agent_id"]) == (1, "a1")
    pair.same("advance", T0 + SETTLED_MS + MINUTE)
    assert pair.same("take_dirty") == [["s1", "b1", {"f": [T0 + 20_000, "a1"]}]]


def test_the_full_form_returns_to_the_compact_one_when_it_fits_again() -> None:
    pair = Pair()
    pair.same("inquiry", inquiry("i1", T0, answered_after=20), False)
    pair.same("inquiry", inquiry("i2", T0 + HOUR, status=OPEN), False)
    pair.same("take_rows", 1)
    assert pair.form("b1") is Buyer
    pair.same("inquiry", inquiry("i2", T0 + HOUR, status=OPEN), True)  # re-cut away
    (row,) = pair.same("take_rows", 2)
    assert buyer_day(row)["inquiries"] == 1
    assert pair.form("b1") is Lone


def test_a_restored_buyer_is_held_compactly_and_continues_alike() -> None:
    pair = Pair()
    pair.same("inquiry", inquiry("i1", T0, answered_after=20), False)
    pair.same("inquiry", inquiry("i5", T0, status=OPEN, buyer="b2"), False)
    pair.same("take_rows", 1)
    pair.restore()
    assert pair.form("b1") is Lone and pair.form("b2") is Lone
    assert pair.same("take_rows", 2) == []  # the restored rows are the emitted ones
    pair.same("order", order("O1", T0 + HOUR))
    (row,) = pair.same("take_rows", 3)
    assert buyer_day(row)["converted"] == 1


def run(stream: list[dict[str, Any]], compact: bool) -> list[Any]:
    """Every row and checkpoint of one partition, restored from its changelog parts midway."""
    hours = hours_from_settings(SETTINGS)

    def new_state() -> PartitionState:
        state = PartitionState(0, hours, 30_000)
        state.buyer_days = BuyerDays(compact=compact)
        return state

    state = new_state()
    out: list[Any] = []
    batches = [PackedBatch(events=stream[i : i + BATCH]) for i in range(0, len(stream), BATCH)]
    batches.append(PackedBatch(flush_ms=max(e["occurred_at"] for e in stream)))
    parts: list[bytes] = []
    for offset, batch in enumerate(batches):
        if offset == len(batches) // 2:
            state = new_state()
            for part in parts:
                state.load_checkpoint(changelog.decode(part))
        state.apply(batch, offset, lambda table, row, out=out: out.append((table, row)), NOW_MS)
        full = offset % 5 == 0
        new = changelog.split(state.take_checkpoint(NOW_MS, full), items_per_part=50)
        parts = new if full else parts + new
        out += new
    return out


def test_partition_state_rows_and_checkpoints_are_the_same_in_either_form() -> None:
    stream = [orjson.loads(canonical_json(e)) for e in events(4, 7)]
    compact = run(stream, compact=True)
    assert sum(1 for item in compact if isinstance(item, tuple) and item[0] == "buyer_days") > 100
    assert compact == run(stream, compact=False)


def test_a_restored_buyer_settles_exactly_when_the_full_form_does() -> None:
    pair = Pair()
    pair.same("inquiry", inquiry("i1", T0, answered_after=20), False)
    pair.same("take_rows", 1)
    pair.restore()  # the restored buyer is looked at again at the first advance
    pair.same("advance", T0 + SETTLED_MS)
    assert pair.same("take_dirty") == []
    pair.same("advance", T0 + SETTLED_MS + 1)
    assert pair.same("take_dirty") == [["s1", "b1", {"f": [T0 + 20_000, "a1"]}]]


def test_a_late_change_of_a_day_a_compact_buyer_still_holds_reaches_its_row() -> None:
    pair = Pair()
    pair.same("inquiry", inquiry("i2", T0 + 10 * HOUR, status=OPEN), False)
    pair.same("take_rows", 1)
    pair.same("advance", T0 + SETTLED_MS + HOUR)  # i2's buyer-day is held 10 hours more
    pair.same("inquiry", inquiry("i1", T0, answered_after=20), False)
    (row,) = pair.same("take_rows", 2)
    assert (buyer_day(row)["first_inquiry_at"], buyer_day(row)["inquiries"]) == (T0, 2)


def test_a_snapshot_taken_before_the_rows_restores_the_row_last_emitted() -> None:
    pair = Pair()
    pair.same("inquiry", inquiry("i1", T0, status=OPEN), False)
    pair.same("take_rows", 1)
    pair.same("inquiry", inquiry("i1", T0, status=MISSED), False)  # its row not taken yet
    pair.restore()
    pair.same("inquiry", inquiry("i1", T0, status=MISSED), False)
    (row,) = pair.same("take_rows", 2)
    assert buyer_day(row)["missed_5m"] == 1


def test_a_row_left_on_another_day_is_deleted_even_after_its_buyer_settles() -> None:
    pair = Pair()
    pair.same("inquiry", inquiry("i1", T0, status=OPEN), False)
    pair.same("take_rows", 1)
    # The same inquiry on another business day, before its rows are taken.
    moved = inquiry("i1", T0, status=OPEN, day=D + timedelta(days=1))
    pair.same("inquiry", moved, False)
    pair.same("advance", T0 + SETTLED_MS + 1)
    (row,) = pair.same("take_rows", 2)
    assert (buyer_day(row)["business_date"], buyer_day(row)["is_deleted"]) == (D, 1)
