"""faust streams whose offsets we ack ourselves, only once their rows are stored."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, cast

import faust
from faust.types import EventT, StreamT

from sinks.writer import BatchWriter

log = logging.getLogger(__name__)

Row = tuple[Any, ...]
BATCH = 1000


def manual_acks(stream: StreamT) -> faust.Stream:
    """The agent's stream with automatic acks off (faust's typing stops at StreamT)."""
    return cast(faust.Stream, cast(faust.Stream, stream).noack())


async def unacked_batches(
    manual: faust.Stream, size: int, within: float
) -> AsyncIterator[Sequence[EventT]]:
    """Batches of events from a `manual_acks` stream, none of them acked by faust.

    Not take_events: it acks each batch itself once the loop body returns, or when it
    raises, so input would be committed before its effects are stored.
    """
    async for taken in manual.noack_take(size, within=within):
        yield cast(Sequence[EventT], taken)


def rows_of_ours(decode: Callable[[bytes], Row], what: str) -> Callable[[EventT], Row | None]:
    """`store_rows`' row function for a topic only our own stages write: a record that does
    not decode is our bug, logged with its offset and skipped, not input to dead-letter."""

    def row(event: EventT) -> Row | None:
        try:
            return decode(event.value)
        except (ValueError, KeyError, TypeError):
            log.exception("cannot store %s at offset %d", what, event.message.offset)
            return None

    return row


async def store_rows(
    stream: StreamT,
    writer: BatchWriter,
    table: str,
    row: Callable[[EventT], Row | None],
    within: float,
) -> None:
    """A low-volume topic into one table: one insert per batch, acked once it is stored.

    `row` returns None for a message it cannot turn into a row (and says why itself).
    """
    manual = manual_acks(stream)
    async for batch in unacked_batches(manual, BATCH, within):
        for event in batch:
            made = row(event)
            if made is not None:
                writer.add(table, made)
        # The token names the whole offset span: a batch re-read after a crash that is
        # longer than the stored one must not be dropped as a duplicate of it.
        first, last = batch[0].message, batch[-1].message
        await writer.flush(token_prefix=f"{table}:{first.partition}:{first.offset}-{last.offset}")
        for event in batch:
            await manual.ack(event)
