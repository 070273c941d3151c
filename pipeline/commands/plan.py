"""`kefu plan --shop s1 --from 2026-12-07 --days 7`: agents needed per half hour, stored.

Reads the shop's observed half hours (shop_intervals) before `--from`, forecasts the coming
days and prints, per half hour of service hours, the forecast inquiries and the fewest agents
that hold the shop's target (planning/); the plan is written to `staffing_plan`. A line
compares the model's predicted reply rate with the observed one for the agents that were on.
Then the shifts that cover the plan under `planning.shifts` (排班): per day each shift's start,
length, break and agents, and a coverage summary; they are written to `staffing_shifts`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from core.settings import KefuSettings
from planning.model_check import ModelCheck
from planning.plan import Plan
from planning.shifts import DayShifts, slot_time
from sinks.errors import StoreError

log = logging.getLogger(__name__)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "plan", help="forecast inquiries and the agents each half hour needs (排班)"
    )
    parser.add_argument("--shop", required=True, help="the shop to plan")
    parser.add_argument(
        "--from",
        dest="start",
        type=date.fromisoformat,
        required=True,
        help="first day (YYYY-MM-DD)",
    )
    parser.add_argument("--days", type=int, default=7, help="days to plan, 1 to 14 (default 7)")
    parser.add_argument("--store", type=Path, help="embedded store directory (default .kefu/store)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from rich.console import Console

    from pipeline.commands.options import settings_from
    from planning.history import read_history
    from planning.model_check import check_model
    from planning.plan import Target, make_plan
    from planning.promotions import PromotionCalendar
    from planning.shifts import ShiftRules, requirements, schedule_week
    from sinks import tables
    from sinks.kpi_views import apply_kpi_views
    from sinks.open import open_store_for_reading

    settings: KefuSettings = settings_from(args)
    shop = settings.shop(args.shop)
    store = open_store_for_reading(settings)
    try:
        try:
            apply_kpi_views(store, settings)  # the shop time zones shop_intervals reads
        except StoreError as exc:  # a read-only account still gets the store's own views
            log.warning("cannot write the settings views, reading the stored ones: %s", exc)
        history = read_history(store, args.shop, args.start, settings.planning.history_days)
        plan = make_plan(
            history,
            args.start,
            args.days,
            PromotionCalendar.for_shop(settings, args.shop),
            Target(shop.staffing_target_rate, shop.staffing_target_seconds),
            (shop.service_start, shop.service_end),
            settings.planning.forecast_level,
        )
        service_hours = (shop.service_start, shop.service_end)
        rules = ShiftRules.from_settings(settings.planning.shifts)
        shifts = schedule_week(requirements(plan), rules, service_hours)
        planned_at = datetime.now(UTC)
        store.insert("staffing_plan", tables.STAFFING_PLAN, plan_rows(args.shop, plan))
        store.insert(
            "staffing_shifts", tables.STAFFING_SHIFTS, shift_rows(args.shop, shifts, planned_at)
        )
    finally:
        store.close()
    console = Console(width=None if sys.stdout.isatty() else 120)
    console.print(plan_table(args.shop, plan, settings.planning.forecast_level))
    console.print(model_check_line(check_model(history, plan.load, plan.target.seconds), plan))
    console.print(shifts_table(args.shop, shifts))
    console.print(coverage_line(shifts))
    return 0


def shift_rows(shop_id: str, days: list[DayShifts], planned_at: datetime) -> list[tuple[Any, ...]]:
    return [
        (
            shop_id,
            d.day,
            datetime.combine(d.day, slot_time(s.start_slot), UTC),
            s.hours,
            0 if s.break_slot is None else (s.break_slot - s.start_slot) * 30,
            s.agents,
            planned_at,
        )
        for d in days
        for s in d.shifts
    ]


def shifts_table(shop_id: str, days: list[DayShifts]) -> Any:
    from rich.table import Table

    table = Table(title=f"{shop_id}: shifts (排班)")
    for name in ("day", "start", "hours", "break", "agents"):
        table.add_column(name, justify="right" if name in ("hours", "agents") else "left")
    for d in days:
        for s in d.shifts:
            rest = "" if s.break_slot is None else f"{slot_time(s.break_slot):%H:%M}"
            table.add_row(
                f"{d.day:%a %m-%d}",
                f"{slot_time(s.start_slot):%H:%M}",
                f"{s.hours:g}",
                rest,
                str(s.agents),
            )
    return table


def coverage_line(days: list[DayShifts]) -> str:
    """Agent-hours on (breaks excluded) against required, and the half hours left short."""
    required = sum(sum(d.required) for d in days) / 2
    scheduled = sum(sum(d.scheduled()) for d in days) / 2
    short = sum(d.under_covered() for d in days)
    return (
        f"coverage: {scheduled:g} agent-hours scheduled for {required:g} required "
        f"({scheduled - required:+g}); {short} half hours under-covered"
    )


def model_check_line(check: ModelCheck | None, plan: Plan) -> str:
    within = f"answered within {plan.target.seconds} s"
    if check is None:
        return f"model check: no past half hour with agents on and an observed share {within}"
    return (
        f"model check over {check.intervals} past half hours, for the agents that were on: "
        f"predicted {check.predicted:.1%} {within}, observed {check.observed:.1%} "
        f"(mean difference per half hour {check.mean_abs_difference:.1%})"
    )


def plan_rows(shop_id: str, plan: Plan) -> list[tuple[Any, ...]]:
    planned_at = datetime.now(UTC)
    return [
        (
            shop_id,
            p.forecast.interval_start,
            p.forecast.interval_start.date(),
            p.forecast.inquiries,
            p.forecast.low,
            p.forecast.high,
            int(p.forecast.promotion),
            plan.load.handle_seconds,
            plan.load.concurrency,
            plan.target.rate,
            plan.target.seconds,
            p.required_agents,
            p.required_agents_high,
            planned_at,
        )
        for p in plan.intervals
    ]


def plan_table(shop_id: str, plan: Plan, level: int) -> Any:
    from rich.table import Table

    load, target = plan.load, plan.target
    table = Table(
        title=f"{shop_id}: agents per half hour for {target.rate:.0%} answered within "
        f"{target.seconds} s (handle {load.handle_seconds:.0f} s, concurrency "
        f"{load.concurrency:.2f})",
        caption="half hours that need no agent are left out (outside service hours no clock starts)",
    )
    for name in ("day", "time", "inquiries", f"{level} % interval", "agents", "agents (high)"):
        table.add_column(name, justify="left" if name in ("day", "time") else "right")
    for p in plan.intervals:
        if p.required_agents_high == 0 and p.required_agents == 0:
            continue
        f = p.forecast
        day = f"{f.interval_start:%a %m-%d}" + (" 大促" if f.promotion else "")
        table.add_row(
            day,
            f"{f.interval_start:%H:%M}",
            f"{f.inquiries:.1f}",
            f"{f.low:.1f}-{f.high:.1f}",
            str(p.required_agents),
            str(p.required_agents_high),
        )
    return table
