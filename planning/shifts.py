"""A week of shifts from the agents each half hour needs (排班), by integer programming.

Each day is one small MILP (HiGHS): an integer count per shift pattern, a pattern being a
start on a half hour of service hours, an allowed length that ends by the service end, and,
for a shift long enough to get one, the half hour of its break (not in its first or last
`break_margin_hours`). Under-coverage (agents short, summed over the half hours) is minimised
first; then, with that least shortfall, the agent half hours worked, which is the surplus plus a
constant, so a surplus is never bought with a shortfall. (Minimising the half hours worked
rather than a surplus variable per half hour solves some 20 times faster: a week in a fraction
of a second.) Days are independent: the per-day agent limit and the roster's days
off are the only constraints that tie agents to days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from core.settings import ShiftSettings
from planning.errors import PlanningError
from planning.plan import Plan

SLOTS_PER_DAY = 48


@dataclass(frozen=True, slots=True)
class ShiftRules:
    lengths_hours: tuple[float, ...] = (8.0, 4.0)
    break_from_hours: float = 6.0
    break_margin_hours: float = 2.0
    max_agents_per_day: int | None = None
    days_off: dict[str, tuple[str, ...]] | None = None  # the roster: agent -> days off

    @classmethod
    def from_settings(cls, settings: ShiftSettings) -> ShiftRules:
        return cls(
            settings.lengths_hours,
            settings.break_from_hours,
            settings.break_margin_hours,
            settings.max_agents_per_day,
            settings.agents,
        )

    def agents_on(self, day: date) -> int | None:
        """The most agents that can work `day`: the limit and the roster, where set."""
        limits = [] if self.max_agents_per_day is None else [self.max_agents_per_day]
        if self.days_off is not None:
            names = {day.isoformat(), f"{day:%a}".lower()}
            limits.append(sum(1 for off in self.days_off.values() if not names & set(off)))
        return min(limits) if limits else None


@dataclass(frozen=True, slots=True)
class Shift:
    start_slot: int
    slots: int
    break_slot: int | None  # the absolute half hour of the break, if any
    agents: int

    @property
    def hours(self) -> float:
        return self.slots / 2

    def covers(self) -> list[int]:
        return [
            s for s in range(self.start_slot, self.start_slot + self.slots) if s != self.break_slot
        ]


@dataclass(frozen=True, slots=True)
class DayShifts:
    day: date
    required: list[int]
    shifts: list[Shift]

    def scheduled(self) -> list[int]:
        on = [0] * len(self.required)
        for shift in self.shifts:
            for slot in shift.covers():
                on[slot] += shift.agents
        return on

    def under_covered(self) -> int:
        """Half hours with fewer agents on than required."""
        return sum(1 for need, on in zip(self.required, self.scheduled(), strict=True) if on < need)


def slot_of(at: time) -> int:
    return at.hour * 2 + at.minute // 30


def slot_time(slot: int) -> time:
    return time(slot // 2, slot % 2 * 30)


def patterns(rules: ShiftRules, service_hours: tuple[time, time]) -> list[Shift]:
    """Every shift that may be scheduled, with zero agents."""
    opens = slot_of(service_hours[0])
    closes = slot_of(service_hours[1])
    found: list[Shift] = []
    for hours in rules.lengths_hours:
        slots = round(hours * 2)
        margin = round(rules.break_margin_hours * 2)
        offsets = range(margin, slots - margin) if hours >= rules.break_from_hours else [None]
        for start in range(opens, closes - slots + 1):
            found += [Shift(start, slots, None if b is None else start + b, 0) for b in offsets]
    if not found:
        msg = f"no shift length of {rules.lengths_hours} h fits in the service hours"
        raise PlanningError(msg)
    return found


def schedule_day(
    day: date, required: Sequence[int], rules: ShiftRules, service_hours: tuple[time, time]
) -> DayShifts:
    if len(required) != SLOTS_PER_DAY:
        msg = f"{day}: {len(required)} half hours of requirements, not {SLOTS_PER_DAY}"
        raise PlanningError(msg)
    options = patterns(rules, service_hours)
    counts = _solve(options, required, rules.agents_on(day))
    shifts = [
        Shift(o.start_slot, o.slots, o.break_slot, n)
        for o, n in zip(options, counts, strict=True)
        if n
    ]
    return DayShifts(day, list(required), shifts)


def requirements(plan: Plan) -> list[tuple[date, list[int]]]:
    """The plan's required agents (for the point forecast) as one list of half hours a day."""
    days: dict[date, list[int]] = {}
    for p in plan.intervals:
        at = p.forecast.interval_start
        days.setdefault(at.date(), [0] * SLOTS_PER_DAY)[slot_of(at.time())] = p.required_agents
    return sorted(days.items())


def schedule_week(
    required: Sequence[tuple[date, Sequence[int]]],
    rules: ShiftRules,
    service_hours: tuple[time, time],
) -> list[DayShifts]:
    return [schedule_day(day, need, rules, service_hours) for day, need in required]


def _solve(options: list[Shift], required: Sequence[int], most: int | None) -> list[int]:
    import highspy  # loaded by the one command that schedules, not by every CLI start

    highs = highspy.Highs()
    highs.silent()
    count = highs.addIntegrals(len(options), lb=0)
    short = highs.addVariables(len(required), lb=0)
    covering: list[list[int]] = [[] for _ in required]
    for index, option in enumerate(options):
        for slot in option.covers():
            covering[slot].append(index)
    for slot, need in enumerate(required):
        highs.addConstr(highs.qsum(count[i] for i in covering[slot]) + short[slot] >= need)
    if most is not None:
        highs.addConstr(highs.qsum(count) <= most)
    shortfall = highs.qsum(short)
    highs.minimize(shortfall)
    least = round(highs.getObjectiveValue())
    highs.addConstr(shortfall <= least)
    # With the shortfall fixed, the surplus is the half hours worked less those required.
    highs.minimize(highs.qsum(len(o.covers()) * count[i] for i, o in enumerate(options)))
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        msg = f"the shift model did not solve: {highs.getModelStatus()}"
        raise PlanningError(msg)
    return [round(v) for v in highs.vals(count)]
