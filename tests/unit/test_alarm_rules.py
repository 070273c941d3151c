"""The alarm rules on numbers: fire, hysteresis, holding below the minimum volume, idle and
end-of-service resolutions, no re-fire within refire_after, reminders, one episode."""

from __future__ import annotations

from datetime import time

from hypothesis import given
from hypothesis import strategies as st

from agents.alarms import rules
from agents.alarms.model import (
    FIRING,
    NO_INQUIRIES,
    RESOLVED,
    SERVICE_ENDED,
    WARNING,
    Alert,
    WaitingBuyer,
)
from agents.alarms.window import Count
from core.settings import ShopSettings

SHOP = ShopSettings()  # threshold 0.80, hysteresis 0.05, min 10, renotify 30 min
T0 = 1_800_000_000_000  # 16:00 in Shanghai: inside the default service hours for hours
MIN = 60_000


def point(minute: int) -> rules.Point:
    at = T0 + minute * MIN
    return rules.Point("s1", at, at - 20 * MIN, at - 5 * MIN, at + 7)


def alerts_of(counts: list[Count], shop: ShopSettings = SHOP, agent: str = "") -> list[Alert]:
    """Feed one count per minute, as ShopAlarms does; every alert raised."""
    episode: rules.Episode | None = None
    resolved: int | None = None
    out = []
    for minute, count in enumerate(counts):
        at = point(minute)
        episode, alert = rules.reply_rate(at, agent, count, episode, shop, resolved)
        if alert is not None:
            if alert.state == RESOLVED:
                resolved = at.at_ms
            out.append(alert)
    return out


def run(counts: list[Count], agent: str = "") -> list[tuple[int, str, bool, str]]:
    """(minute, state, reminder, alert_id) per alert."""
    return [
        ((a.event_time_ms - T0) // MIN, a.state, a.reminder, a.alert_id)
        for a in alerts_of(counts, agent=agent)
    ]


def test_fires_below_threshold_with_volume_and_resolves_above_hysteresis() -> None:
    counts = [Count(20, 17), Count(20, 15), Count(20, 16), Count(20, 16), Count(20, 17)]
    alerts = run(counts)
    fired = rules.alert_id("reply_rate_5m", "s1", "", T0 + MIN)
    # 16/20 = 0.80 is not below the threshold but below 0.85: still firing, no new alert.
    assert alerts == [(1, FIRING, False, fired), (4, RESOLVED, False, fired)]


def test_exactly_threshold_does_not_fire_and_exact_hysteresis_resolves() -> None:
    assert run([Count(10, 8)]) == []
    assert [a[1] for a in run([Count(10, 7), Count(20, 17)])] == [FIRING, RESOLVED]


def test_minimum_volume_gates_firing_and_the_state_holds_below_it() -> None:
    assert run([Count(9, 0)]) == []
    # Nine inquiries, none answered: not a reason to tell the lead all is well.
    assert [a[:2] for a in run([Count(10, 0), Count(9, 0), Count(3, 3)])] == [(0, FIRING)]


def test_an_empty_window_resolves_after_idle_resolve_with_the_reason_and_no_rate() -> None:
    alerts = alerts_of([Count(10, 0)] + [Count()] * 40)
    # Empty from minute 1 on: at minute 30 it has seen no inquiry for 30 minutes.
    assert [(a.state, (a.event_time_ms - T0) // MIN) for a in alerts] == [
        (FIRING, 0), (RESOLVED, 30)
    ]  # fmt: skip
    resolved = alerts[-1]
    assert (resolved.value, resolved.reason) == (None, NO_INQUIRIES)


def test_some_inquiries_keep_an_idle_alert_open() -> None:
    counts = [Count(10, 0)] + [Count(2, 0), Count()] * 20
    assert [a.state for a in alerts_of(counts)] == [FIRING, FIRING]  # the second a reminder


def test_the_end_of_service_hours_resolves_with_the_reason() -> None:
    closing = ShopSettings(service_end=time(16, 3))
    alerts = alerts_of([Count(10, 0)] * 5, closing)
    assert [(a.state, a.reason) for a in alerts] == [(FIRING, ""), (RESOLVED, SERVICE_ENDED)]
    assert alerts[-1].value is None


def test_no_refire_within_refire_after_unless_the_rate_falls_further() -> None:
    back_and_forth = [Count(20, 15), Count(20, 17), Count(20, 15), Count(20, 15)]
    assert [a.state for a in alerts_of(back_and_forth)] == [FIRING, RESOLVED]
    worse = [Count(20, 15), Count(20, 17), Count(20, 15), Count(20, 14)]
    assert [a.state for a in alerts_of(worse)] == [FIRING, RESOLVED, FIRING]
    later = [Count(20, 15), Count(20, 17)] + [Count(20, 17)] * 14 + [Count(20, 15)]
    assert [a.state for a in alerts_of(later)] == [FIRING, RESOLVED, FIRING]


@given(
    st.lists(
        st.integers(0, 25).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
        max_size=120,
    )
)
def test_never_resolved_below_the_threshold_nor_for_lack_of_data(
    windows: list[tuple[int, int]],
) -> None:
    alerts = alerts_of([Count(n, w) for n, w in windows])
    last_resolved: int | None = None
    for alert in alerts:
        if alert.state == RESOLVED:
            if alert.reason:
                assert alert.value is None and alert.inquiries == 0
            else:
                assert alert.inquiries >= SHOP.min_inquiries
                assert alert.value is not None and alert.value >= 0.85 - 1e-9
            last_resolved = alert.event_time_ms
        elif alert.state == FIRING and not alert.reminder and last_resolved is not None:
            soon = alert.event_time_ms - last_resolved < SHOP.refire_after_minutes * MIN
            assert not soon or (alert.value is not None and alert.value < 0.75)


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
