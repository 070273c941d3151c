"""`kefu score --role presale --period week`: the ranked, explained KPI scorecard.

The numbers are the `agent_scores` view's (sql/0008), read as they are: the command writes
the configured weights into the store first (sinks.kpi_views), so what it prints
is what the boards show.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from core.errors import KefuError
from core.kpi.metrics import BY_NAME, METRICS, ROLES, Metric
from core.kpi.settings import KpiSettings
from core.settings import KefuSettings
from sinks.errors import StoreError
from sinks.store import Store

log = logging.getLogger(__name__)

PERIODS = ("day", "week", "month")


def register(commands: Any) -> None:
    parser = commands.add_parser("score", help="print the ranked KPI scorecard of the agents")
    parser.add_argument("--role", choices=ROLES, required=True, help="which agents to rank")
    parser.add_argument("--period", choices=PERIODS, default="week", help="default: week")
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        help="a day (YYYY-MM-DD) in the period to show; default: the latest period with scores",
    )
    parser.add_argument("--shop", help="only this shop")
    parser.add_argument("--store", type=Path, help="embedded store directory (default .kefu/store)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from rich.console import Console

    from pipeline.commands.options import settings_from
    from sinks.kpi_views import apply_kpi_views
    from sinks.open import open_store_for_reading

    settings: KefuSettings = settings_from(args)
    store = open_store_for_reading(settings)
    try:
        try:
            apply_kpi_views(store, settings)
        except StoreError as exc:  # a read-only account still gets the store's own views
            log.warning("cannot write the KPI settings views, showing the stored ones: %s", exc)
        boards = fetch_boards(store, args.role, args.period, args.shop, args.date)
    finally:
        store.close()
    # A terminal wraps the table to fit; a pipe or file gets it whole, unwrapped.
    console = Console(width=None if sys.stdout.isatty() else 200)
    for board in boards:
        console.print(board.table())
    console.print(explanation(boards, settings.kpi))
    return 0


@dataclass(frozen=True)
class Board:
    """One shop's scores for one role and period; `ranked` orders them."""

    shop_id: str
    role: str
    stage: str
    period: str
    period_start: date
    period_end: date
    rows: list[dict[str, Any]]

    @property
    def metrics(self) -> list[Metric]:
        """The metrics this shop's role and stage weigh (the same for every row)."""
        return [m for m in METRICS if self.rows and self.rows[0][f"{m.name}_weight"] > 0]

    def table(self) -> Any:
        from rich.table import Table

        title = (
            f"{self.shop_id} · {self.role} · {self.stage} stage · {self.period} "
            f"{self.period_start} to {self.period_end}"
        )
        table = Table(title=title, title_justify="left")
        table.add_column("rank", justify="right")
        table.add_column("agent")
        table.add_column("score", justify="right")
        for m in self.metrics:
            weight = self.rows[0][f"{m.name}_weight"]
            window = ", 30 d" if m.trailing_30d else ""
            table.add_column(f"{m.label}\nweight {weight:.2f}{window}", justify="right")
        table.add_column("coaching hint")
        for rank, row in ranked(self.rows):
            cells = [rank, row["agent_id"], _number(row["score"])]
            cells += [_metric_cell(m, row) for m in self.metrics]
            hint = row["coaching_metric"]
            cells.append(f"{BY_NAME[hint].label}: {row['coaching_topic']}" if hint else "")
            table.add_row(*cells)
        return table


def ranked(rows: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Best score first; agents without any scored metric last, unranked."""
    ordered = sorted(rows, key=lambda r: (r["score"] is None, -(r["score"] or 0), r["agent_id"]))
    return [(str(i) if r["score"] is not None else "-", r) for i, r in enumerate(ordered, 1)]


_QUERY = """
SELECT *
FROM agent_scores
WHERE role = {role:String} AND period = {period:String} AND period_start = {start:Date}
  AND ({shop:String} = '' OR shop_id = {shop:String})
ORDER BY shop_id, agent_id
"""

_LATEST = """
SELECT max(period_start), count()
FROM agent_scores
WHERE role = {role:String} AND period = {period:String}
  AND ({shop:String} = '' OR shop_id = {shop:String})
"""


def fetch_boards(
    store: Store, role: str, period: str, shop: str | None, on: date | None
) -> list[Board]:
    """The scorecards of the period holding `on` (default: the latest one), one per shop."""
    params: dict[str, Any] = {"role": role, "period": period, "shop": shop or ""}
    if on is None:
        latest, count = store.query(_LATEST, params).rows[0]
        if not count:
            where = f" at shop {shop}" if shop else ""
            msg = f"no {role} agent has a {period} score{where} yet (roles: kpi.agent_roles)"
            raise KefuError(msg)
        on = latest
    assert on is not None
    params["start"] = period_start(period, on)
    rows = store.query(_QUERY, params).dicts()
    if not rows:
        msg = f"no {role} scores for the {period} starting {params['start']}"
        raise KefuError(msg)
    shops: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        shops.setdefault(row["shop_id"], []).append(row)
    return [
        Board(s, role, r[0]["stage"], period, r[0]["period_start"], r[0]["period_end"], r)
        for s, r in shops.items()
    ]


def period_start(period: str, day: date) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def explanation(boards: list[Board], kpi: KpiSettings) -> str:
    """How the scores are made, with the floor (score 0) and target (100) of each metric."""
    lines = [
        "score = weighted mean of the metric scores that have a value (their weights rescaled "
        "to sum to 1); metric score = 100 × (value − floor) / (target − floor), clamped to "
        "0..100; a cell reads value → score.",
    ]
    for role, stage in sorted({(b.role, b.stage) for b in boards}):
        table = kpi.table(role, stage)
        spans = [
            f"{BY_NAME[name].label} {format_value(BY_NAME[name], t.floor)} → "
            f"{format_value(BY_NAME[name], t.target)}"
            for name, t in table.items()
        ]
        lines.append(f"{role}, {stage} stage: floor → target: " + "; ".join(spans))
    return "\n".join(lines)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _metric_cell(metric: Metric, row: dict[str, Any]) -> str:
    value = row[metric.name]
    score = row[f"{metric.name}_score"]
    if value is None:
        return "no data"
    return f"{format_value(metric, value)} → {_number(score)}"


def format_value(metric: Metric, value: float) -> str:
    if metric.unit == "s":
        return f"{value:.1f} s"
    if metric.unit == "yuan":
        return f"¥{value:.2f}"
    if metric.unit == "points":
        return f"{value:.1f}"
    return f"{100 * value:.1f}%"
