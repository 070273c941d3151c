"""Batches rows per table and writes them through a Store, retrying until the store takes them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from core.errors import RetryLater
from sinks import metrics
from sinks.errors import SinkUnavailable, StoreError
from sinks.health import SinkHealth
from sinks.store import Store
from sinks.tables import COLUMNS

log = logging.getLogger(__name__)

Batches = dict[str, list[Sequence[Any]]]
T = TypeVar("T")


class BatchWriter:
    """Per-table buffers flushed as one insert per table, each with its own dedup token.

    Rows are buffered as tuples in the table's column order (`sinks.tables`) and
    turned into columns at flush (zip runs in C; measured faster than appending
    every value to per-column lists). All store calls run in one dedicated worker
    thread: chDB blocks, and one writer at a time keeps inserts in order.

    `flush` retries RetryLater with exponential backoff until the shared SinkHealth has
    been failing for its give-up time (then SinkUnavailable), logging each retry, and
    sends the same token (`{token_prefix}:{table}`) every time, so a
    batch whose first attempt did land is stored once. The caller awaits the
    flush, so consumption pauses while the store is away (backpressure).
    """

    def __init__(
        self,
        store: Store,
        *,
        max_rows: int = 5000,
        max_seconds: float = 1.0,
        columns: Mapping[str, Sequence[str]] = COLUMNS,
        backoff_initial: float = 0.2,
        backoff_max: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        health: SinkHealth | None = None,
    ) -> None:
        self.store = store
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self.columns = {table: tuple(names) for table, names in columns.items()}
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._clock = clock
        # Shared by a worker's writers; a writer on its own gives up after a day.
        self.health = health or SinkHealth(give_up_seconds=86_400.0)
        self._rows: Batches = {}
        self._first_at: float | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-sink")

    @property
    def pending(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    def add(self, table: str, row: Sequence[Any]) -> None:
        names = self.columns.get(table)
        if names is None:
            msg = f"unknown table {table!r}; known: {', '.join(sorted(self.columns))}"
            raise KeyError(msg)
        if len(row) != len(names):
            msg = f"{table} rows have {len(names)} values ({', '.join(names)}), got {len(row)}"
            raise ValueError(msg)
        if self._first_at is None:
            self._first_at = self._clock()
        self._rows.setdefault(table, []).append(row)

    def due(self) -> bool:
        """Whether a flush is due: max_rows buffered, or the oldest row is max_seconds old."""
        if self._first_at is None:
            return False
        return self.pending >= self.max_rows or self._clock() - self._first_at >= self.max_seconds

    async def flush(self, token_prefix: str) -> int:
        """Insert every buffered table; returns the rows written.

        A StoreError (the batch itself is wrong) propagates; the tables not yet
        written, the failing one included, go back into the buffer.
        """
        return await self.write(self.take(), token_prefix)

    def take(self) -> Batches:
        """Empty the buffers: rows added from now on belong to the next batch."""
        batches, self._rows, self._first_at = self._rows, {}, None
        return batches

    async def write(self, batches: Batches, token_prefix: str) -> int:
        """Insert batches taken earlier (see `flush`); buffering goes on meanwhile."""
        written = 0
        pending = [(table, rows) for table, rows in batches.items() if rows]
        for index, (table, rows) in enumerate(pending):
            try:
                await self._insert(table, rows, f"{token_prefix}:{table}")
            except BaseException:
                self._requeue(pending[index:])
                raise
            written += len(rows)
        return written

    async def call(self, fn: Callable[[Store], T], what: str = "query") -> T:
        """Run `fn(store)` in the writer's thread, in order with the inserts.

        Retried like an insert while the store is away (a read the stage needs must wait for
        the store, not crash the stage), until the shared health gives up.
        """
        loop = asyncio.get_running_loop()
        delay = self.backoff_initial
        while True:
            try:
                result = await loop.run_in_executor(self._executor, fn, self.store)
            except RetryLater as exc:
                self._wait_or_give_up(what, exc)
                await asyncio.sleep(min(self.backoff_max, max(delay, exc.retry_after)))
                delay = min(self.backoff_max, delay * 2)
                continue
            self.health.succeeded()
            return result

    def _wait_or_give_up(self, what: str, exc: RetryLater) -> None:
        self.health.failed(what, exc)
        if self.health.given_up():
            msg = f"giving up on the store after {self.health.give_up_seconds:.0f}s: {exc}"
            raise SinkUnavailable(msg) from exc

    async def close(self) -> None:
        """Stop the worker thread (the store stays open)."""
        await asyncio.get_running_loop().run_in_executor(None, self._executor.shutdown)

    async def _insert(self, table: str, rows: list[Sequence[Any]], token: str) -> None:
        loop = asyncio.get_running_loop()
        names = self.columns[table]
        delay = self.backoff_initial
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                await loop.run_in_executor(
                    self._executor, self.store.insert, table, names, rows, token
                )
            except RetryLater as exc:
                self._wait_or_give_up(table, exc)
                wait = min(self.backoff_max, max(delay, exc.retry_after))
                metrics.RETRIES.labels(table).inc()
                log.warning(
                    "insert of %d rows into %s failed (attempt %d), retrying in %.1fs: %s",
                    len(rows),
                    table,
                    attempt,
                    wait,
                    exc,
                )
                await asyncio.sleep(wait)
                delay = min(self.backoff_max, delay * 2)
                continue
            except StoreError:
                log.error("store rejected %d rows for %s (token %s)", len(rows), table, token)
                raise
            self.health.succeeded()
            metrics.INSERT_SECONDS.labels(table).observe(time.perf_counter() - started)
            metrics.BATCH_ROWS.labels(table).observe(len(rows))
            if attempt > 1:
                log.info("insert into %s succeeded after %d attempts", table, attempt)
            return

    def _requeue(self, batches: list[tuple[str, list[Sequence[Any]]]]) -> None:
        for table, rows in batches:
            self._rows[table] = rows + self._rows.get(table, [])
        if self._first_at is None:
            self._first_at = self._clock()
