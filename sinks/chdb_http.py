"""The embedded store behind ClickHouse's HTTP interface (the subset clients use).

`kefu run` serves its ChdbStore on 127.0.0.1:8123 with `serve()`, so `kefu sql`,
Grafana and any clickhouse-connect client reach the store the worker owns.
Statements run one at a time on the store, each on a fresh chDB handle carrying
the request's settings and database. Each request is its own session: a `SET`
does not outlive it. Without `password` every user is let in (keep it on loopback); `kefu
run` always sets one (sinks.credentials). Table functions and engines that reach files, other
hosts or programs (file, url, s3, remote, INTO OUTFILE, ...) are refused whoever asks.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import logging
import socket
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from core.errors import RetryLater, ServiceUnavailable
from sinks import http_wire
from sinks.chdb_store import ChdbStore, RawResult
from sinks.errors import StoreError
from sinks.sql_text import reaches_outside, split_statements

log = logging.getLogger(__name__)

SERVER_NAME = "kefu-chdb"
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class _Reject(Exception):
    """A request we answer with a ClickHouse-style error."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _refuse_outside_reach(sql: str) -> None:
    found = reaches_outside(sql)
    if found is not None:
        msg = f"{found} is not allowed over this interface: the store does not reach files or the network for clients"
        raise _Reject(403, 497, msg)  # ACCESS_DENIED


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], store: ChdbStore, user: str, password: str | None
    ) -> None:
        super().__init__(address, _Handler)
        self.store = store
        self.user = user
        self.password = password
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        try:
            tz = store.execute("SELECT timezone()", "TabSeparated").data.decode().strip()
        except BaseException:
            self.server_close()
            raise
        self.timezone = tz or "UTC"

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        with self.connections_lock:
            self.connections.add(conn)
        return conn, address

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End kept-alive connections too, so clients see the server gone."""
        with self.connections_lock:
            live = list(self.connections)
        for conn in live:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # without TCP_NODELAY each request waits ~40 ms
    server_version = SERVER_NAME
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path, url_params = self._target()
        if path in ("/ping", "/replicas_status") or (path == "/" and "query" not in url_params):
            self._reply(200, b"Ok.\n", {"Content-Type": "text/plain; charset=UTF-8"})
        elif path == "/":
            # As in ClickHouse, GET is read-only (settings may still change).
            self._execute({**url_params, "readonly": "2"}, b"")
        else:
            self._reply_error(_Reject(404, 0, f"there is no handler for {path}"))

    def do_POST(self) -> None:  # noqa: N802
        path, url_params = self._target()
        body = self._read_body()
        if path != "/":
            self._reply_error(_Reject(404, 0, f"there is no handler for {path}"))
            return
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            try:
                url_params = {**url_params, **http_wire.form_fields(content_type, body)}
            except ValueError as exc:
                self._reply_error(_Reject(400, 36, f"cannot read the form: {exc}"))
                return
            body = b""
        self._execute(url_params, body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)

    # -- one statement -------------------------------------------------------

    def _execute(self, url_params: dict[str, str], body: bytes) -> None:
        query_id = url_params.get("query_id") or str(uuid.uuid4())
        try:
            request = http_wire.request_params(url_params)
            self._authorize(request)
            result, fmt = self._run(request, body)
        except (StoreError, RetryLater, _Reject) as exc:
            self._reply_error(exc, query_id)
            return
        except Exception as exc:  # a server must answer, whatever broke
            log.exception("store HTTP request failed")
            self._reply_error(_Reject(500, 1001, f"internal error: {exc}"), query_id)
            return
        headers = {
            "Content-Type": http_wire.content_type(fmt or http_wire.DEFAULT_FORMAT),
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Timezone": self.server.timezone,
            "X-ClickHouse-Summary": _summary(result),
        }
        if fmt:
            headers["X-ClickHouse-Format"] = fmt
        data = result.data
        if data and request.compress_response:
            data, encoding = http_wire.encode_body(data, self.headers.get("Accept-Encoding"))
            if encoding:
                headers["Content-Encoding"] = encoding
        self._reply(200, data, headers)

    def _run(self, request: http_wire.RequestParams, body: bytes) -> tuple[RawResult, str | None]:
        """Run the request; the format is None for statements without a result set."""
        if request.decompress_request:
            raise _Reject(400, 36, "decompress=1 (ClickHouse block compression) is not supported")
        try:
            body = http_wire.decode_body(body, self.headers.get("Content-Encoding"))
        except (ValueError, OSError, RuntimeError) as exc:
            raise _Reject(400, 36, f"cannot decode the request body: {exc}") from exc
        sql = request.sql.encode()
        text = sql + b"\n" + body if sql and body else sql or body
        store = self.server.store
        insert = http_wire.split_insert(text)
        if insert is not None:
            _refuse_outside_reach(insert.head)
            result = store.insert_stream(
                insert.head,
                insert.fmt,
                [insert.data],
                settings=request.settings,
                database=request.database,
            )
            return result, None
        try:
            statement = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Reject(400, 36, f"the query is not UTF-8: {exc}") from exc
        statements = split_statements(statement)
        if not statements:
            raise _Reject(400, 62, "Empty query")
        if len(statements) > 1:
            raise _Reject(400, 62, "Multi-statements are not allowed")
        _refuse_outside_reach(statement)
        fmt = http_wire.output_format(statement, request.default_format)
        result = store.execute(
            statement,
            fmt,
            params=request.params,
            settings=request.settings,
            database=request.database,
        )
        return result, fmt if http_wire.produces_result(statement) else None

    def _authorize(self, request: http_wire.RequestParams) -> None:
        expected = self.server.password
        if expected is None:
            return
        user = self.headers.get("X-ClickHouse-User") or request.user or "default"
        given = self.headers.get("X-ClickHouse-Key") or request.password or ""
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                user, _, given = base64.b64decode(auth[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, given = "", ""
        known = hmac.compare_digest(user.encode(), self.server.user.encode())
        if not (hmac.compare_digest(given.encode(), expected.encode()) and known):
            raise _Reject(
                401,
                516,
                f"Authentication failed: password is incorrect, or there is no user {user!r}",
            )

    # -- HTTP plumbing ----------------------------------------------------------

    def _target(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        return parts.path or "/", dict(parse_qsl(parts.query, keep_blank_values=True))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        out = bytearray()
        while True:
            size_line = self.rfile.readline(1024)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(out)
            out += self.rfile.read(size)
            self.rfile.readline(1024)

    def _reply(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("X-ClickHouse-Server-Display-Name", SERVER_NAME)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _reply_error(self, exc: Exception, query_id: str | None = None) -> None:
        if isinstance(exc, _Reject):
            status, code = exc.status, exc.code
        elif isinstance(exc, RetryLater):
            status, code = 503, 202
        else:
            code = getattr(exc, "code", None) or 1001
            status = http_wire.http_status(code)
        message = str(exc)
        if not message.startswith("Code:"):
            message = f"Code: {code}. DB::Exception: {message}"
        headers = {
            "Content-Type": "text/plain; charset=UTF-8",
            "X-ClickHouse-Exception-Code": str(code),
        }
        if query_id:
            headers["X-ClickHouse-Query-Id"] = query_id
        if status == 503:
            headers["Retry-After"] = "1"
        self._reply(status, f"{message}\n".encode(), headers)


def _summary(result: RawResult) -> str:
    return orjson.dumps(
        {
            "read_rows": str(result.rows_read),
            "read_bytes": str(result.bytes_read),
            "written_rows": str(result.rows_written),
            "written_bytes": str(result.bytes_written),
            "total_rows_to_read": str(result.rows_read),
            "result_rows": "0",
            "result_bytes": str(len(result.data)),
            "elapsed_ns": str(int(result.elapsed * 1e9)),
        }
    ).decode()


@dataclass
class StoreServer:
    """A running HTTP interface; `stop()` ends it (the store stays open)."""

    httpd: _Server
    thread: threading.Thread

    @property
    def host(self) -> str:
        return str(self.httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.httpd.close_connections()
        self.thread.join(timeout=10)
        log.info("store HTTP interface on %s stopped", self.url)

    def __enter__(self) -> StoreServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    store: ChdbStore,
    host: str = "127.0.0.1",
    port: int = 8123,
    *,
    user: str = "default",
    password: str | None = None,
) -> StoreServer:
    """Serve `store` over HTTP on host:port (port 0 picks a free one) in a background thread."""
    try:
        httpd = _Server((host, port), store, user, password)
    except OSError as exc:
        msg = f"cannot serve the embedded store on {host}:{port}: {exc.strerror or exc}"
        raise ServiceUnavailable(msg) from exc
    thread = threading.Thread(target=httpd.serve_forever, name="kefu-store-http", daemon=True)
    thread.start()
    handle = StoreServer(httpd, thread)
    if host not in LOOPBACK and password is None:
        log.warning("the embedded store is served on %s without a password", handle.url)
    log.info("store HTTP interface on %s (ClickHouse protocol)", handle.url)
    return handle
