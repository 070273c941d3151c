"""A conversation's redelivery memory: the ids of its events, packed (docs/metrics.md,
"Escalations and work orders", Redeliveries).

A conversation is kept for up to two days of quiet, and its ids with it; as a dict of id
strings to event times each id cost about 100 bytes (the string outlives the dedup windows
of the other stages), here 16: a record of a stable 8-byte digest of the id and the 8-byte
event time, the records back to back in one bytearray, which `bytes.find` searches in C.
Two ids of one conversation share a digest with odds of about n² / 2⁶⁵ for n ids (n ≤ 64
before pruning).
"""

from __future__ import annotations

import struct
from hashlib import blake2b

RECORD = struct.Struct("<qq")  # digest, event time (ms)
_SIZE = RECORD.size
_TIME = struct.Struct("<q")


def new() -> bytearray:
    return bytearray()


def digest(event_id: str) -> bytes:
    """The same in every process (Python's str hashes are salted per process), so a
    restored snapshot still recognises the ids it holds."""
    return blake2b(event_id.encode(), digest_size=8).digest()


def holds(seen: bytearray, key: bytes) -> bool:
    """Whether `key` is one of the records' digests (a match across fields never counts)."""
    at = seen.find(key)
    while at >= 0:
        if at % _SIZE == 0:
            return True
        at = seen.find(key, at + 1)
    return False


def add(seen: bytearray, key: bytes, at_ms: int) -> None:
    seen += key
    seen += _TIME.pack(at_ms)


def count(seen: bytearray) -> int:
    return len(seen) // _SIZE


def since(seen: bytearray, floor_ms: int) -> bytearray:
    """The records of events at or after `floor_ms`, in their order."""
    kept = new()
    for key, at in RECORD.iter_unpack(seen):
        if at >= floor_ms:
            kept += RECORD.pack(key, at)
    return kept


def dump(seen: bytearray) -> list[int]:
    """[digest, time, digest, time, ...], the digests as signed little-endian integers."""
    return [value for record in RECORD.iter_unpack(seen) for value in record]


def load(data: list[int] | dict[str, int]) -> bytearray:
    """From `dump`, or from a snapshot's {event id: time} of before this packing."""
    if isinstance(data, dict):
        seen = new()
        for ident, at in data.items():
            add(seen, digest(ident), at)
        return seen
    return bytearray(struct.pack(f"<{len(data)}q", *data))
