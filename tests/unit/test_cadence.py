"""Restart state is written every interval under load, at once when input pauses, and, for a
state that is costly to write, not more often than its gap allows even at pauses."""

from __future__ import annotations

from agents.cadence import IDLE_SECONDS, restart_state_due


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
