"""BatchWriter on a real embedded store: retried batches land once, backpressure, buffering."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest
from prometheus_client import REGISTRY

from core.errors import RetryLater
from sinks.chdb_store import ChdbStore
from sinks.errors import SinkUnavailable, StoreError
from sinks.health import SinkHealth
from sinks.migrate import migrate
from sinks.store import QueryResult, Store
from sinks.writer import BatchWriter

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
NO_STORE = cast(Store, object())  # for tests that never flush


class FlakyStore:
    """A real store whose first `failures` inserts raise RetryLater.

    With `landed`, the failing inserts are stored first: the acknowledgement is
    what got lost, the case only the dedup token can save.
    """

    def __init__(self, inner: ChdbStore, database: str, failures: int, landed: bool) -> None:
        self.inner = inner
        self.database = database
        self.failures = failures
        self.landed = landed
        self.calls: list[tuple[str, str | None]] = []

    def insert(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        dedup_token: str | None = None,
    ) -> None:
        self.calls.append((table, dedup_token))
        if self.failures > 0:
            self.failures -= 1
            if self.landed:
                self.inner.insert(f"{self.database}.{table}", columns, rows, dedup_token)
            raise RetryLater("injected: connection reset", retry_after=0.0)
        self.inner.insert(f"{self.database}.{table}", columns, rows, dedup_token)

    def command(self, sql: str) -> None:
        self.inner.command(sql)

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> QueryResult:
        return self.inner.query(sql, parameters)

    def close(self) -> None:
        """The module fixture closes the real store."""


@pytest.fixture(scope="module")
def chdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChdbStore]:
    with ChdbStore(tmp_path_factory.mktemp("writer")) as store:
        yield store


@pytest.fixture
def database(chdb: ChdbStore) -> str:
    name = f"kefu_test_{uuid.uuid4().hex[:10]}"
    migrate(chdb, name, 180)
    return name


def message(i: int) -> tuple[Any, ...]:
    at = T0 + timedelta(seconds=i)
    return (f"m-{i}", "s1", f"b{i % 2}", "buyer", "", at, "text", f"你好 {i}\n\n", None, "{}", at)


def inquiry(i: int) -> tuple[Any, ...]:
    at = T0 + timedelta(minutes=i)
    return ("s1", f"b{i}", f"m-{i}", "a1", at, at, at + timedelta(seconds=20), "a1", 20.0,
            1, 1, 1, date(2026, 11, 23), "answered", 1, 20.0, 1, 0)  # fmt: skip


def raw_count(store: ChdbStore, database: str, table: str) -> int:
    # No FINAL: a duplicate that merely collapses on read would still count here.
    return int(store.query(f"SELECT count() FROM {database}.{table}").scalar())


def retries(table: str) -> float:
    return REGISTRY.get_sample_value("kefu_sink_retries_total", {"table": table}) or 0.0


@pytest.mark.parametrize("landed", [True, False], ids=["ack-lost", "refused"])
async def test_a_retried_batch_is_stored_once(chdb: ChdbStore, database: str, landed: bool) -> None:
    store = FlakyStore(chdb, database, failures=2, landed=landed)
    writer = BatchWriter(store, backoff_initial=0.001)
    for i in range(3):
        writer.add("chat_messages", message(i))
    for i in range(2):
        writer.add("inquiries", inquiry(i))
    before = retries("chat_messages")

    assert await writer.flush("p0:100-104") == 5

    assert raw_count(chdb, database, "chat_messages") == 3
    assert raw_count(chdb, database, "inquiries") == 2
    assert store.calls == [("chat_messages", "p0:100-104:chat_messages")] * 3 + [
        ("inquiries", "p0:100-104:inquiries")
    ]
    assert retries("chat_messages") - before == 2
    assert writer.pending == 0
    await writer.close()


async def test_a_replayed_batch_with_the_same_prefix_is_stored_once(
    chdb: ChdbStore, database: str
) -> None:
    writer = BatchWriter(FlakyStore(chdb, database, failures=0, landed=False))
    for _ in range(2):  # e.g. a worker restarted before committing its offsets
        for i in range(4):
            writer.add("chat_messages", message(i))
        await writer.flush("p1:0-3")
    assert raw_count(chdb, database, "chat_messages") == 4
    stored = chdb.query(f"SELECT text FROM {database}.chat_messages ORDER BY event_id LIMIT 1")
    assert stored.rows == [("你好 0\n\n",)]
    await writer.close()


async def test_a_rejected_batch_goes_back_with_the_tables_not_yet_written(
    chdb: ChdbStore, database: str
) -> None:
    writer = BatchWriter(FlakyStore(chdb, database, failures=0, landed=False))
    writer.add("chat_messages", message(0))
    bad = list(inquiry(0))
    bad[4] = "not a time"
    writer.add("inquiries", tuple(bad))
    writer.add("ratings", ("r-1", "s1", "b1", "a1", 5, T0, date(2026, 11, 23)))
    with pytest.raises(StoreError, match="inquiries"):
        await writer.flush("p2:0-2")
    assert raw_count(chdb, database, "chat_messages") == 1
    assert writer.pending == 2
    await writer.close()


def test_due_by_rows_or_by_age() -> None:
    now = [100.0]
    writer = BatchWriter(NO_STORE, max_rows=3, max_seconds=2.0, clock=lambda: now[0])
    assert not writer.due()
    writer.add("chat_messages", message(0))
    assert not writer.due()
    now[0] += 2.0
    assert writer.due()
    now[0] = 100.0
    writer.add("chat_messages", message(1))
    writer.add("chat_messages", message(2))
    assert writer.due()


def test_rows_must_fit_their_table() -> None:
    writer = BatchWriter(NO_STORE)
    with pytest.raises(ValueError, match="chat_messages rows have 11 values"):
        writer.add("chat_messages", ("too", "short"))
    with pytest.raises(KeyError, match="unknown table"):
        writer.add("no_such_table", ())


async def test_writers_give_up_together_once_the_store_stays_away(
    chdb: ChdbStore, database: str
) -> None:
    """The health is shared: a read that starts failing late gives up on the first outage's
    clock, and the rows of the insert that gave up stay buffered for the next worker."""
    ticks = itertools.count()
    health = SinkHealth(give_up_seconds=30, clock=lambda: float(next(ticks)))
    store = FlakyStore(chdb, database, failures=10**6, landed=False)
    inserts = BatchWriter(store, backoff_initial=0.001, backoff_max=0.001, health=health)
    reads = BatchWriter(store, backoff_initial=0.001, backoff_max=0.001, health=health)
    attempts: list[int] = []

    def away(_: Store) -> int:
        attempts.append(1)
        raise RetryLater("injected: connection refused", retry_after=0.0)

    inserts.add("chat_messages", message(0))
    with pytest.raises(SinkUnavailable, match="giving up on the store after 30s"):
        await inserts.flush("p0:0-0")
    assert inserts.pending == 1
    assert not health.healthy
    with pytest.raises(SinkUnavailable):
        await reads.call(away, "rollups")
    assert len(attempts) == 1
    await inserts.close()
    await reads.close()
