"""Inquiry row changes, keyed by shop, from the stateful stage to shop-level consumers (alarms).

The stateful stage is partitioned by buyer, so a shop's inquiries are spread over every
events partition. After each stored flush, each source partition sends every shop
partition one message: the changed rows for its shops and the source's event-time
horizon. A consumer's event time is the minimum horizon over all source partitions, and
by then every row with an earlier effective opening is final for the reply deadlines.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass

import orjson

from schemas.inquiry import Inquiry, InquiryChange

FORMAT_VERSION = 1


@dataclass(slots=True)
class ChangedInquiry:
    """What a shop-level consumer needs of one row; upserts and deletions carry a version.

    Not frozen, as one is made per row change (see schemas.inquiry).
    """

    shop_id: str
    buyer_id: str
    inquiry_id: str
    agent_id: str
    effective_opened_at_ms: int
    answered_at_ms: int | None
    within_5m: int
    status: str
    version: int
    deleted: bool

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.shop_id, self.buyer_id, self.inquiry_id)


@dataclass(frozen=True, slots=True)
class ChangesMessage:
    source_partition: int
    horizon_ms: int
    changes: list[ChangedInquiry]


def shop_partition(shop_id: str, partitions: int) -> int:
    return zlib.crc32(shop_id.encode()) % partitions


def changed(change: InquiryChange, version: int) -> ChangedInquiry:
    row: Inquiry = change.inquiry
    return ChangedInquiry(
        row.shop_id,
        row.buyer_id,
        row.inquiry_id,
        row.agent_id,
        row.effective_opened_at_ms,
        row.answered_at_ms,
        row.within_5m,
        row.status,
        version,
        change.deleted,
    )


def encode_for_shops(
    source_partition: int, horizon_ms: int, changes: list[ChangedInquiry], partitions: int
) -> dict[int, bytes]:
    """One message per shop partition, sent even when empty: it carries the horizon."""
    by_target: dict[int, list[list[object]]] = defaultdict(list)
    for c in changes:
        by_target[shop_partition(c.shop_id, partitions)].append(
            [c.shop_id, c.buyer_id, c.inquiry_id, c.agent_id, c.effective_opened_at_ms,
             c.answered_at_ms, c.within_5m, c.status, c.version, int(c.deleted)]
        )  # fmt: skip
    return {
        target: orjson.dumps(
            {
                "v": FORMAT_VERSION,
                "source": source_partition,
                "horizon": horizon_ms,
                "changes": by_target.get(target, []),
            }
        )  # fmt: skip
        for target in range(partitions)
    }


def decode(value: bytes) -> ChangesMessage:
    body = orjson.loads(value)
    if body.get("v") != FORMAT_VERSION:
        msg = f"inquiry changes format {body.get('v')!r} is not {FORMAT_VERSION}"
        raise ValueError(msg)
    changes = [
        ChangedInquiry(s, b, i, a, e, ans, w, st, ver, bool(d))
        for s, b, i, a, e, ans, w, st, ver, d in body["changes"]
    ]
    return ChangesMessage(body["source"], body["horizon"], changes)
