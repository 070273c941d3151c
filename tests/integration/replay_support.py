"""Shared pieces of the replay tests: settings per test, generated files, the expected rows."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import astuple
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import BadMessage
from core.settings import KefuSettings
from pipeline.generator import GenConfig, generate, qc_day, write_jsonl
from schemas.events import BaseEvent, ChatMessage
from schemas.inquiry import Inquiry, Message
from schemas.validate import parse_event
from sinks.chdb_store import ChdbStore
from tests.integration.conftest import Broker
from tests.reference.aftersales import buyer_days, fold_orders
from tests.reference.inquiries import Hours, reference_inquiries

TOLERANCE = 1e-9
QC_SHOPS = "qc-shops.yaml"
SCRIPTS = "scripts.yaml"

# A weekday morning peak: enough traffic to matter, small enough to replay in seconds.
MORNING = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def settings_for(broker: Broker, tmp_path: Path, name: str, **more: Any) -> KefuSettings:
    return KefuSettings(
        kafka_bootstrap=broker.bootstrap,
        store_path=tmp_path / "store",
        home=tmp_path / "home",
        app_id=name,
        topic_prefix=name,
        **more,
    )


def generated_file(tmp_path: Path, **config: Any) -> Path:
    """A generated file; with `qc_conversations`, its shops' QC settings in QC_SHOPS beside it."""
    path = tmp_path / "events.jsonl"
    made = GenConfig(**{"start": MORNING, "days": 0.25, **config})
    write_jsonl(generate(made), path)
    if made.qc_conversations:
        (tmp_path / QC_SHOPS).write_text(qc_day.shops_yaml(made), encoding="utf-8")
        (tmp_path / SCRIPTS).write_text(qc_day.scripts_yaml(made), encoding="utf-8")
    return path


def qc_shops_file(tmp_path: Path) -> Path | None:
    path = tmp_path / QC_SHOPS
    return path if path.is_file() else None


def stored_finding_keys(store: ChdbStore) -> list[tuple[str, str, str, str]]:
    sql = "SELECT event_id, rule_id, category, matched FROM qc_findings FINAL"
    return sorted(tuple(r) for r in store.query(sql).rows)


def valid_events(path: Path) -> tuple[list[BaseEvent], int]:
    """Every line that validates, and the count of lines that do not."""
    good: list[BaseEvent] = []
    bad = 0
    for line in path.read_bytes().splitlines():
        try:
            good.append(parse_event(line))
        except BadMessage:
            bad += 1
    return good, bad


def chat_messages(events: Iterable[BaseEvent]) -> list[Message]:
    return [
        Message(e.event_id, e.shop_id, e.buyer_id, e.sender, e.agent_id or "", e.occurred_at)
        for e in events
        if isinstance(e, ChatMessage)
    ]


def expected_inquiries(events: list[BaseEvent], settings: KefuSettings) -> list[Inquiry]:
    def hours(shop_id: str) -> Any:
        shop = settings.shop(shop_id)
        return (shop.zone, shop.service_start, shop.service_end)

    hours_for: Hours = hours
    event_time = max(e.occurred_at for e in events)
    return reference_inquiries(chat_messages(events), hours_for, event_time)


def expected_buyer_days(events: list[BaseEvent], settings: KefuSettings) -> list[tuple[Any, ...]]:
    """The reference buyer-days as rows of BUYER_DAY_SQL."""
    inquiries = expected_inquiries(events, settings)
    days = buyer_days(inquiries, fold_orders(events), settings.conversion_status)
    return sorted(astuple(d) for d in days)


BUYER_DAY_SQL = """
SELECT shop_id, buyer_id, business_date, toUnixTimestamp64Milli(first_inquiry_at), inquiries,
       missed_30s, missed_3m, missed_5m, converted, order_id,
       toUnixTimestamp64Milli(paid_at), order_amount, conversion_agent_id
FROM buyer_days FINAL
ORDER BY shop_id, buyer_id, business_date
"""

INQUIRY_SQL = """
SELECT shop_id, buyer_id, inquiry_id, agent_id,
       toUnixTimestamp64Milli(opened_at), toUnixTimestamp64Milli(effective_opened_at),
       toUnixTimestamp64Milli(answered_at), answered_by, response_seconds,
       within_30s, within_3m, within_5m, business_date, status, in_8_23, raw_response_seconds
FROM inquiries FINAL
ORDER BY shop_id, buyer_id, opened_at, inquiry_id
"""


def stored_inquiries(store: ChdbStore) -> list[Inquiry]:
    return [Inquiry(*row) for row in store.query(INQUIRY_SQL).rows]


def as_rows(inquiries: Iterable[Inquiry]) -> list[tuple[Any, ...]]:
    """Comparable form: sorted like the query, floats rounded to the millisecond."""

    def norm(i: Inquiry) -> tuple[Any, ...]:
        return tuple(round(v, 3) if isinstance(v, float) else v for v in astuple(i))

    return sorted((norm(i) for i in inquiries), key=lambda r: (r[0], r[1], r[4], r[2]))


def close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return (
            a is not None
            and b is not None
            and math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
        )
    return bool(a == b)


def assert_rows_equal(
    stored: dict[Any, dict[str, Any]], expected: dict[Any, dict[str, Any]]
) -> None:
    only_stored, only_expected = set(stored) - set(expected), set(expected) - set(stored)
    assert not (only_stored or only_expected), (
        f"{len(stored)} rows stored, {len(expected)} expected; "
        f"{len(only_stored)} only stored, e.g. {sorted(only_stored)[:3]}; "
        f"{len(only_expected)} only expected, e.g. {sorted(only_expected)[:3]}"
    )
    wrong = [
        (key, column, stored[key][column], value)
        for key, row in expected.items()
        for column, value in row.items()
        if not close(stored[key][column], value)
    ]
    assert not wrong, f"{len(wrong)} differences, first: {wrong[:5]}"


ROLLED_UP = {
    "shop_daily": ("shop_id", "business_date"),
    "agent_daily": ("shop_id", "agent_id", "business_date"),
    "shop_minutely": ("shop_id", "minute"),
    "agent_minutely": ("shop_id", "agent_id", "minute"),
    "shop_hourly": ("shop_id", "hour"),
    "agent_hourly": ("shop_id", "agent_id", "hour"),
    "agent_kpi_daily": ("shop_id", "agent_id", "business_date"),
    "paid_orders_daily": ("shop_id", "day"),
    "refund_daily": ("shop_id", "agent_id", "day"),
}


def assert_rollups_equal_final(store: ChdbStore) -> None:
    """Each rollup-backed view equals its FINAL computation row for row (floats to the last
    bits that the order of summing, which merges change, may move)."""
    for view, key in ROLLED_UP.items():
        stored = store.query(f"SELECT * FROM {view}")
        final = store.query(f"SELECT * FROM {view}_final")
        assert stored.columns == final.columns, view
        try:
            assert_rows_equal(
                {tuple(r[k] for k in key): r for r in stored.dicts()},
                {tuple(r[k] for k in key): r for r in final.dicts()},
            )
        except AssertionError as exc:
            raise AssertionError(f"{view}: {exc}") from None
