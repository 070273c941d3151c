"""A ClickHouse server over HTTP through clickhouse-connect (compression on)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.binding import quote_identifier
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from core.errors import RetryLater, ServiceUnavailable
from sinks.errors import StoreError, from_clickhouse
from sinks.native import TZ_MODE, transpose
from sinks.store import QueryResult

log = logging.getLogger(__name__)

RETRYABLE_HTTP = ("HTTP status 429", "HTTP status 503", "HTTP status 504")
_FOR_URL = re.compile(r"\s*\(for url [^)]*\)\s*$")


@contextmanager
def _translated() -> Iterator[None]:
    """clickhouse-connect errors as RetryLater (transport, overload) or StoreError (SQL)."""
    try:
        yield
    except OperationalError as exc:
        msg = f"ClickHouse unreachable: {exc}"
        raise RetryLater(msg) from exc
    except DatabaseError as exc:
        text = _FOR_URL.sub("", str(exc))
        if any(status in text for status in RETRYABLE_HTTP):
            msg = f"ClickHouse is busy: {text}"
            raise RetryLater(msg) from exc
        raise from_clickhouse(text, getattr(exc, "code", None)) from exc


class ServerStore:
    """`url` is http(s)://host:port; `database` becomes the default once it exists."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        database: str = "kefu",
        *,
        connect_timeout: float = 10,
        send_receive_timeout: float = 300,
    ) -> None:
        self.database = database
        self._lock = threading.RLock()
        self._types: dict[str, dict[str, str]] = {}
        self._database_ready = False
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            msg = f"ClickHouse URL {url!r} must look like http://host:8123"
            raise StoreError(msg)
        try:
            self._client: Client = clickhouse_connect.get_client(
                interface=parts.scheme,
                host=parts.hostname,
                port=parts.port or (8443 if parts.scheme == "https" else 8123),
                username=user,
                password=password,
                compress=True,
                connect_timeout=connect_timeout,
                send_receive_timeout=send_receive_timeout,
                tz_mode=TZ_MODE,
                autogenerate_session_id=False,
            )
        except (OperationalError, DatabaseError) as exc:
            msg = f"cannot reach ClickHouse at {url}: {exc}"
            raise ServiceUnavailable(msg) from exc
        self.url = url
        log.info("ClickHouse server store at %s (database %s)", url, database)

    def command(self, sql: str) -> None:
        with self._lock, _translated():
            self._types.clear()
            self._use_database()
            self._client.command(sql)

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> QueryResult:
        with self._lock, _translated():
            self._use_database()
            result = self._client.query(sql, parameters=parameters)
            return QueryResult(list(result.column_names), [tuple(r) for r in result.result_rows])

    def insert(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        dedup_token: str | None = None,
    ) -> None:
        if not rows:
            return
        target = self._qualified(table)
        data = transpose(rows, len(columns))
        settings = {"insert_deduplication_token": dedup_token} if dedup_token is not None else None
        with self._lock, _translated():
            type_names = self._column_types(target, columns)
            self._client.insert(
                target,
                data,
                column_names=list(columns),
                column_type_names=type_names,
                column_oriented=True,
                settings=settings,
            )

    def close(self) -> None:
        with self._lock:
            self._client.close()

    def __enter__(self) -> ServerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _use_database(self) -> None:
        """Make the configured database the default once it exists (migrations create it)."""
        if self._database_ready:
            return
        if self._client.command(f"EXISTS DATABASE {quote_identifier(self.database)}") == 1:
            self._client.database = self.database
            self._database_ready = True

    def _qualified(self, table: str) -> str:
        if "." in table:
            return table
        return f"{quote_identifier(self.database)}.{quote_identifier(table)}"

    def _column_types(self, target: str, columns: Sequence[str]) -> list[str]:
        known = self._types.get(target)
        if known is None:
            described = self._client.query(f"DESCRIBE TABLE {target}")
            known = self._types[target] = {row[0]: row[1] for row in described.result_rows}
        missing = [c for c in columns if c not in known]
        if missing:
            msg = f"table {target} has no column(s) {', '.join(missing)}"
            raise StoreError(msg)
        return [known[c] for c in columns]
