"""shop_intervals (sql/0020) on a hand-made conversation, every number computed by hand:
a handle time past the cap, handling that crosses a half-hour boundary, a second agent, an
open inquiry, and a shop in another zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from core.settings import KefuSettings
from sinks.chdb_store import ChdbStore
from sinks.kpi_views import apply_kpi_views
from sinks.migrate import migrate

DB = "intervals"

INQUIRIES = """INSERT INTO {db}.inquiries (shop_id, buyer_id, inquiry_id, agent_id, opened_at,
    effective_opened_at, answered_at, answered_by, response_seconds, within_30s, within_3m,
    within_5m, business_date, status, in_8_23, raw_response_seconds, version) VALUES
    ('s1', 'b1', 'm1', 'a1', '2026-11-23 02:20:00', '2026-11-23 02:20:00', '2026-11-23 02:21:00',
     'a1', 60, 0, 1, 1, '2026-11-23', 'answered', 1, 60, 1),
    ('s1', 'b1', 'm4', 'a1', '2026-11-23 02:40:00', '2026-11-23 02:40:00', NULL, NULL, NULL,
     0, 0, 0, '2026-11-23', 'open', 1, NULL, 1),
    ('s1', 'b2', 'n1', 'a2', '2026-11-23 02:50:00', '2026-11-23 02:50:00', '2026-11-23 02:54:00',
     'a2', 240, 0, 0, 1, '2026-11-23', 'answered', 1, 240, 1)"""
MESSAGES = """INSERT INTO {db}.chat_messages (event_id, shop_id, buyer_id, sender, agent_id,
    occurred_at, msg_type) VALUES
    ('m1', 's1', 'b1', 'buyer', '', '2026-11-23 02:20:00', 'text'),
    ('m2', 's1', 'b1', 'agent', 'a1', '2026-11-23 02:21:00', 'text'),
    ('m3', 's1', 'b1', 'agent', 'a1', '2026-11-23 02:35:00', 'text'),
    ('m4', 's1', 'b1', 'buyer', '', '2026-11-23 02:40:00', 'text'),
    ('m5', 's1', 'b1', 'bot', '', '2026-11-23 02:40:01', 'text'),
    ('n1', 's1', 'b2', 'buyer', '', '2026-11-23 02:50:00', 'text'),
    ('n2', 's1', 'b2', 'agent', 'a2', '2026-11-23 02:54:00', 'text'),
    ('n3', 's1', 'b2', 'agent', 'a2', '2026-11-23 03:34:00', 'text')"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChdbStore]:
    with ChdbStore(tmp_path_factory.mktemp("store"), DB) as store:
        migrate(store, DB, 180)
        store.command(INQUIRIES.format(db=DB))
        store.command(MESSAGES.format(db=DB))
        yield store


def rows(store: ChdbStore) -> dict[datetime, dict[str, Any]]:
    result = store.query(f"SELECT * FROM {DB}.shop_intervals ORDER BY interval_start")
    return {r["interval_start"]: r for r in result.dicts()}


def wall(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=UTC)


def test_intervals_by_hand(store: ChdbStore) -> None:
    got = rows(store)
    assert list(got) == [wall(10, 0), wall(10, 30), wall(11, 0), wall(11, 30)]
    first, second, third, fourth = got.values()
    # m1: clock 10:20, handled 10:21-10:35 (840 s): 540 s before 10:30, 300 s after.
    assert first == {
        "shop_id": "s1", "interval_start": wall(10, 0), "business_date": date(2026, 11, 23),
        "inquiries": 1, "answered": 1, "rate_3m": 1.0, "rate_5m": 1.0, "handle_seconds": 840.0,
        "active_agents": 1, "concurrency": 540 / 1800, "is_final": 1,
    }  # fmt: skip
    # m4 open; n1 answered at 10:54 after 240 s, handled to 11:34 but capped at 1200 s
    # (to 11:14): 360 s here, 840 s in the next half hour. a1 and a2 wrote here.
    assert second["inquiries"] == 2
    assert second["answered"] == 1
    assert second["rate_3m"] == 0.0
    assert second["rate_5m"] == 0.5
    assert second["handle_seconds"] == 1200.0
    assert second["active_agents"] == 2
    assert second["concurrency"] == pytest.approx((300 + 360) / 1800 / 2)
    assert second["is_final"] == 0
    # 11:00: handling without a message, so no active agent; 11:30: a message, no handling.
    assert (third["inquiries"], third["active_agents"], third["concurrency"]) == (0, 0, None)
    assert (fourth["active_agents"], fourth["concurrency"], fourth["rate_3m"]) == (1, 0.0, None)


def test_wall_clock_follows_the_shop_zone(store: ChdbStore, tmp_path: Path) -> None:
    settings = KefuSettings(
        clickhouse_database=DB, home=tmp_path, shops={"s1": {"timezone": "Europe/Berlin"}}
    )
    apply_kpi_views(store, settings)
    try:
        assert list(rows(store))[0] == wall(3, 0)  # 02:20 UTC is 03:20 in Berlin in November
    finally:
        apply_kpi_views(store, KefuSettings(clickhouse_database=DB, home=tmp_path))
