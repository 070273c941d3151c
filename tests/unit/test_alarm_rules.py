"""The section-2 rules on numbers: fire, hysteresis, minimum volume, reminders, one episode,
explicit resolutions without a rate, and no re-fire inside the cool-down."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agents.alarms import rules
from agents.alarms.model import (
    FIRING,
    HOURS_ENDED,
    NO_INQUIRIES,
    RECOVERED,
    RESOLVED,
    WARNING,
    WaitingBuyer,
)
from agents.alarms.window import Count
from core.settings import ShopSettings

SHOP = ShopSettings()  # threshold 0.80, hysteresis 0.05, min 10, renotify 30 min
T0 = 1_800_000_000_000
MIN = 60_000


def point(minute: int, in_service: bool = True) -> rules.Point:
    at = T0 + minute * MIN
    return rules.Point("s1", at, at - 20 * MIN, at - 5 * MIN, at + 7, in_service)


def alerts_of(counts: list[Count], agent: str = "") -> list[tuple[int, rules.Alert]]:
    """Feed one count per minute; (minute, alert) per alert raised."""
    episode: rules.Episode | None = None
    out = []
    for minute, count in enumerate(counts):
        episode, alert = rules.reply_rate(point(minute), agent, count, episode, SHOP)
        if alert is not None:
            out.append((minute, alert))
    return out


def run(counts: list[Count], agent: str = "") -> list[tuple[int, str, bool, str]]:
    """(minute, state, reminder, alert_id) per alert."""
    return [(m, a.state, a.reminder, a.alert_id) for m, a in alerts_of(counts, agent)]


def test_fires_below_threshold_with_volume_and_resolves_above_hysteresis() -> None:
    counts = [Count(20, 17), Count(20, 15), Count(20, 16), Count(20, 16), Count(20, 17)]
    alerts = run(counts)
    fired = rules.alert_id("reply_rate_5m", "s1", "", T0 + MIN)
    # 16/20 = 0.80 is not below the threshold but below 0.85: still firing, no new alert.
    assert alerts == [(1, FIRING, False, fired), (4, RESOLVED, False, fired)]


def test_exactly_threshold_does_not_fire_and_exact_hysteresis_resolves() -> None:
    assert run([Count(10, 8)]) == []
    assert [a[1] for a in run([Count(10, 7), Count(20, 17)])] == [FIRING, RESOLVED]


def test_minimum_volume_gates_firing_and_the_state_holds_when_volume_drops() -> None:
    assert run([Count(9, 0)]) == []
    # 9 inquiries all answered is not enough evidence to resolve: the alert holds.
    assert [a[:2] for a in run([Count(10, 0), Count(9, 9), Count(3, 0)])] == [(0, FIRING)]


def test_recovery_states_its_reason_and_rate() -> None:
    resolved = alerts_of([Count(10, 0), Count(20, 17)])[-1][1]
    assert (resolved.state, resolved.reason, resolved.value) == (RESOLVED, RECOVERED, 0.85)


def test_an_empty_window_resolves_after_idle_resolve_with_no_rate() -> None:
    counts = [Count(10, 0)] + [Count()] * 31
    alerts = alerts_of(counts)
    assert [(m, a.state) for m, a in alerts] == [(0, FIRING), (31, RESOLVED)]
    resolved = alerts[-1][1]
    assert (resolved.reason, resolved.value, resolved.inquiries) == (NO_INQUIRIES, None, 0)


def test_a_single_inquiry_restarts_the_idle_clock() -> None:
    counts = [Count(10, 0)] + [Count()] * 20 + [Count(1, 1)] + [Count()] * 20
    assert run(counts) == run([Count(10, 0)])


def test_leaving_service_hours_resolves_with_its_reason() -> None:
    episode, fired = rules.reply_rate(point(0), "", Count(10, 0), None, SHOP)
    assert fired is not None and episode is not None
    episode, resolved = rules.reply_rate(point(1, False), "", Count(10, 0), episode, SHOP)
    assert resolved is not None
    assert (resolved.state, resolved.reason, resolved.value) == (RESOLVED, HOURS_ENDED, None)
    # Outside service hours nothing fires either.
    assert rules.reply_rate(point(2, False), "", Count(10, 0), None, SHOP) == (None, None)


def test_no_refire_within_refire_after_unless_below_threshold_minus_hysteresis() -> None:
    recovered = [Count(10, 0), Count(20, 17)]
    # 0.78 is below the threshold but not below 0.75: held back for 15 minutes.
    assert [a[:2] for a in run(recovered + [Count(50, 39)] * 14)] == [(0, FIRING), (1, RESOLVED)]
    assert run(recovered + [Count(50, 39)] * 15)[-1][:2] == (16, FIRING)
    # 0.70 falls further: fires at once.
    assert run(recovered + [Count(10, 7)])[-1][:2] == (2, FIRING)


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


_COUNTS = st.builds(
    lambda total, hit, in_service: (Count(total, min(hit, total)), in_service),
    st.integers(0, 30),
    st.integers(0, 30),
    st.booleans(),
)


@given(st.lists(_COUNTS, max_size=120))
def test_never_resolved_below_threshold_or_for_lack_of_data(
    steps: list[tuple[Count, bool]],
) -> None:
    episode: rules.Episode | None = None
    empty_run = 0
    for minute, (count, in_service) in enumerate(steps):
        empty_run = empty_run + 1 if count.inquiries == 0 else 0
        episode, alert = rules.reply_rate(point(minute, in_service), "", count, episode, SHOP)
        if alert is None or alert.state != RESOLVED:
            continue
        if alert.reason == RECOVERED:
            assert count.inquiries >= SHOP.min_inquiries
            assert alert.value is not None and alert.value >= SHOP.threshold
        elif alert.reason == NO_INQUIRIES:
            assert empty_run > SHOP.idle_resolve_minutes and alert.value is None
        else:
            assert (alert.reason, in_service, alert.value) == (HOURS_ENDED, False, None)


@given(st.lists(_COUNTS, max_size=120))
def test_no_refire_within_refire_after_unless_the_rate_falls_further(
    steps: list[tuple[Count, bool]],
) -> None:
    episode: rules.Episode | None = None
    resolved_at: int | None = None
    for minute, (count, in_service) in enumerate(steps):
        episode, alert = rules.reply_rate(point(minute, in_service), "", count, episode, SHOP)
        if alert is None or alert.reminder:
            continue
        if alert.state == RESOLVED:
            resolved_at = minute
        elif resolved_at is not None and minute - resolved_at < SHOP.refire_after_minutes:
            assert count.rate is not None
            assert count.rate < SHOP.threshold - SHOP.hysteresis


@given(st.lists(_COUNTS, max_size=120))
def test_one_episode_at_a_time_and_reminders_keep_its_id(steps: list[tuple[Count, bool]]) -> None:
    episode: rules.Episode | None = None
    open_id: str | None = None
    for minute, (count, in_service) in enumerate(steps):
        episode, alert = rules.reply_rate(point(minute, in_service), "", count, episode, SHOP)
        if alert is None:
            continue
        if alert.state == FIRING and not alert.reminder:
            assert open_id is None
            open_id = alert.alert_id
        else:
            assert alert.alert_id == open_id
            open_id = None if alert.state == RESOLVED else open_id
