"""When a stage writes its restart state (checkpoint, snapshot) and acks the input it covers.

Under load, every `interval` seconds: the state costs CPU in proportion to what changed, so
writing it less often is cheaper, and a crash replays at most that much input. When input
pauses for IDLE_SECONDS, at once: a quiet partition's acks, and replay's wait for them,
never sit out the interval.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

IDLE_SECONDS = 0.2


def restart_state_due(
    now: float, input_at: float, written_at: float, interval: float, min_gap: float = 0.0
) -> bool:
    """`min_gap` spaces the writes at pauses, for a state that is costly to write."""
    return (_paused(now, input_at) and now - written_at >= min_gap) or now - written_at >= interval


def _paused(now: float, paused_at: float) -> bool:
    return now - paused_at >= IDLE_SECONDS


@dataclass(slots=True)
class InputClock:
    """When input last came, and when a timer tick first found it quiet after that.

    A pause counts from that tick, not from the last input: after the event loop was held up
    (a checkpoint, another stage's snapshot), input may wait in faust's buffer while the
    timer runs first, and that is no pause to write every partition's state at once.
    """

    input_at: float = 0.0
    quiet_since: float | None = None  # no tick since the last input

    def input(self, now: float) -> None:
        self.input_at, self.quiet_since = now, None

    def tick(self, now: float) -> None:
        """The stage's timer: input has been quiet since at least now."""
        if self.quiet_since is None:
            self.quiet_since = now

    def paused_at(self, now: float) -> float:
        """When input paused, for `restart_state_due`; `now` until a tick has seen it quiet."""
        return now if self.quiet_since is None else self.quiet_since

    def state_due(
        self, now: float, written_at: float, interval: float, min_gap: float = 0.0
    ) -> bool:
        """`restart_state_due`, the pause counted from this clock."""
        return restart_state_due(now, self.paused_at(now), written_at, interval, min_gap)


def staggered_due(
    now: float,
    paused_at: float,
    written_at: Mapping[int, float],
    waiting: Collection[int],
    interval: float,
) -> list[int]:
    """The partitions, of those `waiting` (input since their last write), to write now;
    `paused_at`: when input was last seen to pause (InputClock.paused_at).

    `written_at` holds every partition's last write (or start). Under load they take turns,
    one every `interval` / their number, the oldest first: written all at once, they held
    the event loop for up to 0.3 s every interval, the tail of event → stored
    (BENCHMARKS.md, Latency). Each still writes at most `interval` after its last, and at a
    pause all at once, as `restart_state_due` says.
    """
    ready = sorted(waiting)
    if not ready or _paused(now, paused_at):
        return ready
    overdue = [p for p in ready if now - written_at[p] >= interval]
    if overdue:
        return overdue
    if now - max(written_at.values()) >= interval / len(written_at):
        return [min(ready, key=lambda p: written_at[p])]
    return []
