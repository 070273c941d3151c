"""JSON-lines files, plain or gzip by suffix, byte-for-byte reproducible."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import orjson

_BATCH = 2_000


def _open(stack: ExitStack, path: Path) -> IO[bytes] | gzip.GzipFile:
    raw = stack.enter_context(path.open("wb"))
    if path.suffix != ".gz":
        return raw
    # No file name and mtime 0 in the header, so the same seed gives the same bytes.
    return stack.enter_context(
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
    )


def write_jsonl(events: Iterable[dict[str, Any] | bytes], path: str | os.PathLike[str]) -> int:
    """Write one line per item (dicts via orjson, bytes as they are); returns the count."""
    target = Path(path)
    count = 0
    with ExitStack() as stack:
        sink = _open(stack, target)
        batch: list[bytes] = []
        for item in events:
            batch.append(item if isinstance(item, bytes) else orjson.dumps(item))
            if len(batch) >= _BATCH:
                sink.write(b"\n".join(batch) + b"\n")
                count += len(batch)
                batch.clear()
        if batch:
            sink.write(b"\n".join(batch) + b"\n")
            count += len(batch)
    return count
