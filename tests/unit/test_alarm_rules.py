"""The section-2 rules on numbers: fire, hysteresis, minimum volume, reminders, one episode."""

from __future__ import annotations

from agents.alarms import rules
from agents.alarms.model import FIRING, RESOLVED, WARNING, WaitingBuyer
from agents.alarms.window import Count
from core.settings import ShopSettings

SHOP = ShopSettings()  # threshold 0.80, hysteresis 0.05, min 10, renotify 30 min
T0 = 1_800_000_000_000
MIN = 60_000


def point(minute: int) -> rules.Point:
    at = T0 + minute * MIN
    return rules.Point("s1", at, at - 20 * MIN, at - 5 * MIN, at + 7)


def run(counts: list[Count], agent: str = "") -> list[tuple[int, str, bool, str]]:
    """Feed one count per minute; (minute, state, reminder, alert_id) per alert."""
    episode: rules.Episode | None = None
    out = []
    for minute, count in enumerate(counts):
        episode, alert = rules.reply_rate(point(minute), agent, count, episode, SHOP)
        if alert is not None:
            out.append((minute, alert.state, alert.reminder, alert.alert_id))
    return out


def test_fires_below_threshold_with_volume_and_resolves_above_hysteresis() -> None:
    counts = [Count(20, 17), Count(20, 15), Count(20, 16), Count(20, 16), Count(20, 17)]
    alerts = run(counts)
    fired = rules.alert_id("reply_rate_5m", "s1", "", T0 + MIN)
    # 16/20 = 0.80 is not below the threshold but below 0.85: still firing, no new alert.
    assert alerts == [(1, FIRING, False, fired), (4, RESOLVED, False, fired)]


def test_exactly_threshold_does_not_fire_and_exact_hysteresis_resolves() -> None:
    assert run([Count(10, 8)]) == []
    assert [a[1] for a in run([Count(10, 7), Count(20, 17)])] == [FIRING, RESOLVED]


def test_minimum_volume_gates_firing_and_resolves_when_volume_drops() -> None:
    assert run([Count(9, 0)]) == []
    assert [a[:2] for a in run([Count(10, 0), Count(9, 0)])] == [(0, FIRING), (1, RESOLVED)]


def test_reminders_every_renotify_keep_the_alert_id() -> None:
    alerts = run([Count(12, 3)] * 61)
    assert [(m, s, r) for m, s, r, _ in alerts] == [
        (0, FIRING, False), (30, FIRING, True), (60, FIRING, True)
    ]  # fmt: skip
    assert len({a[3] for a in alerts}) == 1


def test_a_new_episode_after_resolution_gets_a_new_id() -> None:
    alerts = run([Count(10, 0), Count(10, 10), Count(10, 0)])
    assert [a[1] for a in alerts] == [FIRING, RESOLVED, FIRING]
    assert alerts[0][3] != alerts[2][3]


def test_agent_alert_ids_name_the_agent() -> None:
    assert run([Count(10, 0)], agent="s1-a1")[0][3] == f"reply_rate_5m:s1:s1-a1:{T0}"


def test_waiting_warning_lists_buyers_with_numbers() -> None:
    buyers = [WaitingBuyer("b2", "s1-a1", 280.0), WaitingBuyer("b1", "", 245.0)]
    alert = rules.waiting_buyers(point(0), buyers, SHOP)
    assert alert is not None
    assert (alert.state, alert.inquiries, alert.value, alert.threshold) == (
        WARNING,
        2,
        280.0,
        240.0,
    )
    assert (alert.window_start_ms, alert.window_end_ms) == (T0 - 5 * MIN, T0 - 4 * MIN)
    assert rules.waiting_buyers(point(0), [], SHOP) is None
