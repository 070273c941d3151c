"""The streaming engine against the batch reference on generated conversations."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.inquiries.engine import InquiryEngine
from agents.inquiries.hours import HoursFor, ServiceHours
from schemas.inquiry import Inquiry, InquiryChange, Message
from tests.reference.inquiries import effective_open, reference_inquiries

LATENESS_MS = 30_000
ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York"]
HOURS = [(time(8), time(23)), (time(9, 30), time(18)), (time(0, 0, 30), time(23, 59, 59))]


def _ms(year: int, month: int, day: int, hour: int, minute: int) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp() * 1000)


ANCHORS = [
    _ms(2026, 11, 22, 23, 45),  # 07:45 in Shanghai
    _ms(2026, 11, 23, 14, 50),  # 22:50 in Shanghai, 15:50 in Berlin
    _ms(2026, 3, 29, 0, 40),  # Berlin springs forward at 01:00 UTC
    _ms(2026, 10, 25, 0, 40),  # Berlin falls back at 01:00 UTC
    _ms(2026, 3, 8, 6, 40),  # New York springs forward at 07:00 UTC
    _ms(2026, 11, 23, 2, 0),  # 10:00 in Shanghai
]
GAPS = [0, 1, 999, 5_000, 29_999, 30_000, 30_001, 60_000, 179_999, 180_000, 180_001]
GAPS += [299_999, 300_000, 300_001, 600_000, 7 * 3_600_000]
SKEWS = [0, 0, 0, 0, -1, -2_000, 1_500, -40_000]
SENDERS = ["buyer"] * 5 + ["agent"] * 3 + ["bot", "system"]

step = st.tuples(
    st.sampled_from(GAPS),
    st.sampled_from(SENDERS),
    st.integers(0, 3),  # agent
    st.sampled_from(SKEWS),
    st.integers(0, 4),  # assigned agent on a buyer message (0..2 = none)
)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, tuple[str, time, time]], list[Message], int]:
    """Shops with their hours, messages in arrival order, and a seed for the driver."""
    shops = {
        f"s{i}": (draw(st.sampled_from(ZONES)), *draw(st.sampled_from(HOURS)))
        for i in range(draw(st.integers(1, 3)))
    }
    base = draw(st.sampled_from(ANCHORS))
    messages: list[Message] = []
    for shop in shops:
        for buyer in range(draw(st.integers(1, 3))):
            t = base + draw(st.integers(0, 900_000))
            for gap, sender, agent, skew, assigned in draw(st.lists(step, min_size=1, max_size=14)):
                t += gap
                at, agent_id = t, ""
                if sender == "agent":
                    at, agent_id = t + skew, f"a{agent}"
                elif sender == "buyer" and assigned > 2:
                    agent_id = f"a{assigned}"
                eid = f"e{len(messages):03d}"
                messages.append(Message(eid, shop, f"b{buyer}", sender, agent_id, at))
    for i in draw(st.lists(st.integers(0, len(messages) - 1), max_size=4)):
        messages.append(messages[i])
    seed = draw(st.integers(0, 2**32))
    rng = random.Random(seed)
    # Arrival order: sorted by at_ms + jitter, jitter within the lateness, so no message
    # arrives more than LATENESS_MS behind the newest one before it.
    keyed = [(m.at_ms + rng.randint(0, LATENESS_MS), rng.random(), m) for m in messages]
    keyed.sort(key=lambda x: (x[0], x[1]))
    return shops, [m for _, _, m in keyed], seed


def apply(table: dict[tuple[str, str, str], Inquiry], changes: list[InquiryChange]) -> None:
    keys = [(c.inquiry.shop_id, c.inquiry.buyer_id, c.inquiry.inquiry_id) for c in changes]
    assert len(keys) == len(set(keys)), "changes are coalesced per row"
    for key, change in zip(keys, changes, strict=True):
        if change.deleted:
            assert table.pop(key) == change.inquiry, "a deletion carries the last emitted row"
        else:
            assert table.get(key) != change.inquiry, "unchanged rows are not emitted"
            table[key] = change.inquiry


def _reload(
    engine: InquiryEngine, changelog: dict[str, object], hours: HoursFor, meta_first: bool
) -> InquiryEngine:
    """A new engine from the changelog and the meta, through JSON, in either order."""
    meta = orjson.loads(orjson.dumps(engine.export_meta()))
    states = orjson.loads(orjson.dumps(list(changelog.values())))
    fresh = InquiryEngine(hours, LATENESS_MS)
    if meta_first:
        fresh.load_meta(meta)
    for shop, buyer, state in states:
        fresh.load((shop, buyer), state)
    if not meta_first:
        fresh.load_meta(meta)
    return fresh


Outputs = list[dict[tuple[str, str, str], InquiryChange]]


def drive(
    shops: dict[str, tuple[str, time, time]],
    arrival: list[Message],
    seed: int,
    reload: bool,
    until: int,
) -> tuple[list[Inquiry], InquiryEngine, Outputs]:
    """Feed the arrival order, taking changes now and then; with reload, restart once.

    The random choices do not depend on `reload`, so a run with and one without the
    restart take their changes at the same points and must give the same outputs.
    """
    hours = {
        shop: ServiceHours(ZoneInfo(tz), start, end) for shop, (tz, start, end) in shops.items()
    }
    engine = InquiryEngine(hours.__getitem__, LATENESS_MS)
    rng = random.Random(seed)
    cut = rng.randint(0, len(arrival))
    table: dict[tuple[str, str, str], Inquiry] = {}
    changelog: dict[str, object] = {}
    outputs: Outputs = []

    def take_dirty() -> None:
        for (shop, buyer), state in engine.take_dirty().items():
            changelog[f"{shop}/{buyer}"] = [shop, buyer, state]

    def checkpoint() -> None:
        changes = engine.take_changes()
        apply(table, changes)
        outputs.append(
            {(c.inquiry.shop_id, c.inquiry.buyer_id, c.inquiry.inquiry_id): c for c in changes}
        )
        take_dirty()

    for i, msg in enumerate(arrival):
        if i == cut:
            if rng.random() < 0.7:
                checkpoint()
            else:  # states taken without taking the changes: the meta carries them
                take_dirty()
            if reload:
                engine = _reload(engine, changelog, hours.__getitem__, bool(seed % 2))
        engine.add(msg)
        if rng.random() < 0.3:
            checkpoint()
    engine.flush(until)
    checkpoint()
    rows = sorted(
        table.values(), key=lambda i: (i.shop_id, i.buyer_id, i.opened_at_ms, i.inquiry_id)
    )
    return rows, engine, outputs


def event_time(
    zones: dict[str, tuple[ZoneInfo, time, time]], arrival: list[Message], seed: int
) -> int:
    """The last message's time, or now and then a buyer message's deadline exactly."""
    last = max(m.at_ms for m in arrival)
    rng = random.Random(seed + 1)
    if rng.random() < 0.5:
        deadlines = [
            effective_open(m.at_ms, *zones[m.shop_id]) + 300_000
            for m in arrival
            if m.sender == "buyer"
        ]
        deadlines = [d for d in deadlines if d >= last]
        if deadlines:
            return rng.choice(deadlines) + rng.choice([0, 0, 1])
    return last


def check(
    shops: dict[str, tuple[str, time, time]], arrival: list[Message], seed: int, reload: bool
) -> None:
    zones = {shop: (ZoneInfo(tz), start, end) for shop, (tz, start, end) in shops.items()}
    until = event_time(zones, arrival, seed)
    rows, engine, outputs = drive(shops, arrival, seed, reload, until)
    expected = reference_inquiries(arrival, zones.__getitem__, until)
    assert rows == expected
    if reload:  # a restart changes nothing, not even when a change comes out
        assert outputs == drive(shops, arrival, seed, False, until)[2]
    assert engine.stats.late == 0
    assert engine.stats.duplicates == len(arrival) - len({m.event_id for m in arrival})
    assert engine.stats.open_inquiries == sum(i.answered_at_ms is None for i in expected)


FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(scenarios())
def test_stream_equals_reference(
    scenario: tuple[dict[str, tuple[str, time, time]], list[Message], int],
) -> None:
    check(*scenario, reload=False)


@FAST
@given(scenarios())
def test_stream_equals_reference_across_a_restart(
    scenario: tuple[dict[str, tuple[str, time, time]], list[Message], int],
) -> None:
    check(*scenario, reload=True)
