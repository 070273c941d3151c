"""Shifts by hand: service 08:00-23:00 (slots 16 to 46), 8 h shifts with a half-hour break
in hours 2 to 6, and 4 h shifts without one."""

from __future__ import annotations

from datetime import date, time

import pytest
from pydantic import ValidationError

from core.settings import ShiftSettings
from planning.errors import PlanningError
from planning.shifts import ShiftRules, schedule_day, slot_of

DAY = date(2026, 12, 7)  # a Monday
SERVICE = (time(8, 0), time(23, 0))


def need(spans: list[tuple[str, str, int]]) -> list[int]:
    required = [0] * 48
    for start, end, agents in spans:
        for slot in range(slot_of(time.fromisoformat(start)), slot_of(time.fromisoformat(end))):
            required[slot] += agents
    return required


def test_a_flat_requirement_without_breaks_is_covered_exactly_by_full_shifts() -> None:
    # 2 agents 09:00-17:00 and 4 h shifts only: two shifts, nothing over, nothing short.
    rules = ShiftRules(lengths_hours=(4.0,))
    plan = schedule_day(DAY, need([("09:00", "17:00", 2)]), rules, SERVICE)
    assert plan.scheduled() == plan.required
    assert sorted((s.start_slot, s.agents) for s in plan.shifts) == [(18, 2), (26, 2)]


def test_a_break_is_covered_by_two_short_shifts_not_left_short() -> None:
    # One agent 08:00-16:00: an 8 h shift would leave its break half hour short, so the
    # schedule is two 4 h shifts, exact. With one agent on 8 h shifts, the break is short.
    required = need([("08:00", "16:00", 1)])
    plan = schedule_day(DAY, required, ShiftRules(), SERVICE)
    assert plan.scheduled() == required
    assert sorted((s.start_slot, s.hours) for s in plan.shifts) == [(16, 4.0), (24, 4.0)]
    eight = schedule_day(
        DAY, required, ShiftRules(lengths_hours=(8.0,), max_agents_per_day=1), SERVICE
    )
    assert [(s.start_slot, s.agents) for s in eight.shifts] == [(16, 1)]
    (shift,) = eight.shifts
    assert shift.break_slot is not None and 20 <= shift.break_slot < 28  # not in 2 h of an end
    assert eight.under_covered() == 1


def test_a_peak_gets_a_short_shift() -> None:
    # One agent over the 15 h service day and one more for the 19:00-23:00 peak: the day
    # needs 1 h of overlap whatever the shifts, and the peak is one 4 h shift from 19:00.
    rules = ShiftRules(lengths_hours=(8.0, 4.0), break_from_hours=9.0)  # no breaks here
    required = need([("08:00", "16:00", 1), ("16:00", "23:00", 1), ("19:00", "23:00", 1)])
    plan = schedule_day(DAY, required, rules, SERVICE)
    assert plan.under_covered() == 0
    peak = [s for s in plan.shifts if s.start_slot == slot_of(time(19, 0)) and s.hours == 4.0]
    assert peak and sum(s.agents for s in peak) >= 1
    assert sum(plan.scheduled()) - sum(required) == 2


def test_nothing_is_short_while_agents_suffice() -> None:
    required = need([("10:00", "20:00", 3), ("12:00", "14:00", 2)])
    plan = schedule_day(DAY, required, ShiftRules(max_agents_per_day=20), SERVICE)
    assert plan.under_covered() == 0


def test_under_coverage_only_when_the_agent_limit_binds() -> None:
    # 3 agents 08:00-16:00 with 8 h shifts only and no breaks, but at most 2 agents: one short
    # in each of the 16 half hours, and the two that work cover the whole span.
    rules = ShiftRules(lengths_hours=(8.0,), break_from_hours=9.0, max_agents_per_day=2)
    plan = schedule_day(DAY, need([("08:00", "16:00", 3)]), rules, SERVICE)
    assert plan.under_covered() == 16
    assert [(s.start_slot, s.agents) for s in plan.shifts] == [(16, 2)]


def test_the_roster_days_off_limit_the_agents_of_the_day() -> None:
    rules = ShiftRules(
        lengths_hours=(8.0,),
        break_from_hours=9.0,
        days_off={"a1": ("mon",), "a2": ("2026-12-07",), "a3": ("sat", "sun"), "a4": ()},
    )
    assert rules.agents_on(DAY) == 2
    assert rules.agents_on(date(2026, 12, 12)) == 3  # Saturday
    plan = schedule_day(DAY, need([("08:00", "16:00", 3)]), rules, SERVICE)
    assert sum(s.agents for s in plan.shifts) == 2 and plan.under_covered() == 16


def test_a_shift_longer_than_the_service_day_is_an_error() -> None:
    with pytest.raises(PlanningError, match="fits in the service hours"):
        schedule_day(DAY, [0] * 48, ShiftRules(lengths_hours=(8.0,)), (time(9), time(12)))


def test_the_settings_take_half_hour_lengths_and_known_days_off() -> None:
    settings = ShiftSettings(agents={"a1": ("sat", "2026-12-09")}, max_agents_per_day=5)
    rules = ShiftRules.from_settings(settings)
    assert rules.lengths_hours == (8.0, 4.0) and rules.agents_on(date(2026, 12, 9)) == 0
    with pytest.raises(ValidationError, match="not a positive number of half hours"):
        ShiftSettings(lengths_hours=(4.2,))
    with pytest.raises(ValidationError, match="neither mon..sun nor YYYY-MM-DD"):
        ShiftSettings(agents={"a1": ("Saturday",)})
    with pytest.raises(ValidationError, match="no room for its break"):
        ShiftSettings(lengths_hours=(6.0,), break_margin_hours=3.0)
