"""Lines of .jsonl and .jsonl.gz files, as the bytes they hold."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from core.errors import KefuError


def read_lines(path: Path) -> Iterator[bytes]:
    """Non-blank lines without their line ending; a blank line is spacing, not a message."""
    try:
        handle = cast(IO[bytes], gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb"))
    except OSError as exc:
        msg = f"cannot read {path}: {exc.strerror or exc}"
        raise KefuError(msg) from exc
    with handle:
        try:
            for line in handle:
                stripped = line.rstrip(b"\r\n")
                if stripped.strip():
                    yield stripped
        except (OSError, EOFError) as exc:
            msg = f"cannot read {path}: {exc}"
            raise KefuError(msg) from exc
