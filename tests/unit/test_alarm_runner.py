"""The alarm runner without a broker: alerts per batch, snapshots and acks per interval, held
input snapshotted before a rebalance, and a crash between snapshots replays the same alerts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from faust.types import TP

from agents.alarms import agent as alarm_agent
from agents.alarms import snapshot
from agents.alarms.agent import AlarmRunner
from agents.alarms.model import Alert
from agents.cadence import IDLE_SECONDS
from core.settings import KefuSettings
from core.topics import topics_for
from schemas.inquiry_changes import encode_for_shops, shop_partition
from tests.unit.test_alarm_partition import MIN, T0, day

PARTITIONS = 2
TOPICS = topics_for(KefuSettings(partitions=PARTITIONS))
SHOP = shop_partition("s1", PARTITIONS)  # every row of day() is shop s1's
OTHER = 1 - SHOP  # it gets only horizons


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Broker:
    """What the runner produced: (topic, partition, value, headers) in order."""

    records: list[tuple[str, int | None, bytes, Any]] = field(default_factory=list)
    fail_alerts: bool = False

    def snapshots(self, topic: str) -> list[tuple[int, dict[str, Any]]]:
        """(partition, state) of every complete snapshot (full or delta), oldest first."""
        return [(p, s.state) for p, s in self.complete(topic)]

    def complete(self, topic: str) -> list[tuple[int, snapshot.Snapshot]]:
        parts: dict[bytes, list[tuple[bytes, Any]]] = {}
        done = []
        for record_topic, partition, value, headers in self.records:
            if record_topic != topic:
                continue
            meta = dict(headers)
            parts.setdefault(meta["kefu.snapshot"], []).append((value, headers))
            index, count = meta["kefu.part"].decode().split("/")
            if int(index) == int(count) - 1:
                assert partition is not None
                done.append((partition, snapshot.assemble(parts[meta["kefu.snapshot"]])))
        return done


class Producer:
    def __init__(self, broker: Broker, alerts_topic: str) -> None:
        self.broker = broker
        self.alerts_topic = alerts_topic

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(
        self,
        topic: str,
        value: bytes,
        key: bytes | None = None,
        partition: int | None = None,
        headers: Any = None,
    ) -> asyncio.Future[None]:
        if self.broker.fail_alerts and topic == self.alerts_topic:
            msg = "broker gone"
            raise ConnectionError(msg)
        self.broker.records.append((topic, partition, value, headers))
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sent.set_result(None)
        return sent


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int

    @property
    def tp(self) -> TP:
        return TP(self.topic, self.partition)


@dataclass(frozen=True)
class Event:
    message: Message
    value: bytes


@dataclass
class Stream:
    acked: list[tuple[int, int]] = field(default_factory=list)

    async def ack(self, event: Event) -> bool:
        self.acked.append((event.message.partition, event.message.offset))
        return True


def settings(interval: float) -> KefuSettings:
    return KefuSettings(partitions=PARTITIONS, alarm_snapshot_seconds=interval)


def batches(topic: str) -> Iterator[list[Event]]:
    """day(20, 40) as the stateful stage sends it: per 30 s of event time and source, one
    message to each shop partition; a batch is one step's messages."""
    rows = day(20, 40)
    offsets = [0] * PARTITIONS
    horizon = T0
    while horizon <= T0 + 90 * MIN:
        batch = []
        for source in range(PARTITIONS):
            changes = [
                r for r in rows
                if horizon - 30_000 <= r.effective_opened_at_ms < horizon
                and hash(r.buyer_id) % PARTITIONS == source
            ]  # fmt: skip
            for target, value in encode_for_shops(source, horizon, changes, PARTITIONS).items():
                batch.append(Event(Message(topic, target, offsets[target]), value))
                offsets[target] += 1
        yield batch
        horizon += 30_000


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Broker:
    """Producers and snapshot reads of every runner in a test go to one in-memory broker."""
    made = Broker()

    def producer(**_: Any) -> Producer:
        return Producer(made, TOPICS.alerts)

    async def read_chain(
        _bootstrap: str, topic: str, partition: int
    ) -> list[dict[str, Any]] | None:
        saved = [s for p, s in made.complete(topic) if p == partition]
        chain = snapshot.chain_of(saved[::-1])
        return None if chain is None else [s.state for s in chain]

    monkeypatch.setattr(alarm_agent, "AIOKafkaProducer", producer)
    monkeypatch.setattr(snapshot, "read_chain", read_chain)
    return made


def runner(interval: float, clock: Clock | None = None) -> AlarmRunner:
    """A runner that owns every partition, as after its group's first assignment."""
    run = AlarmRunner(settings(interval), "unused:9092", clock=clock or Clock())
    run.assigned({TP(run.topics.inquiry_changes, p) for p in range(PARTITIONS)})
    return run


def same(alert: Alert) -> Alert:
    """An alert apart from the wall-clock moment it was raised."""
    return replace(alert, raised_at_ms=0)


async def test_alerts_go_out_per_batch_and_snapshots_per_interval(broker: Broker) -> None:
    clock = Clock()
    run, stream = runner(2.0, clock), Stream()
    state_topic = run.topics.alarm_state
    snapshot_after: list[int] = []
    raised = 0
    for number, batch in enumerate(batches(run.topics.inquiry_changes), start=1):
        clock.now += 0.5
        before = len(broker.snapshots(state_topic))
        alerts = await run.handle(stream, batch)
        # Every alert a batch raised is on the broker when handle returns.
        published = [r for r in broker.records if r[0] == run.topics.alerts]
        raised += len(alerts)
        assert len(published) == raised
        written = broker.snapshots(state_topic)[before:]
        if written:
            snapshot_after.append(number)
            assert sorted(p for p, _ in written) == [0, 1]
            # Acked: everything so far, and only once it is covered by these snapshots.
            assert len(stream.acked) == number * 4
            assert max(o for p, o in stream.acked if p == SHOP) == written[SHOP][1]["offset"]
        else:
            assert len(stream.acked) == (snapshot_after[-1] if snapshot_after else 0) * 4
    assert raised > 0
    # 181 batches at 0.5 s: a snapshot every fourth batch (2 s), not after each one.
    assert snapshot_after == list(range(4, 182, 4))


async def test_the_timer_and_shutdown_ack_idle_input(broker: Broker) -> None:
    clock = Clock()
    run, stream = runner(2.0, clock), Stream()
    feed = batches(run.topics.inquiry_changes)
    await run.handle(stream, next(feed))
    # The first tick after the input: the pause counts from here, since a tick that comes
    # late (the event loop held up) may find input still waiting in faust's buffer.
    clock.now = 1.0
    await run.snapshot_if_due()
    clock.now = 1.0 + IDLE_SECONDS - 0.01
    await run.snapshot_if_due()
    assert stream.acked == [] and broker.snapshots(run.topics.alarm_state) == []
    clock.now = 1.0 + IDLE_SECONDS + 0.01  # input paused: no need to wait out the 2 s interval
    await run.snapshot_if_due()
    assert len(stream.acked) == 4 and len(broker.snapshots(run.topics.alarm_state)) == 2

    await run.handle(stream, next(feed))
    await run.flush_at_shutdown()  # not due, written anyway
    assert len(stream.acked) == 8 and len(broker.snapshots(run.topics.alarm_state)) == 4
    await run.flush_at_shutdown()  # nothing changed since: nothing to write
    assert len(broker.snapshots(run.topics.alarm_state)) == 4


async def test_revoked_partitions_are_snapshotted_acked_and_forgotten(broker: Broker) -> None:
    run, stream = runner(2.0), Stream()
    feed = batches(run.topics.inquiry_changes)
    for _ in range(3):
        await run.handle(stream, next(feed))
    topic = run.topics.inquiry_changes
    await run.revoke({TP(topic, SHOP), TP("elsewhere", OTHER)})
    assert [p for p, _ in broker.snapshots(run.topics.alarm_state)] == [SHOP]
    assert sorted(stream.acked) == [(SHOP, o) for o in range(6)]
    assert set(run.states) == {OTHER} and set(run.held_offsets()) == {OTHER}


async def test_input_of_a_revoked_partition_or_after_shutdown_is_left_alone(
    broker: Broker,
) -> None:
    """Held in hand at a revocation, it would restore the partition beside its next owner."""
    run, stream = runner(2.0), Stream()
    feed = batches(run.topics.inquiry_changes)
    await run.handle(stream, next(feed))
    await run.revoke({TP(run.topics.inquiry_changes, SHOP)})
    await run.flush()
    acked, written = list(stream.acked), len(broker.records)
    await run.handle(stream, [e for e in next(feed) if e.message.partition == SHOP])
    await run.flush()
    assert set(run.states) == {OTHER} and stream.acked == acked
    assert len(broker.records) == written

    await run.flush_at_shutdown()
    acked, written = list(stream.acked), len(broker.records)
    assert await run.handle(stream, next(feed)) == []
    await run.flush()
    assert stream.acked == acked and len(broker.records) == written


async def test_a_revocation_whose_snapshot_fails_acks_nothing(
    broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, stream = runner(2.0), Stream()
    feed = batches(run.topics.inquiry_changes)
    for _ in range(3):
        await run.handle(stream, next(feed))

    async def unreachable(*_: object) -> int:
        msg = "broker gone"
        raise ConnectionError(msg)

    monkeypatch.setattr(snapshot, "write", unreachable)
    await run.revoke({TP(run.topics.inquiry_changes, p) for p in (SHOP, OTHER)})
    assert stream.acked == [] and run.states == {} and run.held_offsets() == {}


async def test_a_crash_between_snapshots_replays_the_same_alerts(broker: Broker) -> None:
    everything = list(batches(TOPICS.inquiry_changes))
    straight = runner(0.0)
    reference = [a for batch in everything for a in await straight.handle(Stream(), batch)]
    assert any(a.rule == "reply_rate_5m" and a.state == "resolved" for a in reference)
    broker.records.clear()

    clock = Clock()
    first, stream = runner(2.0, clock), Stream()
    before_crash: list[Alert] = []
    crash_after = 90  # two batches after the snapshot at batch 88
    for batch in everything[:crash_after]:
        clock.now += 0.5
        before_crash += await first.handle(stream, batch)
    # The worker dies here: no shutdown, no snapshot. Its successor restores the last
    # snapshot and gets every message that was not acked (faust resumes after the commit).
    acked = set(stream.acked)
    redelivered = [[e for e in b if (e.message.partition, e.message.offset) not in acked]
                   for b in everything]  # fmt: skip
    assert sum(map(len, redelivered)) == (len(everything) - 88) * 4
    # The successor restores a full snapshot and the deltas after it.
    assert any(s.base is not None for p, s in broker.complete(TOPICS.alarm_state) if p == SHOP)
    second = runner(2.0, Clock())
    after_crash = [a for b in redelivered if b for a in await second.handle(Stream(), b)]

    replayed = [a for a in after_crash if a.dedup_key in {b.dedup_key for b in before_crash}]
    assert replayed, "the crash should fall after alerts that were not yet snapshotted"
    assert [same(a) for a in replayed] == [
        same(a) for a in before_crash if a.dedup_key in {r.dedup_key for r in replayed}
    ]
    # Downstream collapses the repeats (same id, state and event time): the same alerts.
    unique = {a.dedup_key: same(a) for a in before_crash + after_crash}
    assert sorted(unique.values(), key=lambda a: a.dedup_key) == sorted(
        map(same, reference), key=lambda a: a.dedup_key
    )


async def test_a_batch_that_failed_to_publish_is_never_snapshotted(broker: Broker) -> None:
    clock = Clock()
    run, stream = runner(2.0, clock), Stream()
    feed = batches(run.topics.inquiry_changes)

    async def step(fail: bool = False) -> None:
        """One batch, each partition's messages on their own (as take_events may hand them)."""
        clock.now += 0.5
        batch = next(feed)
        await run.handle(stream, [e for e in batch if e.message.partition == OTHER])
        broker.fail_alerts = fail
        try:
            await run.handle(stream, [e for e in batch if e.message.partition == SHOP])
        finally:
            broker.fail_alerts = False

    for _ in range(60):  # 30 minutes: alerts from about minute 24
        await step()
    with pytest.raises(ConnectionError):
        while True:
            await step(fail=True)  # raises at the first batch with alerts
    kept = [(p, s["offset"]) for p, s in broker.snapshots(run.topics.alarm_state) if p == SHOP]
    acked = [o for p, o in stream.acked if p == SHOP]
    assert kept and acked and max(acked) == kept[-1][1]
    for _ in range(20):
        await step()
    await run.flush_at_shutdown()
    # SHOP's later input is applied and its alerts published, but nothing of it is acked
    # or snapshotted any more; OTHER goes on as before.
    shop_states = [
        (p, s["offset"]) for p, s in broker.snapshots(run.topics.alarm_state) if p == SHOP
    ]
    assert shop_states == kept and [o for p, o in stream.acked if p == SHOP] == acked
    assert max(o for p, o in stream.acked if p == OTHER) == run.states[OTHER].offset
    assert any(r[0] == run.topics.alerts for r in broker.records[-50:])
    # A rebalance hands SHOP on: its next owner replays it from the last good snapshot.
    await run.revoke({TP(run.topics.inquiry_changes, SHOP)})
    assert set(run.states) == {OTHER} and run.held_offsets() == {}
