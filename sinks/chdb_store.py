"""The embedded store: one chDB session over a directory that one process owns."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import IO, Any

import chdb
import orjson
from chdb.session import Session
from clickhouse_connect.datatypes.base import ClickHouseType
from clickhouse_connect.driver.binding import bind_query, quote_identifier

from core.errors import RetryLater, StoreLocked
from sinks import native
from sinks.errors import StoreError, from_clickhouse
from sinks.sql_text import sql_string, trailing_format
from sinks.store import QueryResult

log = logging.getLogger(__name__)

LOCK_FILE = ".kefu-store.lock"
# chDB's Python-side result conversions; a remote client must not trigger them.
PYTHON_ONLY_FORMATS = frozenset({"dataframe", "arrowtable", "datastore"})


@dataclass(frozen=True, slots=True)
class RawResult:
    """A statement's output bytes in the format asked for, and its statistics."""

    data: bytes = b""
    rows_read: int = 0
    bytes_read: int = 0
    rows_written: int = 0
    bytes_written: int = 0
    elapsed: float = 0.0


def _raw(result: Any) -> RawResult:
    return RawResult(
        data=result.bytes() or b"",
        rows_read=result.rows_read(),
        bytes_read=result.bytes_read(),
        rows_written=result.rows_written(),
        bytes_written=result.bytes_written(),
        elapsed=result.elapsed(),
    )


def _settings_sql(settings: Mapping[str, str]) -> Iterator[str]:
    for name, value in settings.items():
        if not name.replace("_", "").isalnum():
            msg = f"invalid setting name {name!r}"
            raise StoreError(msg, code=115)  # UNKNOWN_SETTING
        yield f"SET {name} = {sql_string(str(value))}"


@contextmanager
def _translated() -> Iterator[None]:
    """chDB raises RuntimeError with ClickHouse's text; turn it into our errors."""
    try:
        yield
    except (RetryLater, StoreError):
        raise
    except (RuntimeError, ValueError) as exc:
        raise from_clickhouse(str(exc)) from exc


class ChdbStore:
    """chDB in `path`, owned by this process through an exclusive lock file.

    Calls are serialised by a lock: chDB runs one statement at a time, and callers
    run these blocking calls in a worker thread.
    """

    def __init__(self, path: Path, database: str = "kefu") -> None:
        self.path = path.resolve()
        self.database = database
        self._lock = threading.RLock()
        self._types: dict[str, dict[str, ClickHouseType]] = {}
        self._database_ready = False
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock_file = _acquire(self.path / LOCK_FILE, self.path)
        try:
            with _translated():
                self._session: Session | None = Session(str(self.path))
        except Exception:
            _release(self._lock_file)
            raise
        log.info("embedded store open at %s", self.path)

    # -- the Store contract -------------------------------------------------

    def command(self, sql: str) -> None:
        with self._lock, _translated():
            session = self._open_session()
            self._types.clear()
            self._use_database(session)
            session.query(sql, "TabSeparated")

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> QueryResult:
        if trailing_format(sql):
            msg = "query() returns rows; leave out the FORMAT clause"
            raise StoreError(msg, code=62)
        bound, bind_params = bind_query(sql, parameters, UTC)
        if isinstance(bound, bytes):
            msg = "binary query parameters are not supported"
            raise StoreError(msg)
        params = {key.removeprefix("param_"): value for key, value in bind_params.items()}
        with self._lock, _translated():
            session = self._open_session()
            self._use_database(session)
            data = session.query(bound, "Native", params=params).bytes() or b""
        return native.decode(data)

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
        types = self._column_types(target, columns)
        payload = native.encode(target, columns, types, rows)
        head = f"INSERT INTO {target} ({', '.join(quote_identifier(c) for c in columns)})"
        if dedup_token is not None:
            head += f" SETTINGS insert_deduplication_token = {sql_string(dedup_token)}"
        with self._lock, _translated():
            inserter = self._open_session().send_insert(head, "Native")
            with inserter:
                inserter.append(payload)
                inserter.finish()

    def close(self) -> None:
        with self._lock:
            if self._session is None:
                return
            try:
                self._session.close()
            finally:
                self._session = None
                _release(self._lock_file)
                log.info("embedded store closed at %s", self.path)

    def __enter__(self) -> ChdbStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- raw access for the HTTP interface ----------------------------------

    def execute(
        self,
        sql: str,
        fmt: str,
        *,
        params: Mapping[str, str] | None = None,
        settings: Mapping[str, str] | None = None,
        database: str | None = None,
    ) -> RawResult:
        """Run one statement on a fresh handle (its own settings and USE) and return its bytes.

        A trailing FORMAT clause in `sql` wins over `fmt`.
        """
        if fmt.lower() in PYTHON_ONLY_FORMATS:
            msg = f"format {fmt} is not a ClickHouse format"
            raise StoreError(msg)
        with self._lock, _translated(), self._scratch(settings, database) as conn:
            self._types.clear()  # the statement may have changed a table
            return _raw(conn.query(sql, fmt, params=dict(params or {})))

    def insert_stream(
        self,
        head: str,
        fmt: str,
        chunks: Iterable[bytes],
        *,
        settings: Mapping[str, str] | None = None,
        database: str | None = None,
    ) -> RawResult:
        """INSERT `head` (no FORMAT clause) with data in `fmt` streamed from `chunks`.

        Streaming keeps binary data intact: chDB ends inline INSERT data at the
        first blank line, which would cut Native blocks short.
        """
        with self._lock, _translated(), self._scratch(settings, database) as conn:
            inserter = conn.send_insert(head, fmt)
            with inserter:
                for chunk in chunks:
                    if chunk:
                        inserter.append(chunk)
                result = inserter.finish()
            return RawResult(
                rows_written=result.rows_written,
                bytes_written=result.bytes_written,
                elapsed=result.elapsed,
            )

    # -- helpers -------------------------------------------------------------

    def _open_session(self) -> Session:
        if self._session is None:
            msg = f"the embedded store at {self.path} is closed"
            raise StoreError(msg)
        return self._session

    @contextmanager
    def _scratch(self, settings: Mapping[str, str] | None, database: str | None) -> Iterator[Any]:
        """A short-lived handle on the same engine, so request settings never leak."""
        self._open_session()
        conn = chdb.connect(str(self.path))
        try:
            if database:
                conn.query(f"USE {quote_identifier(database)}", "TabSeparated")
            for statement in _settings_sql(settings or {}):
                conn.query(statement, "TabSeparated")
            yield conn
        finally:
            conn.close()

    def _use_database(self, session: Session) -> None:
        """Make the configured database the default once it exists (migrations create it)."""
        if self._database_ready:
            return
        found = session.query(
            "SELECT count() FROM system.databases WHERE name = {db:String}",
            "TabSeparated",
            params={"db": self.database},
        )
        if (found.bytes() or b"").strip() == b"1":
            session.query(f"USE {quote_identifier(self.database)}", "TabSeparated")
            self._database_ready = True

    def _qualified(self, table: str) -> str:
        if "." in table:
            return table
        return f"{quote_identifier(self.database)}.{quote_identifier(table)}"

    def _column_types(self, target: str, columns: Sequence[str]) -> list[ClickHouseType]:
        with self._lock:
            known = self._types.get(target)
            if known is None:
                with _translated():
                    out = self._open_session().query(f"DESCRIBE TABLE {target}", "JSONEachRow")
                described = [orjson.loads(line) for line in (out.bytes() or b"").splitlines()]
                names = [row["name"] for row in described]
                types = native.column_types([row["type"] for row in described])
                known = self._types[target] = dict(zip(names, types, strict=True))
        missing = [c for c in columns if c not in known]
        if missing:
            msg = f"table {target} has no column(s) {', '.join(missing)}"
            raise StoreError(msg)
        return [known[c] for c in columns]


def _acquire(lock_path: Path, store: Path) -> IO[str]:
    """Take the store's exclusive lock and write our pid into it, or say who holds it."""
    handle = lock_path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        msg = (
            f"the embedded store {store} is in use by process {holder}; "
            "`kefu sql` reaches a running worker over its HTTP port "
            "(KEFU_STORE_HTTP_PORT, default 8123)"
        )
        raise StoreLocked(msg) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _release(handle: IO[str]) -> None:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()
