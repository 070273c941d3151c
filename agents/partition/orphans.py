"""Open inquiries that an earlier generation left behind, settled by this one.

A new broker or a recreated topic starts a partition's state empty, while the store may
still hold inquiries that were open when the earlier run stopped. Nothing would ever close
them: the waiting-buyer count would show ghosts forever. The new generation takes them
over: one it writes again itself (a re-run of the same input) is simply replaced; one whose
opening message it applied without making it an inquiry (the earlier run had not seen an
earlier message it joins) is deleted once its deadline has passed; one it never hears of
again is settled as missed then, which is all the input says about it
(docs/metrics.md#event-time-lateness-and-duplicates).
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date
from operator import attrgetter
from typing import Any

from schemas.inquiry import DEADLINE_MS, MISSED, Inquiry
from schemas.packed import partition_for
from sinks.store import Store

RowKey = tuple[str, str, str]
_COLUMNS = [f.name for f in fields(Inquiry)]
_DATE = _COLUMNS.index("business_date")
# Not dataclasses.astuple: it deep-copies every field, and a new generation may take over
# hundreds of thousands of open inquiries, dumped at each checkpoint until they settle.
_BEFORE_DATE = attrgetter(*_COLUMNS[:_DATE])
_AFTER_DATE = attrgetter(*_COLUMNS[_DATE + 1 :])

# The columns of an Inquiry, as the store returns them for OPEN_SQL.
OPEN_SQL = """
SELECT shop_id, buyer_id, inquiry_id, agent_id,
       toUnixTimestamp64Milli(opened_at), toUnixTimestamp64Milli(effective_opened_at),
       NULL, NULL, NULL, within_30s, within_3m, within_5m, business_date, status, in_8_23, NULL
FROM {database}.inquiries FINAL
WHERE status = 'open'
"""


def left_open(store: Store, partition: int, partitions: int) -> list[Inquiry]:
    """The stored open inquiries of one events partition (blocking: run it in a thread)."""
    rows = store.query(OPEN_SQL.format(database=store.database)).rows
    return [Inquiry(*row) for row in rows if partition_for(row[0], row[1], partitions) == partition]


class Orphans:
    """Open inquiries of earlier generations, by row key, until written again or settled."""

    def __init__(self) -> None:
        self._open: dict[RowKey, Inquiry] = {}
        self._heard: set[RowKey] = set()  # their opening message was applied again
        self.changed = False

    def __len__(self) -> int:
        return len(self._open)

    def adopt(self, inquiries: list[Inquiry]) -> None:
        for inquiry in inquiries:
            self._open[_key(inquiry)] = inquiry
        self.changed = True

    def written(self, inquiry: Inquiry) -> None:
        """This generation wrote the row itself: its version wins, nothing to settle."""
        key = _key(inquiry)
        if self._open.pop(key, None) is not None:
            self._heard.discard(key)
            self.changed = True

    def heard(self, shop_id: str, buyer_id: str, event_id: str) -> None:
        """This generation applied a chat message; if it opened an orphan, note it."""
        key = (shop_id, buyer_id, event_id)
        if key in self._open and key not in self._heard:
            self._heard.add(key)
            self.changed = True

    def settle(self, horizon_ms: int) -> list[tuple[Inquiry, bool]]:
        """Those whose deadline this generation's event time has passed: (missed row, deleted)."""
        due = [
            key
            for key, inquiry in self._open.items()
            if inquiry.effective_opened_at_ms + DEADLINE_MS <= horizon_ms
        ]
        if due:
            self.changed = True
        out = [(replace(self._open.pop(key), status=MISSED), key in self._heard) for key in due]
        self._heard -= set(due)
        return out

    def dump(self) -> list[list[Any]]:
        self.changed = False
        return [
            [*_BEFORE_DATE(i), i.business_date.isoformat(), *_AFTER_DATE(i), key in self._heard]
            for key, i in self._open.items()
        ]

    def load(self, items: list[list[Any]]) -> None:
        self._open, self._heard = {}, set()
        width = len(fields(Inquiry))
        for item in items:
            inquiry = Inquiry(*item[:width])
            inquiry.business_date = date.fromisoformat(item[_DATE])
            self._open[_key(inquiry)] = inquiry
            if item[width:] == [True]:
                self._heard.add(_key(inquiry))
        self.changed = False


def _key(inquiry: Inquiry) -> RowKey:
    return (inquiry.shop_id, inquiry.buyer_id, inquiry.inquiry_id)
