"""Store errors: a ClickHouse error means "retry later" or is a StoreError with its message."""

from __future__ import annotations

import re

from core.errors import KefuError, RetryLater

# ClickHouse error codes that describe a busy or briefly absent server, not a wrong statement.
TRANSIENT_CODES = frozenset(
    {
        159,  # TIMEOUT_EXCEEDED
        202,  # TOO_MANY_SIMULTANEOUS_QUERIES
        209,  # SOCKET_TIMEOUT
        210,  # NETWORK_ERROR
        241,  # MEMORY_LIMIT_EXCEEDED
        242,  # TABLE_IS_READ_ONLY
        243,  # NOT_ENOUGH_SPACE: an operator frees the disk, the same insert then succeeds
        252,  # TOO_MANY_PARTS
        279,  # ALL_CONNECTION_TRIES_FAILED
        319,  # UNKNOWN_STATUS_OF_INSERT
        425,  # SYSTEM_ERROR
        999,  # KEEPER_EXCEPTION
    }
)

_CODE = re.compile(r"Code:\s*(\d+)")


class StoreError(KefuError):
    """ClickHouse rejected a statement; retrying the same statement cannot help."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def error_code(message: str) -> int | None:
    """The ClickHouse error code named in a message (`Code: 60. DB::Exception: ...`)."""
    match = _CODE.search(message)
    return int(match.group(1)) if match else None


def clickhouse_message(message: str) -> str:
    """The ClickHouse part of an error text, from `Code: ` on, without driver preamble."""
    start = message.find("Code: ")
    return (message[start:] if start >= 0 else message).strip()


def from_clickhouse(message: str, code: int | None = None) -> StoreError | RetryLater:
    """Classify a ClickHouse error message as transient (RetryLater) or not (StoreError)."""
    text = clickhouse_message(message)
    code = code if code is not None else error_code(text)
    if code in TRANSIENT_CODES:
        return RetryLater(f"ClickHouse is busy: {text}")
    return StoreError(text, code)


class SinkUnavailable(KefuError):
    """The store kept failing past the give-up time: the worker exits for its supervisor."""
