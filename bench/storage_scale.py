"""Part 3 of `python -m bench.storage`: the views and boards at 10M and 100M inquiries.

The same daily density at every size (about 333k inquiries a day in 20 shops), so a
bigger store means more history before the queried day, not a busier day: a query whose
time does not grow with the size reads only what it asks for. Made in chDB with
INSERT ... SELECT FROM numbers(), plus a newer version of 5 % of the inquiries, their
buyer-days and ratings. Timed:

- the round-1 computation (the `*_final` views: every table read with FINAL);
- the interface views after `sinks.rollups.refresh` (fresh periods from the rollups);
- both as inserted and after OPTIMIZE FINAL;
- the live-floor and agents boards' panels for the last hour and the last 7 days, with
  every period fresh and with the live hour changed by an insert (computed at read time).
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from grafana import catalog
from grafana.macros import TimeRange, expand
from pipeline.sample_day import ROLES
from sinks import rollups
from sinks.chdb_store import ChdbStore
from sinks.migrate import migrate
from sinks.store import Store

log = logging.getLogger("bench.storage")
TTL_DAYS = 180
DAY = "2026-11-23"  # the last business date of the synthetic inquiries
PER_DAY = 333_334
# Shanghai midnight starting the day after DAY: the boards' "now".
NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
BOARDS = ("live_floor", "agents")
# OPTIMIZE FINAL of 100M inquiries takes longer than the rest of the run: merged figures
# are measured up to this size.
MERGED_UP_TO = 20_000_000

SYNTHETIC = [
    # 20 shops, 8 agents each, about 3 inquiries per buyer-day; response times
    # exponential around 45 s, 4 % never answered.
    """INSERT INTO kefu.inquiries
    SELECT concat('s', toString(b % 20)) AS shop_id, concat('pdd_', toString(b)) AS buyer_id,
        concat('i', toString(number)) AS inquiry_id,
        concat(shop_id, '-a', toString(b % 8)) AS agent_id,
        toDateTime64('{day} 00:00:00', 3, 'Asia/Shanghai') - toIntervalDay({days} - 1)
            + toIntervalMillisecond(intDiv(number * {span_ms}, {n})) AS opened_at,
        opened_at AS effective_opened_at,
        if(u < 0.04, NULL, opened_at + toIntervalMillisecond(toUInt64(r * 1000))) AS answered_at,
        if(u < 0.04, NULL, agent_id) AS answered_by,
        if(u < 0.04, NULL, r) AS response_seconds,
        toUInt8(ifNull(response_seconds <= 30, 0)), toUInt8(ifNull(response_seconds <= 180, 0)),
        toUInt8(ifNull(response_seconds <= 300, 0)), toDate(opened_at, 'Asia/Shanghai'),
        if(u < 0.04, 'missed', 'answered'),
        toUInt8(toHour(opened_at, 'Asia/Shanghai') BETWEEN 8 AND 22), response_seconds, 1, 0
    FROM (SELECT number, intDiv(number, 3) AS b,
                 (cityHash64(number) % 1000000 + 0.5) / 1000000 AS u, -log(u) * 45 AS r
          FROM numbers({start}, {count}))""",
    # a newer version of 5 % of them (answered later): FINAL has work to do
    """INSERT INTO kefu.inquiries SELECT * REPLACE (version + 1 AS version, 'answered' AS status)
    FROM kefu.inquiries WHERE cityHash64(inquiry_id) % 20 = 0""",
    """INSERT INTO kefu.buyer_days
    SELECT shop_id, buyer_id, business_date, min(opened_at), count(),
        max(1 - within_30s), max(1 - within_3m), max(1 - within_5m),
        toUInt8(cityHash64(buyer_id) % 5 = 0) AS conv, if(conv = 1, concat('o', buyer_id), NULL),
        if(conv = 1, max(opened_at) + toIntervalHour(1), NULL),
        if(conv = 1, toDecimal64(cityHash64(buyer_id) % 20000, 2) / 100, NULL),
        if(conv = 1, any(agent_id), ''), 1, 0
    FROM kefu.inquiries GROUP BY shop_id, buyer_id, business_date""",
    # the converted buyer-days' orders, paid
    """INSERT INTO kefu.orders
    SELECT assumeNotNull(order_id), shop_id, buyer_id, 'paid', assumeNotNull(order_amount),
        first_inquiry_at, paid_at, NULL, assumeNotNull(paid_at), 1
    FROM kefu.buyer_days WHERE converted = 1""",
    """INSERT INTO kefu.ratings
    SELECT concat('e', inquiry_id), shop_id, buyer_id, agent_id, cityHash64(inquiry_id) % 5 + 1,
        opened_at + toIntervalMinute(10), business_date
    FROM kefu.inquiries WHERE cityHash64(inquiry_id) % 20 = 1""",
]
# New inquiries in the live hour: a flush of the stream, which marks the hour and the day.
LIVE_INSERT = """INSERT INTO kefu.inquiries
    SELECT concat('s', toString(number % 20)), concat('live_', toString(number)),
        concat('live', toString(number)), concat('s', toString(number % 20), '-a1'),
        now64(3) AS t, t, NULL, NULL, NULL, 0, 0, 0,
        toDate(t, 'Asia/Shanghai'), 'open', 1, NULL, 1, 0
    FROM numbers(1000)"""


def views(suffix: str) -> dict[str, str]:
    month_start = f"toDate('{DAY}') - 29"
    return {
        "shop_daily, one day": f"SELECT * FROM kefu.shop_daily{suffix} WHERE business_date = '{DAY}'",
        "shop_daily, 30 days": f"SELECT * FROM kefu.shop_daily{suffix} "
        f"WHERE business_date >= {month_start}",
        "agent_daily, one day": f"SELECT * FROM kefu.agent_daily{suffix} "
        f"WHERE business_date = '{DAY}'",
        "agent_daily, 30 days": f"SELECT * FROM kefu.agent_daily{suffix} "
        f"WHERE business_date >= {month_start}",
    }


SCORES = {
    "agent_scores, one day": f"SELECT * FROM kefu.agent_scores WHERE period = 'day' "
    f"AND period_start = '{DAY}'",
    "agent_scores, month": "SELECT * FROM kefu.agent_scores WHERE period = 'month' "
    f"AND period_start = toStartOfMonth(toDate('{DAY}'))",
}


@dataclass
class Scale:
    """What one size measured: query name and state -> seconds of each repeat."""

    inquiries: int
    days: int
    fill_seconds: float = 0.0
    refresh_seconds: float = 0.0
    refreshed: int = 0
    rollup_bytes: int = 0
    fact_bytes: int = 0
    timings: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    # EXPLAIN ESTIMATE: rows the query would read, per table (the largest first).
    reads: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def measure(sizes: tuple[int, ...], repeats: int, work: Path) -> list[Scale]:
    return [_one_size(n, repeats, work / f"scale-{n}") for n in sizes]


def _one_size(inquiries: int, repeats: int, path: Path) -> Scale:
    scale = Scale(inquiries, max(1, round(inquiries / PER_DAY)))
    with ChdbStore(path) as store:
        migrate(store, "kefu", TTL_DAYS)
        scale.fill_seconds = fill(store, scale)
        time_all = _timer(store, scale, repeats)
        # Round 1 takes seconds to a minute a query at these sizes: one run says enough.
        once = _timer(store, scale, 1)
        once("round 1 (FINAL), as inserted", views("_final"))
        started = time.perf_counter()
        scale.refreshed = rollups.refresh(store, settle_seconds=0)
        scale.refresh_seconds = time.perf_counter() - started
        boards = panels(store)
        time_all("rollups, as inserted", {**views(""), **SCORES, **boards})
        scale.reads = {name: _estimate(store, sql) for name, sql in {**views(""), **SCORES}.items()}
        if inquiries <= MERGED_UP_TO:
            store.command("OPTIMIZE TABLE kefu.inquiries FINAL")
            store.command("OPTIMIZE TABLE kefu.buyer_days FINAL")
            once("round 1 (FINAL), after merges", views("_final"))
            time_all("rollups, after merges", {**views(""), **SCORES, **boards})
        store.command(LIVE_INSERT)
        live = {k: v for k, v in panels(store, live=True).items() if "last hour" in k}
        time_all("rollups, live hour changed", live)
        scale.rollup_bytes, scale.fact_bytes = _bytes(store)
    return scale


def fill(store: Store, scale: Scale, database: str = "kefu") -> float:
    """The synthetic store in `database` (migrated); returns the seconds it took."""
    started = time.perf_counter()
    chunk = 1_000_000
    for start in range(0, scale.inquiries, chunk):
        count = min(chunk, scale.inquiries - start)
        sql = SYNTHETIC[0].format(
            day=DAY,
            days=scale.days,
            span_ms=scale.days * 86_400_000,
            n=scale.inquiries,
            start=start,
            count=count,
        )
        store.command(sql.replace("kefu.", f"{database}."))
    for sql in SYNTHETIC[1:]:
        store.command(sql.replace("kefu.", f"{database}."))
    elapsed = time.perf_counter() - started
    log.info("%d inquiries over %d days made in %.0f s", scale.inquiries, scale.days, elapsed)
    return elapsed


def _timer(store: Store, scale: Scale, repeats: int) -> Callable[[str, dict[str, str]], None]:
    def time_all(state: str, queries: dict[str, str]) -> None:
        for name, sql in queries.items():
            runs = []
            for _ in range(repeats):
                started = time.perf_counter()
                store.query(sql)
                runs.append(time.perf_counter() - started)
            scale.timings[(name, state)] = runs
            log.info(
                "%s, %s (%s): median %.3f s", scale.inquiries, name, state, statistics.median(runs)
            )

    return time_all


def panels(store: Store, live: bool = False) -> dict[str, str]:
    """Each panel of the live-floor and agents boards, last hour and last 7 days."""
    end = datetime.now(UTC) if live else NOW
    shops = [str(r[0]) for r in store.query("SELECT DISTINCT shop_id FROM kefu.buyer_days").rows]
    agents = [f"{shop}-a{i}" for shop in shops for i in range(8)]
    variables = {"shop": shops, "agent": agents, "role": list(ROLES)}
    ranges = {
        "last hour": TimeRange(end - timedelta(hours=1), end, timedelta(seconds=5), variables),
        "last 7 days": TimeRange(end - timedelta(days=7), end, timedelta(minutes=10), variables),
    }
    return {
        f"{q.board} / {q.title}, {label}": expand(q.sql, when)
        for q in catalog.clickhouse_queries()
        if q.board in BOARDS
        for label, when in ranges.items()
    }


def _estimate(store: Store, sql: str) -> list[tuple[str, int]]:
    rows = store.query(f"EXPLAIN ESTIMATE {sql}").dicts()
    return sorted(((str(r["table"]), int(r["rows"])) for r in rows), key=lambda t: -t[1])


def _bytes(store: Store) -> tuple[int, int]:
    rows = store.query(
        "SELECT sumIf(data_compressed_bytes, table LIKE '%rollup%'),"
        " sumIf(data_compressed_bytes, table IN ('inquiries', 'buyer_days', 'ratings'))"
        " FROM system.parts WHERE database = 'kefu' AND active"
    ).rows[0]
    return int(rows[0]), int(rows[1])


HEADING = "### Views and boards at scale"


def render(scales: list[Scale]) -> list[str]:
    out = [
        f"{HEADING} (chDB), median seconds (round 1: one run)",
        "",
        *[
            f"- {s.inquiries:,} inquiries over {s.days} days: made in {s.fill_seconds:.0f} s; "
            f"{s.refreshed:,} periods refreshed in {s.refresh_seconds:.0f} s; rollups "
            f"{s.rollup_bytes / 2**20:.1f} MiB compressed beside {s.fact_bytes / 2**20:.0f} MiB "
            "of inquiries, buyer-days and ratings."
            for s in scales
        ],
        "",
    ]
    keys = list(dict.fromkeys(k for s in scales for k in s.timings))
    head = ["query", "state", *(f"{s.inquiries // 1_000_000}M" for s in scales)]
    out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, state in keys:
        cells = [
            f"{statistics.median(s.timings[(name, state)]):.3f}"
            if (name, state) in s.timings
            else "–"
            for s in scales
        ]
        out.append(f"| {name} | {state} | " + " | ".join(cells) + " |")
    out += ["", "### Rows each view reads (EXPLAIN ESTIMATE, every period refreshed)", ""]
    out += ["| query | " + " | ".join(head[2:]) + " |", "|" + "---|" * (len(scales) + 1)]
    for name in dict.fromkeys(n for s in scales for n in s.reads):
        cells = [
            ", ".join(f"{t} {n:,}" for t, n in s.reads.get(name, []) if n) or "–" for s in scales
        ]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return out
