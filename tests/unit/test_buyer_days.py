"""BuyerDays, rule by rule (docs/metrics.md#conversion): conversion window, attribution, misses, deletion."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest

from agents.facts.orders import OrderState
from agents.partition.buyer_days import CONVERSION_WINDOW_MS, GRACE_MS, BuyerDays
from schemas.inquiry import ANSWERED, MISSED, OPEN, Inquiry
from sinks.tables import BUYER_DAYS

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
T0 = int(datetime(2026, 11, 23, 2, 0, tzinfo=UTC).timestamp() * 1000)  # 10:00 in Shanghai
D = date(2026, 11, 23)


def inquiry(
    inquiry_id: str,
    opened: int,
    answered_after: float | None = None,
    by: str = "a1",
    status: str | None = None,
    day: date = D,
    buyer: str = "b1",
) -> Inquiry:
    answered = None if answered_after is None else opened + int(answered_after * SECOND)
    seconds = answered_after
    return Inquiry(
        shop_id="s1",
        buyer_id=buyer,
        inquiry_id=inquiry_id,
        agent_id=by,
        opened_at_ms=opened,
        effective_opened_at_ms=opened,
        answered_at_ms=answered,
        answered_by=None if answered is None else by,
        response_seconds=seconds,
        within_30s=int(seconds is not None and seconds <= 30),
        within_3m=int(seconds is not None and seconds <= 180),
        within_5m=int(seconds is not None and seconds <= 300),
        business_date=day,
        status=status or (ANSWERED if answered is not None else MISSED),
        in_8_23=1,
        raw_response_seconds=seconds,
    )


def order(
    order_id: str, paid: int | None, amount: str = "59.90", grouped: int | None = None
) -> OrderState:
    return OrderState(
        order_id=order_id,
        shop_id="s1",
        buyer_id="b1",
        latest=(paid or 0, "e"),
        status="paid",
        amount=amount,
        created_at=paid,
        paid_at=paid,
        grouped_at=grouped,
    )


def rows(tracker: BuyerDays, version: int = 1) -> list[dict[str, Any]]:
    return [dict(zip(BUYER_DAYS, row, strict=True)) for row in tracker.take_rows(version)]


def one(tracker: BuyerDays, version: int = 1) -> dict[str, Any]:
    out = rows(tracker, version)
    assert len(out) == 1, out
    return out[0]


def ms(row: dict[str, Any], column: str) -> int | None:
    value: int | None = row[column]  # time columns carry epoch ms
    return value


def test_a_buyer_day_counts_inquiries_and_final_misses() -> None:
    t = BuyerDays()
    t.inquiry(inquiry("i1", T0, answered_after=20), deleted=False)
    t.inquiry(inquiry("i2", T0 + HOUR, answered_after=200), deleted=False)
    t.inquiry(inquiry("i3", T0 - HOUR, status=OPEN), deleted=False)
    row = one(t)
    assert ms(row, "first_inquiry_at") == T0 - HOUR
    assert row["inquiries"] == 3
    # i2 missed 30 s and 3 min; i3 is open, so it misses nothing yet.
    assert (row["missed_30s"], row["missed_3m"], row["missed_5m"]) == (1, 1, 0)
    assert (row["converted"], row["order_id"], row["paid_at"], row["order_amount"]) == (
        0,
        None,
        None,
        None,
    )
    assert row["conversion_agent_id"] == "" and row["is_deleted"] == 0

    t.inquiry(inquiry("i3", T0 - HOUR, status=MISSED), deleted=False)
    assert one(t, 2)["missed_5m"] == 1
    assert rows(t, 3) == []  # nothing changed, nothing emitted


def test_order_paid_within_72_hours_converts_for_the_last_answering_agent() -> None:
    t = BuyerDays()
    t.inquiry(inquiry("i1", T0, answered_after=20, by="a1"), deleted=False)
    t.inquiry(inquiry("i2", T0 + HOUR, answered_after=20, by="a2"), deleted=False)
    t.inquiry(inquiry("i3", T0 + 3 * HOUR, answered_after=20, by="a3"), deleted=False)
    t.order(order("O1", T0 + 2 * HOUR))
    row = one(t)
    assert (row["converted"], row["order_id"], row["order_amount"]) == (1, "O1", Decimal("59.90"))
    assert ms(row, "paid_at") == T0 + 2 * HOUR
    assert row["conversion_agent_id"] == "a2"  # a3 answered after the payment


def test_order_before_the_first_inquiry_does_not_convert() -> None:
    t = BuyerDays()
    t.order(order("O1", T0 - 1))
    t.inquiry(inquiry("i1", T0, answered_after=20), deleted=False)
    assert one(t)["converted"] == 0


@pytest.mark.parametrize(
    ("offset", "converted"), [(0, 1), (CONVERSION_WINDOW_MS, 1), (CONVERSION_WINDOW_MS + 1, 0)]
)
def test_window_bounds_are_inclusive(offset: int, converted: int) -> None:
    t = BuyerDays()
    t.inquiry(inquiry("i1", T0, answered_after=20), deleted=False)
    t.order(order("O1", T0 + offset))
    assert one(t)["converted"] == converted


def test_the_earliest_paid_of_two_orders_is_the_buyer_days_order() -> None:
    t = BuyerDays()
    t.inquiry(inquiry("i1", T0, answered_after=20), deleted=False)
    t.order(order("O2", T0 + 5 * HOUR, "10.00"))
    t.order(order("O1", T0 + 4 * HOUR, "20.00"))
    row = one(t)
    assert (row["order_id"], row["order_amount"]) == ("O1", Decimal("20.00"))


def test_a_late_order_re_emits_the_row_with_a_higher_version() -> None:
    t = BuyerDays()
    t.inquiry(inquiry("i1", T0, answered_after=20), deleted=False)
    assert one(t, 5)["converted"] == 0
    t.advance(T0 + 10 * HOUR)
    t.order(order("O1", T0 + HOUR))  # arrives nine hours behind event time
    row = one(t, 6)
    assert (row["converted"], row["version"]) == (1, 6)


def test_a_later_paid_event_does_not_move_the_paid_time_back() -> None:
    t = BuyerDays()
    t.inquiry(inquiry("i1", T0, answered_after=20), deleted=False)
    t.order(order("O1", T0 + HOUR))
    one(t)
    t.order(order("O1", T0 + HOUR, "59.90"))  # a shipped event: same paid time and amount
    assert rows(t, 2) == []


def test_grouped_status_converts_on_the_group_time() -> None:
    t = BuyerDays("grouped")
    t.inquiry(inquiry("i1", T0, answered_after=20), deleted=False)
    t.order(order("O1", T0 - MINUTE))  # paid before the chat, grouped after
    assert one(t)["converted"] == 0
    t.order(order("O1", T0 - MINUTE, grouped=T0 + MINUTE))
    row = one(t, 2)
    assert row["converted"] == 1 and ms(row, "paid_at") == T0 + MINUTE


def test_one_order_converts_every_buyer_day_in_its_window() -> None:
    t = BuyerDays()
    day2 = date(2026, 11, 24)
    t.inquiry(inquiry("i1", T0, answered_after=20, by="a1"), deleted=False)
    t.inquiry(inquiry("i2", T0 + 24 * HOUR, answered_after=20, by="a2", day=day2), deleted=False)
    t.order(order("O1", T0 + 30 * HOUR))
    out = {r["business_date"]: r for r in rows(t)}
    assert {d: (r["order_id"], r["conversion_agent_id"]) for d, r in out.items()} == {
        D: ("O1", "a2"),
        day2: ("O1", "a2"),
    }


def test_no_answer_before_payment_means_no_agent() -> None:
    t = BuyerDays()
    t.inquiry(inquiry("i1", T0, answered_after=600), deleted=False)
    t.order(order("O1", T0 + 5 * MINUTE))
    row = one(t)
    assert row["converted"] == 1 and row["conversion_agent_id"] == ""


def test_a_buyer_day_whose_only_inquiry_is_re_cut_away_is_deleted() -> None:
    t = BuyerDays()
    gone = inquiry("i1", T0 + 10 * SECOND, answered_after=20)
    t.inquiry(gone, deleted=False)
    first = one(t)
    # A late buyer message from the evening before opens an inquiry of the previous
    # business day, and i1 becomes part of it.
    t.inquiry(gone, deleted=True)
    t.inquiry(
        inquiry("i0", T0 - 12 * HOUR, answered_after=40, day=date(2026, 11, 22)), deleted=False
    )
    out = {(r["business_date"], r["is_deleted"]): r for r in rows(t, 2)}
    assert set(out) == {(D, 1), (date(2026, 11, 22), 0)}
    deletion = out[(D, 1)]
    assert deletion["first_inquiry_at"] == first["first_inquiry_at"] and deletion["version"] == 2


def test_checkpoint_round_trip_continues_identically() -> None:
    def script(t: BuyerDays) -> list[tuple[Any, ...]]:
        t.order(order("O1", T0 + 2 * HOUR))
        out = t.take_rows(3)
        t.advance(T0 + 200 * HOUR)
        t.inquiry(inquiry("i9", T0 + 201 * HOUR, answered_after=5), deleted=False)
        t.order(order("O9", T0 + 202 * HOUR))
        return out + t.take_rows(4)

    original = BuyerDays()
    original.inquiry(inquiry("i1", T0, answered_after=20, by="a7"), deleted=False)
    original.take_rows(1)
    original.advance(T0)
    restored = BuyerDays()
    for shop, buyer, state in original.take_dirty():
        restored.load(shop, buyer, orjson.loads(orjson.dumps(state)))  # as the changelog does
    assert script(restored) == script(original)


def test_memory_is_bounded_and_the_last_answer_is_remembered() -> None:
    t = BuyerDays()
    t.inquiry(inquiry("i1", T0, answered_after=20, by="a1"), deleted=False)
    t.order(order("O1", T0 + HOUR))
    t.take_rows(1)
    t.advance(T0 + CONVERSION_WINDOW_MS + GRACE_MS + 1)
    dirty = {(s, b): state for s, b, state in t.take_dirty()}
    assert dirty[("s1", "b1")] == {"f": [T0 + 20 * SECOND, "a1"]}  # only the last answer is left
    # Days later the buyer asks again, is not answered before paying: the old answer counts.
    later = T0 + 5 * 24 * HOUR
    t.inquiry(inquiry("i2", later, answered_after=900, day=date(2026, 11, 28)), deleted=False)
    t.order(order("O2", later + MINUTE))
    assert one(t, 2)["conversion_agent_id"] == "a1"


def test_an_answer_older_than_the_memory_closes_no_sale_and_is_forgotten() -> None:
    t = BuyerDays()
    t.inquiry(inquiry("i1", T0, answered_after=20, by="a1"), deleted=False)
    t.take_rows(1)
    t.advance(T0 + CONVERSION_WINDOW_MS + GRACE_MS + 1)
    later = T0 + 8 * 24 * HOUR
    t.inquiry(inquiry("i2", later, answered_after=900, day=date(2026, 12, 1)), deleted=False)
    t.order(order("O2", later + MINUTE))
    assert one(t, 2)["conversion_agent_id"] == ""
    t.take_dirty()
    t.advance(later + 7 * 24 * HOUR + CONVERSION_WINDOW_MS + GRACE_MS + HOUR)
    assert [s for s in t.take_dirty() if s[1] == "b1"] == [["s1", "b1", None]]


def test_orders_of_buyers_who_never_chat_are_forgotten_after_the_grace() -> None:
    t = BuyerDays()
    t.order(order("O1", T0))
    assert t.take_rows(1) == []
    t.advance(T0 + GRACE_MS + 1)
    assert t.take_dirty() == [["s1", "b1", None]]


def test_an_answer_days_later_settles_nothing_but_attributes_later_sales() -> None:
    t = BuyerDays()
    never = inquiry("i1", T0, status=MISSED)
    t.inquiry(never, deleted=False)
    one(t)
    t.advance(T0 + CONVERSION_WINDOW_MS + GRACE_MS + 1)
    t.take_dirty()
    # The inquiry stayed open; an agent finally writes five days on and answers it.
    late = T0 + 5 * 24 * HOUR
    t.inquiry(inquiry("i1", T0, answered_after=(late - T0) / SECOND, by="a9"), deleted=False)
    assert t.take_rows(2) == []  # its buyer-day is settled: the row cannot change
    assert t.take_dirty() == [["s1", "b1", {"f": [late, "a9"]}]]
    t.inquiry(inquiry("i2", late + HOUR, answered_after=900, day=date(2026, 11, 28)), deleted=False)
    t.order(order("O1", late + HOUR + MINUTE))
    assert one(t, 3)["conversion_agent_id"] == "a9"


def test_a_re_cut_of_a_settled_buyer_day_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    t = BuyerDays()
    t.advance(T0 + CONVERSION_WINDOW_MS + GRACE_MS + 1)
    t.inquiry(inquiry("i1", T0, answered_after=20), deleted=True)
    assert t.take_rows(1) == [] and t.take_dirty() == []
    assert "settled" in caplog.text


def test_unknown_conversion_status_is_refused() -> None:
    with pytest.raises(ValueError, match="conversion_status"):
        BuyerDays("shipped")
