"""ClickHouse HTTP interface conventions: parameters, INSERT bodies, formats, statuses, encodings.

Pure functions used by `sinks.chdb_http`; the subset is what clickhouse-connect,
Grafana's ClickHouse plugin and curl send (see tests/integration/test_store_http.py).
"""

from __future__ import annotations

import email.policy
import gzip
import io
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser

import lz4.frame
import zstandard

from sinks.sql_text import mask, trailing_format

# URL parameters that steer the HTTP exchange itself; every other one is a setting.
TRANSPORT_PARAMS = frozenset(
    {
        "query",
        "query_id",
        "database",
        "default_format",
        "user",
        "password",
        "quota_key",
        "session_id",
        "session_timeout",
        "session_check",
        "compress",
        "decompress",
        "buffer_size",
        "wait_end_of_query",
        "client_protocol_version",
        "role",
        "enable_http_compression",
        "http_zlib_compression_level",
        "send_progress_in_http_headers",
        "http_headers_progress_interval_ms",
        "cancel_http_readonly_queries_on_client_close",
        "add_http_cors_header",
    }
)

DEFAULT_FORMAT = "TabSeparated"
_HEAD_BYTES = 1 << 16
_INSERT = re.compile(r"\s*INSERT\s+INTO\b", re.IGNORECASE)
_FORMAT_CLAUSE = re.compile(r"\bFORMAT\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_NOT_DATA = re.compile(r"\b(VALUES|SELECT|WITH)\b", re.IGNORECASE)
_RESULT_KEYWORDS = frozenset(
    {"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN", "CHECK"}
)
_FIRST_WORD = re.compile(r"[\s(]*([A-Za-z]+)")


@dataclass(frozen=True, slots=True)
class RequestParams:
    """A request's URL parameters sorted by role."""

    sql: str = ""
    database: str | None = None
    default_format: str = DEFAULT_FORMAT
    query_id: str | None = None
    user: str | None = None
    password: str | None = None
    compress_response: bool = False
    decompress_request: bool = False
    params: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)


def request_params(url_params: Mapping[str, str]) -> RequestParams:
    params: dict[str, str] = {}
    settings: dict[str, str] = {}
    for name, value in url_params.items():
        if name.startswith("param_"):
            params[name.removeprefix("param_")] = value
        elif name not in TRANSPORT_PARAMS:
            settings[name] = value
    return RequestParams(
        sql=url_params.get("query", ""),
        database=url_params.get("database") or None,
        default_format=url_params.get("default_format") or DEFAULT_FORMAT,
        query_id=url_params.get("query_id") or None,
        user=url_params.get("user"),
        password=url_params.get("password"),
        compress_response=url_params.get("enable_http_compression") == "1",
        decompress_request=url_params.get("decompress") == "1",
        params=params,
        settings=settings,
    )


@dataclass(frozen=True, slots=True)
class InsertBody:
    """`INSERT INTO ... FORMAT fmt` followed by data: the statement and the data apart."""

    head: str
    fmt: str
    data: bytes


def split_insert(text: bytes) -> InsertBody | None:
    """The INSERT statement and its data, or None when `text` is not an INSERT with data.

    As in ClickHouse, the data begins after the format name, spaces and one line break.
    """
    head = text[:_HEAD_BYTES].decode("latin-1")
    masked = mask(head)
    if not _INSERT.match(masked):
        return None
    clause = _FORMAT_CLAUSE.search(masked)
    if clause is None or _NOT_DATA.search(masked, 0, clause.start()):
        return None
    start = clause.end()
    while start < len(head) and head[start] in " \t\f":
        start += 1
    if head.startswith("\r", start):
        start += 1
    if head.startswith("\n", start):
        start += 1
    statement = text[: clause.start()].decode("utf-8").strip()
    return InsertBody(head=statement, fmt=clause.group(1), data=text[start:])


def output_format(sql: str, default: str) -> str:
    """The format a statement answers in: its trailing FORMAT clause, else `default`."""
    return trailing_format(sql) or default


def produces_result(sql: str) -> bool:
    """Whether the statement yields a result set (reported by X-ClickHouse-Format)."""
    match = _FIRST_WORD.match(mask(sql))
    return match is not None and match.group(1).upper() in _RESULT_KEYWORDS


def content_type(fmt: str) -> str:
    lowered = fmt.lower()
    if lowered.startswith(("tabseparated", "tsv")):
        return "text/tab-separated-values; charset=UTF-8"
    if lowered.startswith("csv"):
        return "text/csv; charset=UTF-8; header=absent"
    if lowered.startswith("json"):
        return "application/json; charset=UTF-8"
    if lowered in ("native", "rowbinary", "parquet", "arrow", "arrowstream", "orc", "avro"):
        return "application/octet-stream"
    return "text/plain; charset=UTF-8"


# ClickHouse's error-code to HTTP status mapping, abridged; anything else is 500.
_STATUS = {
    **dict.fromkeys((192, 193, 194, 516), 401),
    **dict.fromkeys((164, 497), 403),
    **dict.fromkeys((16, 46, 47, 60, 81), 404),
    **dict.fromkeys((6, 26, 27, 36, 38, 41, 43, 53, 62, 72, 73, 115, 117, 386), 400),
    159: 504,
    202: 429,
}


def http_status(code: int | None) -> int:
    return _STATUS.get(code or 0, 500)


def decode_body(data: bytes, encoding: str | None) -> bytes:
    """A request body without its Content-Encoding (several frames/members allowed)."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return data
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "deflate":
        return zlib.decompress(data)
    if encoding == "zstd":
        reader = zstandard.ZstdDecompressor().stream_reader(
            io.BytesIO(data), read_across_frames=True
        )
        return reader.read()
    if encoding == "lz4":
        return _lz4_frames(data)
    msg = f"unsupported Content-Encoding {encoding!r} (lz4, zstd, gzip, deflate are)"
    raise ValueError(msg)


def _lz4_frames(data: bytes) -> bytes:
    """clickhouse-connect sends one LZ4 frame per Native block."""
    out = bytearray()
    while data:
        decompressor = lz4.frame.LZ4FrameDecompressor()
        out += decompressor.decompress(data)
        if not decompressor.eof:
            msg = "truncated lz4 frame in request body"
            raise ValueError(msg)
        data = decompressor.unused_data
    return bytes(out)


def encode_body(data: bytes, accept_encoding: str | None) -> tuple[bytes, str | None]:
    """Compress a response with the first encoding the client accepts that we speak."""
    for item in (accept_encoding or "").split(","):
        name = item.split(";")[0].strip().lower()
        if name == "lz4":
            return lz4.frame.compress(data), name
        if name == "zstd":
            return zstandard.ZstdCompressor().compress(data), name
        if name == "gzip":
            return gzip.compress(data, compresslevel=3), name
        if name == "deflate":
            return zlib.compress(data, 3), name
    return data, None


def form_fields(content_type: str, body: bytes) -> dict[str, str]:
    """The fields of a multipart/form-data body, as clients send long query parameters.

    clickhouse-connect moves the query and its `param_*` values into a form once they would
    not fit a URL; external tables (file parts) are refused with a ValueError.
    """
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        msg = "a multipart/form-data body without parts"
        raise ValueError(msg)
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename() is not None or not isinstance(name, str):
            msg = "external data (file parts) is not supported"
            raise ValueError(msg)
        payload = part.get_payload(decode=True)
        fields[name] = payload.decode("utf-8") if isinstance(payload, bytes) else ""
    return fields
