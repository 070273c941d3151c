"""The storage contract the pipeline writes through and the CLI reads through.

Two implementations: `ChdbStore` (embedded chDB in a directory) and `ServerStore`
(a ClickHouse server over HTTP). Both take and return the same Python values:

- `insert` rows are row-oriented: one sequence per row, values in `columns` order.
  Values are plain Python: `str`, `int`, `float`, `Decimal`, `date`, tz-aware UTC
  `datetime`, `bytes` (for String) and `None` (for Nullable). `sinks.tables` holds
  the column order of every table. An insert with the same `dedup_token` as one of
  the table's last 1000 inserts is stored once (`insert_deduplication_token`).
- `query` returns a `QueryResult` with tz-aware datetimes for time columns. A query
  that yields no rows may also yield no column names (ClickHouse's Native format
  carries names with data).

Errors: `core.errors.RetryLater` for transient failures (connection refused or
reset, timeouts, HTTP 429/503/504, a busy server), `sinks.errors.StoreError` with the
ClickHouse message for everything the statement itself got wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Column names and rows (tuples) of one query."""

    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def scalar(self) -> Any:
        """The first value of the first row, or None without rows."""
        return self.rows[0][0] if self.rows else None


class Store(Protocol):
    """A ClickHouse the pipeline can write to and read from; calls block (run them in a thread)."""

    database: str

    def command(self, sql: str) -> None: ...

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> QueryResult: ...

    def insert(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        dedup_token: str | None = None,
    ) -> None: ...

    def close(self) -> None: ...
