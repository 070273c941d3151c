"""Restart state is written every interval under load, at once when input pauses, and, for a
state that is costly to write, not more often than its gap allows even at pauses."""

from __future__ import annotations

import itertools

from agents.cadence import IDLE_SECONDS, InputClock, restart_state_due, staggered_due


def test_under_load_every_interval() -> None:
    assert not restart_state_due(now=5.0, input_at=5.0, written_at=0.0, interval=10.0)
    assert restart_state_due(now=10.0, input_at=10.0, written_at=0.0, interval=10.0)


def test_at_a_pause_at_once() -> None:
    assert restart_state_due(now=1.01 + IDLE_SECONDS, input_at=1.0, written_at=0.9, interval=10.0)


def test_a_costly_state_waits_its_gap_at_pauses_but_not_past_the_interval() -> None:
    pause = 1.01 + IDLE_SECONDS
    assert not restart_state_due(pause, input_at=1.0, written_at=0.9, interval=10.0, min_gap=2.0)
    assert restart_state_due(3.0, input_at=1.0, written_at=0.9, interval=10.0, min_gap=2.0)
    assert restart_state_due(10.0, input_at=10.0, written_at=0.0, interval=10.0, min_gap=60.0)


def test_partitions_under_load_take_turns_each_within_the_interval() -> None:
    """Four partitions with input all the time, a flush every 0.5 s for two minutes."""
    interval, step = 10.0, 0.5
    written = dict.fromkeys(range(4), 0.0)
    writes: list[tuple[float, int]] = []
    for tick in range(1, 241):
        now = tick * step
        due = staggered_due(
            now, paused_at=now, written_at=written, waiting=range(4), interval=interval
        )
        assert len(due) <= 1
        for partition in due:
            writes.append((now, partition))
            written[partition] = now
    for partition in range(4):
        times = [0.0, *(at for at, p in writes if p == partition), 120.0]
        assert max(b - a for a, b in itertools.pairwise(times)) <= interval
    # Spread: one partition every quarter of the interval.
    assert [at for at, _ in writes[:8]] == [2.5, 5.0, 7.5, 10.0, 12.5, 15.0, 17.5, 20.0]


def test_only_partitions_with_input_and_at_a_pause_all_of_them() -> None:
    written = {0: 0.0, 1: 1.0, 2: 2.0}
    assert staggered_due(9.0, paused_at=9.0, written_at=written, waiting=[], interval=10.0) == []
    assert staggered_due(9.0, paused_at=9.0, written_at=written, waiting=[1, 2], interval=10.0) == [
        1
    ]
    paused = 9.01 + IDLE_SECONDS
    assert staggered_due(paused, 9.0, written, waiting=[2, 0], interval=10.0) == [0, 2]
    # Late turns leave several overdue: each is written, however many.
    assert staggered_due(12.5, 12.5, written, waiting=[0, 1, 2], interval=10.0) == [0, 1, 2]


def test_a_pause_counts_from_the_first_tick_that_saw_no_input() -> None:
    clock = InputClock(input_at=1.0)
    assert clock.paused_at(now=5.0) == 5.0  # no tick yet: input may be waiting in a buffer
    clock.tick(now=5.0)  # the event loop was held up; this tick comes 4 s after the input
    assert not restart_state_due(5.1, clock.paused_at(5.1), written_at=0.0, interval=10.0)
    assert restart_state_due(5.0 + IDLE_SECONDS, clock.paused_at(5.0 + IDLE_SECONDS), 0.0, 10.0)
    clock.input(now=5.1)
    clock.tick(now=5.2)
    clock.tick(now=5.3)  # later ticks keep the first one
    assert clock.paused_at(now=6.0) == 5.2
