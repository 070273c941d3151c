"""faust streams whose offsets we ack ourselves, only once their rows are stored."""

from __future__ import annotations

from typing import cast

import faust
from faust.types import StreamT


def manual_acks(stream: StreamT) -> faust.Stream:
    """The agent's stream with automatic acks off (faust's typing stops at StreamT)."""
    return cast(faust.Stream, cast(faust.Stream, stream).noack())
