"""Names of shops, agents and buyers, and the identifiers minted for events and documents."""

from __future__ import annotations

import hashlib
from collections import Counter


def shop_id(index: int) -> str:
    """Shops are `s1`, `s2`, ... so incidents can name them on the command line."""
    return f"s{index + 1}"


def agent_id(shop: str, index: int) -> str:
    return f"{shop}-a{index + 1}"


def run_tag(*world: object) -> str:
    """A short digest of what shapes the world (seed, start, sizes, rates, incidents).

    It goes into every identifier: the same configuration mints the same ids, and two runs
    that differ never collide in one topic, where a repeated `event_id` means duplicate.
    """
    return hashlib.blake2b(repr(world).encode(), digest_size=4).hexdigest()


class Mint:
    """Identifiers for one shop; counters, not randomness, so uniqueness is guaranteed."""

    def __init__(self, tag: str, shop_no: int) -> None:
        self._tag = tag
        self._shop_no = shop_no
        self._digits = int(tag, 16) % 100_000
        self._counts: Counter[str] = Counter()

    def _next(self, kind: str) -> int:
        self._counts[kind] += 1
        return self._counts[kind]

    def event_id(self, prefix: str) -> str:
        return f"{prefix}-{self._tag}-{self._shop_no}-{self._next(prefix):06x}"

    def buyer_id(self) -> str:
        return f"pdd_{self._tag}{self._shop_no:02d}{self._next('buyer'):06d}"

    def order_id(self, local_date: str) -> str:
        """Pinduoduo order numbers: `yymmdd-` and fifteen digits."""
        yymmdd = local_date[2:].replace("-", "")
        return f"{yymmdd}-{self._digits:05d}{self._shop_no:02d}{self._next('order'):08d}"

    def refund_id(self) -> str:
        return f"RF{self._digits:05d}{self._shop_no:02d}{self._next('refund'):08d}"

    def complaint_id(self) -> str:
        return f"TS{self._digits:05d}{self._shop_no:02d}{self._next('complaint'):08d}"
