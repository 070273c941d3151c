"""Generated traffic can follow a week and promotion days; by default every day is alike."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from pipeline.generator import GenConfig, generate
from pipeline.generator.clock import local_date, parse_occurred_at
from pipeline.generator.traffic import day_factor

OFFSET = 8 * 3600 * 1000
SATURDAY_NOON = int(datetime(2026, 11, 28, 4, tzinfo=UTC).timestamp() * 1000)


def test_day_factor_follows_weekdays_and_promotions() -> None:
    assert day_factor(SATURDAY_NOON, OFFSET, False, frozenset(), 2.5) == 1.0
    saturday = day_factor(SATURDAY_NOON, OFFSET, True, frozenset(), 2.5)
    assert saturday > 1.0
    promoted = day_factor(SATURDAY_NOON, OFFSET, True, frozenset({date(2026, 11, 28)}), 2.5)
    assert promoted == saturday * 2.5


def buyers_per_day(config: GenConfig) -> Counter[date]:
    days: Counter[date] = Counter()
    for item in generate(config):
        if (
            isinstance(item, dict)
            and item.get("type") == "chat.message"
            and item["sender"] == "buyer"
        ):
            days[local_date(parse_occurred_at(item["occurred_at"])[0], OFFSET)] += 1
    return days


def test_a_promotion_day_brings_its_multiple_and_other_days_stay_as_they_were() -> None:
    start = datetime(2026, 11, 22, 16, tzinfo=UTC)  # Monday 23 November, 00:00 in Shanghai
    plain = GenConfig(seed=3, start=start, days=2, shops=1, buyers_per_shop_day=300)
    promo = GenConfig(
        seed=3, start=start, days=2, shops=1, buyers_per_shop_day=300,
        promotion_days=(date(2026, 11, 24),), promotion_multiplier=3.0,
    )  # fmt: skip
    before, after = buyers_per_day(plain), buyers_per_day(promo)
    assert 2.4 < after[date(2026, 11, 24)] / before[date(2026, 11, 24)] < 3.6
    assert (
        abs(after[date(2026, 11, 23)] - before[date(2026, 11, 23)])
        < 0.2 * before[date(2026, 11, 23)]
    )
