"""Open inquiries an earlier generation left behind: rewritten, or settled as missed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from agents.inquiries.hours import hours_from_settings
from agents.partition import changelog
from agents.partition.state import PartitionState
from core.settings import KefuSettings
from schemas.inquiry import ANSWERED, MISSED, OPEN, Inquiry
from schemas.packed import PackedBatch
from sinks.generations import generation_of
from sinks.tables import INQUIRIES
from tests.unit.chat_events import chat

SETTINGS = KefuSettings(shop_defaults={"service_start": "00:00", "service_end": "23:59:59"})
T0 = int(datetime(2026, 11, 23, 2, 0, tzinfo=UTC).timestamp() * 1000)
MINUTE = 60_000


def left_open(buyer: str, opened_ms: int) -> Inquiry:
    return Inquiry(
        "s1", buyer, f"{buyer}-m1", "a1", opened_ms, opened_ms, None, None, None,
        0, 0, 0, date(2026, 11, 23), OPEN, 1, None,
    )  # fmt: skip


def new_generation(*orphans: Inquiry) -> PartitionState:
    state = PartitionState(0, hours_from_settings(SETTINGS), 30_000)
    state.generation = 7
    state.orphans.adopt(list(orphans))
    return state


def inquiries(rows: list[tuple[str, tuple[Any, ...]]]) -> dict[str, dict[str, Any]]:
    """The newest row per inquiry, as `inquiries FINAL` keeps it."""
    out: dict[str, dict[str, Any]] = {}
    for table, row in rows:
        if table == "inquiries":
            d = dict(zip(INQUIRIES, row, strict=True))
            out[d["inquiry_id"]] = d
    return out


def test_an_orphan_never_heard_of_again_is_missed_at_its_deadline() -> None:
    state = new_generation(left_open("b1", T0))
    rows: list[tuple[str, tuple[Any, ...]]] = []
    emit = lambda table, row: rows.append((table, row))  # noqa: E731
    state.apply(PackedBatch(events=[chat("x1", "b2", "buyer", T0 + 2 * MINUTE)]), 0, emit, T0)
    assert "b1-m1" not in inquiries(rows), "before the deadline nothing is known yet"
    state.apply(PackedBatch(flush_ms=T0 + 6 * MINUTE), 1, emit, T0)
    settled = inquiries(rows)["b1-m1"]
    assert settled["status"] == MISSED and settled["answered_at"] is None
    assert generation_of(settled["version"]) == 7
    assert len(state.orphans) == 0


def test_an_orphan_the_new_generation_writes_again_is_replaced_not_settled() -> None:
    state = new_generation(left_open("b1", T0))
    rows: list[tuple[str, tuple[Any, ...]]] = []
    emit = lambda table, row: rows.append((table, row))  # noqa: E731
    replayed = [chat("b1-m1", "b1", "buyer", T0), chat("b1-m2", "b1", "agent", T0 + 40_000)]
    state.apply(PackedBatch(events=replayed), 0, emit, T0)
    state.apply(PackedBatch(flush_ms=T0 + 10 * MINUTE), 1, emit, T0)
    assert inquiries(rows)["b1-m1"]["status"] == ANSWERED
    assert [r for t, r in rows if t == "inquiries" and r[INQUIRIES.index("status")] == MISSED] == []


def test_orphans_survive_a_restart_of_the_new_generation() -> None:
    state = new_generation(left_open("b1", T0), left_open("b3", T0 + MINUTE))
    state.apply(PackedBatch(events=[chat("x1", "b2", "buyer", T0)]), 0, lambda t, r: None, T0)
    restored = PartitionState(0, hours_from_settings(SETTINGS), 30_000)
    for part in changelog.split(state.take_checkpoint(), items_per_part=1):
        restored.load_checkpoint(changelog.decode(part))
    assert restored.generation == 7
    assert restored.orphans.dump() == state.orphans.dump()
    assert len(restored.orphans) == 2


def test_an_orphan_that_joins_an_earlier_message_is_deleted_not_settled() -> None:
    """The killed run saw b1-m2 first and opened an inquiry with it; in truth it joins b1-m1."""
    state = new_generation(replace(left_open("b1", T0 + 20_000), inquiry_id="b1-m2"))
    rows: list[tuple[str, tuple[Any, ...]]] = []
    emit = lambda table, row: rows.append((table, row))  # noqa: E731
    replayed = [
        chat("b1-m1", "b1", "buyer", T0),
        chat("b1-m2", "b1", "buyer", T0 + 20_000),
        chat("b1-m3", "b1", "agent", T0 + 40_000),
    ]
    state.apply(PackedBatch(events=replayed), 0, emit, T0)
    state.apply(PackedBatch(flush_ms=T0 + 10 * MINUTE), 1, emit, T0)
    got = inquiries(rows)
    assert got["b1-m1"]["status"] == ANSWERED
    assert got["b1-m2"]["is_deleted"] == 1
    assert len(state.orphans) == 0


def test_an_orphan_is_dumped_field_for_field_and_loads_back_equal() -> None:
    answered = replace(left_open("b4", T0), answered_at_ms=T0 + 9_000, response_seconds=9.0)
    orphans = new_generation(left_open("b1", T0), answered).orphans
    orphans.heard("s1", "b4", "b4-m1")
    dumped = orphans.dump()
    assert dumped[1] == [
        "s1", "b4", "b4-m1", "a1", T0, T0, T0 + 9_000, None, 9.0,
        0, 0, 0, "2026-11-23", OPEN, 1, None, True,
    ]  # fmt: skip
    restored = new_generation().orphans
    restored.load(dumped)
    assert restored.settle(T0 + 60 * MINUTE) == orphans.settle(T0 + 60 * MINUTE) != []
