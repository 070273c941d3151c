"""When a stage writes its restart state (checkpoint, snapshot) and acks the input it covers.

Under load, every `interval` seconds: the state costs CPU in proportion to what changed, so
writing it less often is cheaper, and a crash replays at most that much input. When input
pauses for IDLE_SECONDS, at once: a quiet partition's acks, and replay's wait for them,
never sit out the interval.
"""

from __future__ import annotations

IDLE_SECONDS = 0.2


def restart_state_due(
    now: float, input_at: float, written_at: float, interval: float, min_gap: float = 0.0
) -> bool:
    """`min_gap` spaces the writes at pauses, for a state that is costly to write."""
    paused = now - input_at >= IDLE_SECONDS and now - written_at >= min_gap
    return paused or now - written_at >= interval
