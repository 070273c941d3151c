"""ClickHouse Native format in and out through clickhouse-connect's codec.

The embedded store encodes inserts and decodes results with the same codec the
server store's client uses, so both turn Python values into columns (and back)
identically: tz-aware datetimes, Decimal, None for NULL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

from clickhouse_connect.datatypes.base import ClickHouseType
from clickhouse_connect.datatypes.registry import get_from_name
from clickhouse_connect.driver.ctypes import RespBuffCls
from clickhouse_connect.driver.insert import InsertContext
from clickhouse_connect.driver.query import QueryContext
from clickhouse_connect.driver.query import QueryResult as ChQueryResult
from clickhouse_connect.driver.transform import NativeTransform

from sinks.errors import StoreError
from sinks.store import QueryResult

# Time columns come back tz-aware (UTC), never naive.
TZ_MODE: Final = "aware"


def column_types(type_names: Sequence[str]) -> list[ClickHouseType]:
    return [get_from_name(name) for name in type_names]


def transpose(rows: Sequence[Sequence[Any]], width: int) -> list[Sequence[Any]]:
    """Row tuples to column sequences (C-speed zip); checks every row's width."""
    for row in rows:
        if len(row) != width:
            msg = f"row has {len(row)} values for {width} columns: {row!r}"
            raise StoreError(msg)
    return list(zip(*rows, strict=True))


def encode(
    table: str,
    columns: Sequence[str],
    types: Sequence[ClickHouseType],
    rows: Sequence[Sequence[Any]],
) -> bytes:
    """Native blocks (without the INSERT statement) holding `rows`."""
    data = transpose(rows, len(columns))
    context = InsertContext(table, list(columns), list(types), data, column_oriented=True)
    chunks = list(NativeTransform.build_insert(context))
    if context.insert_exception is not None:
        msg = f"cannot encode rows for {table}: {context.insert_exception}"
        raise StoreError(msg) from context.insert_exception
    if chunks:
        # build_insert puts the HTTP statement ahead of the first block; the engine
        # takes the statement apart from the data.
        first = chunks[0]
        chunks[0] = first[first.index(b" FORMAT Native\n") + len(b" FORMAT Native\n") :]
    return b"".join(chunks)


class _OneChunk:
    """A finished response body as the codec's byte source expects it."""

    last_message: bytes | None = None
    exception_tag: str | None = None

    def __init__(self, data: bytes) -> None:
        self._data = data

    @property
    def gen(self) -> Iterator[bytes]:
        yield self._data

    def close(self) -> None:
        self._data = b""


def decode(data: bytes) -> QueryResult:
    """Rows of a Native-format result."""
    if not data:
        return QueryResult()
    context = QueryContext(tz_mode=TZ_MODE)
    result = NativeTransform.parse_response(RespBuffCls(_OneChunk(data)), context)
    assert isinstance(result, ChQueryResult)  # numpy is off in this context
    return QueryResult(list(result.column_names), [tuple(row) for row in result.result_rows])
