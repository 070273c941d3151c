"""What a source that re-sends hours later, or a second run after a stop, must not change.

Duplicates of any age change nothing: chat messages re-sent after the rest of the day (far
beyond the seen window), alone and in a burst, leave exactly the reference. And inquiries a
first run left open are settled by the next run on fresh topics, not left waiting forever.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest

from pipeline.replay import replay
from sinks.chdb_store import ChdbStore
from tests.integration.conftest import Broker
from tests.integration.replay_support import (
    MORNING,
    as_rows,
    expected_inquiries,
    generated_file,
    settings_for,
    stored_inquiries,
    valid_events,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _chat(event_id: str, buyer: str, sender: str, at: datetime) -> bytes:
    return orjson.dumps(
        {"event_id": event_id, "type": "chat.message", "shop_id": "s1", "buyer_id": buyer,
         "occurred_at": int(at.timestamp() * 1000), "sender": sender,
         "agent_id": "s1-a1" if sender == "agent" else None, "text": "在吗"}
    )  # fmt: skip


def _day_with_late_resends(path: Path) -> int:
    """Buyers answered in 10 s at 09:00-09:20, three hours of other traffic, then the morning's
    openings re-sent."""
    lines: list[bytes] = []
    for n in range(20):
        at = MORNING + timedelta(minutes=n)
        lines += [_chat(f"q{n}", f"early{n}", "buyer", at),
                  _chat(f"r{n}", f"early{n}", "agent", at + timedelta(seconds=10))]  # fmt: skip
    for n in range(360):
        at = MORNING + timedelta(minutes=30, seconds=30 * n)
        lines += [_chat(f"l{n}", f"later{n}", "buyer", at),
                  _chat(f"a{n}", f"later{n}", "agent", at + timedelta(seconds=20))]  # fmt: skip
    # Openings alone: applied again as new, each would re-open its answered inquiry.
    resent = lines[0:40:2]
    path.write_bytes(b"\n".join([*lines, *resent]) + b"\n")
    return len(resent)


async def test_duplicates_of_any_age_change_nothing(
    kafka_broker: Broker, tmp_path: Path, unique_name: str
) -> None:
    path = tmp_path / "day.jsonl"
    resent = _day_with_late_resends(path)
    # Small polls: the re-sends reach the stateful stage long after the originals.
    settings = settings_for(kafka_broker, tmp_path, unique_name, ingest_max_records=50)
    good, _ = valid_events(path)
    unique = list({e.event_id: e for e in good}.values())

    counts = await replay(settings, [path])

    assert counts.duplicates == len(good) - len(unique) == resent
    store = ChdbStore(settings.store_dir)
    try:
        assert as_rows(stored_inquiries(store)) == as_rows(expected_inquiries(unique, settings))
    finally:
        store.close()


async def test_a_second_run_settles_what_the_first_left_open(
    kafka_broker: Broker, tmp_path: Path, unique_name: str
) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "later").mkdir()
    first = generated_file(tmp_path / "first", seed=52, days=0.1)
    later = generated_file(
        tmp_path / "later", seed=53, days=0.1, start=MORNING + timedelta(hours=3)
    )
    one = settings_for(kafka_broker, tmp_path, f"{unique_name}-1")
    store_path = one.store_dir
    await replay(one, [first])
    store = ChdbStore(store_path)
    try:
        left_open = store.query("SELECT inquiry_id FROM inquiries FINAL WHERE status = 'open'").rows
    finally:
        store.close()
    assert left_open, "the first run must end with buyers waiting"

    two = settings_for(kafka_broker, tmp_path, f"{unique_name}-2")
    await replay(two, [later])
    store = ChdbStore(store_path)
    try:
        settled = dict(
            store.query(
                "SELECT inquiry_id, status FROM inquiries FINAL WHERE inquiry_id IN {ids:Array(String)}",
                {"ids": [row[0] for row in left_open]},
            ).rows
        )
    finally:
        store.close()
    assert set(settled.values()) == {"missed"}, settled
