"""Work orders: owner, priority and service-hour SLA clocks, and the fold of lifecycle events."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from agents.escalation.rules import Escalation
from agents.escalation.work_orders import Lifecycle, WorkOrder, clocks, fold, fold_all, open_order
from agents.inquiries.hours import ServiceHours, hours_from_settings
from core.settings import KefuSettings, Severity, ShopSettings, WorkOrderSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")
MIN = 60_000


def at(hour: int, minute: int = 0, day: int = 23) -> int:
    return int(datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).timestamp() * 1000)


SETTINGS = KefuSettings(
    shops={"s2": ShopSettings(oncall_owner="s2-duty")},
    work_orders=WorkOrderSettings(leads={"a1": "lead-wang"}),
)
HOURS = hours_from_settings(SETTINGS)


def escalation(
    agent: str = "a1", shop: str = "s1", severity: Severity = "critical", when: int = 0
) -> Escalation:
    return Escalation(
        "e1",
        shop,
        "b1",
        agent,
        "complaint_threat",
        severity,
        when or at(10),
        date(2026, 11, 23),
        "投诉",
    )


def test_owner_is_the_agents_lead_else_the_shops_on_call() -> None:
    assert open_order(escalation(), SETTINGS, HOURS).owner == "lead-wang"
    assert open_order(escalation(agent="a9"), SETTINGS, HOURS).owner == "oncall"
    assert open_order(escalation(agent="", shop="s2"), SETTINGS, HOURS).owner == "s2-duty"


def test_priority_and_clocks_follow_severity() -> None:
    p1 = open_order(escalation(), SETTINGS, HOURS)
    assert (p1.priority, p1.first_action_due, p1.resolve_due) == ("p1", at(10, 15), at(14))
    p2 = open_order(escalation(severity="warning"), SETTINGS, HOURS)
    assert (p2.priority, p2.first_action_due, p2.resolve_due) == ("p2", at(11), at(22))


def test_clocks_pause_outside_service_hours() -> None:
    late = open_order(escalation(when=at(22, 50)), SETTINGS, HOURS)
    assert late.first_action_due == at(8, 5, day=24)
    assert late.resolve_due == at(11, 50, day=24)
    night = open_order(escalation(when=at(2)), SETTINGS, HOURS)
    assert night.first_action_due == at(8, 15)


# Whole minutes, so counting service minutes one by one is exact.
@given(
    st.integers(0, 7 * 1440).map(lambda m: m * MIN), st.integers(0, 3 * 1440).map(lambda m: m * MIN)
)
def test_service_time_between_start_and_deadline_is_the_duration(start: int, duration: int) -> None:
    hours = ServiceHours(SHANGHAI, time(9), time(18))
    begin = at(0) + start
    due = hours.add_service_ms(begin, duration)
    counted = sum(
        1
        for minute in range(hours.effective_open_ms(begin), due, MIN)
        if hours.effective_open_ms(minute) == minute
    )
    assert counted == duration // MIN
    assert hours.effective_open_ms(due - 1) == due - 1 or duration == 0


def run(order: WorkOrder, *events: tuple[str, int]) -> WorkOrder:
    for action, when in events:
        order = fold(order, Lifecycle(order.work_order_id, action, when, to="lead-li"))  # type: ignore[arg-type]
    return order


def test_lifecycle_fold() -> None:
    order = open_order(escalation(), SETTINGS, HOURS)
    assigned = run(order, ("assigned", at(10, 1)))
    assert (assigned.state, assigned.owner, assigned.first_action_at) == (
        "assigned",
        "lead-li",
        None,
    )
    acted = run(assigned, ("acted", at(10, 10)), ("acted", at(10, 20)))
    assert (acted.state, acted.first_action_at, acted.breached_first_action) == (
        "acted",
        at(10, 10),
        0,
    )
    done = run(acted, ("resolved", at(15)))
    assert (done.state, done.resolved_at, done.breached_resolve) == ("resolved", at(15), 1)
    again = run(done, ("reopened", at(15, 5)))
    assert (again.state, again.resolved_at, again.breached_resolve) == ("acted", None, 1)


def test_resolving_unacted_counts_as_first_action_and_late_action_breaches() -> None:
    order = open_order(escalation(), SETTINGS, HOURS)
    done = run(order, ("resolved", at(10, 30)))
    assert (done.first_action_at, done.breached_first_action, done.breached_resolve) == (
        at(10, 30),
        1,
        0,
    )


def test_clocks_breach_only_undone_work_in_time_order() -> None:
    order = open_order(escalation(), SETTINGS, HOURS)
    ticks = clocks(order)
    assert [(c.action, c.at) for c in ticks] == [
        ("first_action_due", at(10, 15)),
        ("resolve_due", at(14)),
    ]
    acted_in_time = Lifecycle("e1", "acted", at(10, 15))
    late = fold_all(order, [*ticks, Lifecycle("e1", "resolved", at(14, 1))])
    assert (late.breached_first_action, late.breached_resolve) == (1, 1)
    # Arrival order does not matter: the clock of 10:15 comes after an action at 10:15.
    for events in ([*ticks, acted_in_time], [acted_in_time, *ticks]):
        done = fold_all(order, events)
        assert (done.breached_first_action, done.breached_resolve) == (0, 1)


def test_a_breach_alert_names_the_order_and_renders_as_written() -> None:
    from agents.escalation.book import FIRST_ACTION_SLA, sla_alerts
    from agents.notify.message import render

    order = fold_all(
        open_order(escalation(), SETTINGS, HOURS),
        clocks(open_order(escalation(), SETTINGS, HOURS))[:1],
    )
    alerts = sla_alerts(order, (0, 0), at(10, 16))
    assert [(a.alert_id, a.rule, a.event_time_ms) for a in alerts] == [
        (f"{FIRST_ACTION_SLA}:e1", FIRST_ACTION_SLA, at(10, 15))
    ]
    assert sla_alerts(order, (1, 0), at(10, 16)) == []
    shown = render(alerts[0], SETTINGS)
    assert shown.title == "【工单超时】店铺 s1 工单 e1 首次处理超时"
    assert "lead-wang" in shown.body and "kefu orders act e1" in shown.body
    assert shown.severity == "critical"
