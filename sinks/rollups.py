"""Refresh the exact rollups: store the FINAL computation of the periods inserts have marked.

docs/analysts.md "Rollups" explains the design: a rollup-backed view reads a period from
its rollup only when the period's refresh started after the period's newest mark, so a
refresh late or never run costs speed, never correctness. Calls block (run in a thread).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from core.settings import RollupSettings
from sinks.errors import StoreError
from sinks.migrate import table_definition
from sinks.sql_text import sql_string
from sinks.store import Store

log = logging.getLogger(__name__)

# Periods stored per INSERT: one query reads their parts once, and a big backlog (a store
# migrated with a year of history) is worked off in steps that each finish.
PERIODS_PER_REFRESH = 1000
# ClickHouse refuses a statement longer than max_query_size (256 KiB unless a server raises
# it). A refresh's covered marks take about 36 characters a period, so a cycle that works off
# a backlog names more than one DELETE can: it takes a DELETE per this many characters.
DELETE_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class Rollup:
    """A rollup-backed view and the SQL period (a day or an hour) of one of its rows."""

    view: str
    period: str
    # The row's time column, and the RollupSettings field of its retention in days.
    time: str
    keep: str
    # Narrows the FINAL read to the periods' parts: {first} and {last} are the periods.
    prune: str
    # The relation that computes periods with FINAL, {database}, {first} and {last} filled
    # in: the view's `_final` unless it names another.
    source: str = "{database}.{view}_final"

    def computation(self, database: str, first: str, last: str) -> str:
        """The FINAL computation of the periods first..last, as `relation WHERE filter`."""
        relation = self.source.format(database=database, view=self.view, first=first, last=last)
        return f"{relation} WHERE {self.prune.format(first=first, last=last)}"


_DAY = "business_date BETWEEN toDate({first}) AND toDate({last})"
_MINUTE = "minute >= {first} AND minute < {last} + INTERVAL 1 HOUR"
_HOUR = "hour >= {first} AND hour <= {last}"
_BY_DAY = ("toDateTime(business_date, 'UTC')", "business_date", "day_days")
_BY_MINUTE = (
    "toStartOfHour(toDateTime(minute, 'UTC'))",
    "toDateTime(minute, 'UTC')",
    "minute_days",
)
_BY_HOUR = ("toDateTime(hour, 'UTC')", "toDateTime(hour, 'UTC')", "hour_days")
# The scorecard's refund-rate inputs (sql/0027) name their shop-local day `day`.
_BY_LOCAL_DAY = ("toDateTime(day, 'UTC')", "day", "day_days")
_LOCAL_DAY = "day BETWEEN toDate({first}) AND toDate({last})"

# The daily views' FINAL computations on a range of days (sql/0025, sql/0026, sql/0027).
_DAYS = "{database}.{view}_between(first = toDate({first}), last = toDate({last}))"

ROLLUPS = (
    Rollup("shop_daily", *_BY_DAY, _DAY, _DAYS),
    Rollup("agent_daily", *_BY_DAY, _DAY, _DAYS),
    Rollup("shop_minutely", *_BY_MINUTE, _MINUTE),
    Rollup("agent_minutely", *_BY_MINUTE, _MINUTE),
    Rollup("shop_hourly", *_BY_HOUR, _HOUR),
    Rollup("agent_hourly", *_BY_HOUR, _HOUR),
    Rollup("paid_orders_daily", *_BY_LOCAL_DAY, _LOCAL_DAY, _DAYS),
    Rollup("refund_daily", *_BY_LOCAL_DAY, _LOCAL_DAY, _DAYS),
    Rollup("agent_kpi_daily", *_BY_DAY, _DAY, _DAYS),
)


def refresh(
    store: Store, settle_seconds: float, limit: int | None = None, *, wait: bool = True
) -> int:
    """Refresh every rollup's dirty periods whose newest mark is `settle_seconds` old.

    The live period is marked by every flush; waiting for it to settle keeps the refresher
    from recomputing it on every run. Returns the number of periods refreshed; `limit`
    bounds them per rollup (None: all). The marks the refreshes covered then leave
    rollup_changes in one DELETE; `wait=False` leaves it to run in the background.
    """
    covered: list[str] = []
    done = sum(_refresh_rollup(store, rollup, settle_seconds, limit, covered) for rollup in ROLLUPS)
    _delete_covered_marks(store, covered, wait)
    return done


def refresh_or_log(store: Store, settle_seconds: float) -> int:
    """`refresh` for a periodic refresher: a wrong statement is logged and only delays the
    rollups, since the views compute unrefreshed periods at read time meanwhile. A store
    that is away raises RetryLater, for the caller to wait for it.

    It does not wait for the marks' DELETE: a synchronous one held the embedded store for
    most of a refresh cycle, and a mark left a while longer only costs a key lookup."""
    try:
        done = refresh(store, settle_seconds, wait=False)
    except StoreError as exc:
        log.warning("rollup refresh failed; the views compute at read time meanwhile: %s", exc)
        return 0
    if done:
        log.info("rollups: %d period(s) refreshed", done)
    return done


def _refresh_rollup(
    store: Store, rollup: Rollup, settle_seconds: float, limit: int | None, covered: list[str]
) -> int:
    """Refresh `rollup`'s settled dirty periods; each refresh adds to `covered` the
    condition that selects the marks its stamp covers."""
    done = 0
    while limit is None or done < limit:
        count = PERIODS_PER_REFRESH if limit is None else min(PERIODS_PER_REFRESH, limit - done)
        periods = _dirty(store, rollup, settle_seconds, count)
        if periods:
            covered.append(_store_periods(store, rollup, periods, settle_seconds))
            done += len(periods)
        if len(periods) < count:
            break
    return done


def _dirty(
    store: Store, rollup: Rollup, settle_seconds: float, count: int
) -> list[tuple[str, datetime]]:
    rows = store.query(
        f"SELECT shop_id, period FROM {store.database}.rollup_dirty "
        "WHERE view_name = {view:String} "
        "AND changed_at <= now64(6, 'UTC') - toIntervalMillisecond({settle:UInt64}) "
        f"ORDER BY period, shop_id LIMIT {int(count)}",
        {"view": rollup.view, "settle": int(settle_seconds * 1000)},
    ).rows
    return [(str(shop), period) for shop, period in rows]


def _store_periods(
    store: Store, rollup: Rollup, periods: list[tuple[str, datetime]], settle_seconds: float
) -> str:
    """One refresh: its start less the settle time, read before the computation, stamps both
    writes. A mark is stamped while its insert runs, before the insert's rows are visible:
    a mark stamped after this stamp outranks the refresh, even one not yet visible now.
    Returns the condition on rollup_changes (sql/0030) of the marks the stamp covers, for
    `refresh` to delete after every write: until they leave, rollup_state alone decides,
    and a refresher stopped in between leaves only a few more keys for readers to look up."""
    database = store.database
    started = store.query(
        "SELECT toString(now64(6, 'UTC') - toIntervalMillisecond({settle:UInt64}))",
        {"settle": int(settle_seconds * 1000)},
    ).scalar()
    stamp = f"toDateTime64({sql_string(str(started))}, 6, 'UTC')"
    by_shop: dict[str, list[str]] = defaultdict(list)
    for shop, period in periods:
        by_shop[shop].append(_plain_time(period))
    # Plain literals: IN converts them to the column's type once, where a thousand
    # toDateTime calls made the set, and the DELETE, several times slower.
    pairs = ", ".join(f"({sql_string(shop)}, {at})" for shop, ats in by_shop.items() for at in ats)
    moments = sorted({_time(period) for _, period in periods})
    computation = rollup.computation(database, moments[0], moments[-1])
    store.command(
        f"INSERT INTO {database}.{rollup.view}_rollup "
        f"SELECT *, {stamp} FROM {computation} "
        f"AND shop_id IN ({', '.join(sql_string(s) for s in by_shop)}) "
        f"AND {rollup.period} IN ({', '.join(moments)}) "
        f"AND (shop_id, {rollup.period}) IN ({pairs})"
    )
    store.command(
        f"INSERT INTO {database}.rollup_state (view_name, shop_id, period, changed_at, fresh) "
        f"SELECT {sql_string(rollup.view)}, p.1, toDateTime(p.2, 'UTC'), {stamp}, 1 "
        f"FROM (SELECT arrayJoin([{pairs}]) AS p)"
    )
    log.debug("rollup %s: %d period(s) refreshed", rollup.view, len(periods))
    return (
        f"(view_name = {sql_string(rollup.view)} "
        f"AND (shop_id, period) IN ({pairs}) AND changed_at <= {stamp})"
    )


def _delete_covered_marks(store: Store, covered: list[str], wait: bool) -> None:
    """As few DELETEs as a refresh cycle's conditions fit in (one, but after a backlog):
    each is a mutation, and the embedded store runs nothing else while one runs."""
    found = _changes_table(store) if covered else None
    if found is None:
        return
    table, on_cluster = found
    for conditions in _within(covered, DELETE_CHARS):
        store.command(
            f"DELETE FROM {table}{on_cluster} WHERE {' OR '.join(conditions)} "
            f"SETTINGS lightweight_deletes_sync = {2 if wait else 0}"
        )


def _within(texts: list[str], chars: int) -> list[list[str]]:
    """`texts` in order, grouped so that each group's texts add up to at most `chars` (a
    longer text makes a group of its own)."""
    groups: list[list[str]] = []
    size = chars
    for text in texts:
        if size + len(text) > chars:
            groups.append([])
            size = 0
        groups[-1].append(text)
        size += len(text)
    return groups


def _changes_table(store: Store) -> tuple[str, str] | None:
    """The table holding rollup_changes' rows, and the ON CLUSTER clause a DELETE needs;
    None on a store from before sql/0030, whose marks are only in rollup_state.

    A Distributed table takes no DELETE: on a cluster the local tables it names are
    deleted from on every node (deploy/clickhouse/)."""
    found = store.query(
        "SELECT engine, engine_full FROM system.tables"
        " WHERE database = {db:String} AND name = 'rollup_changes'",
        {"db": store.database},
    ).rows
    if not found:
        return None
    if found[0][0] != "Distributed":
        return f"{store.database}.rollup_changes", ""
    cluster, database, table = (
        part.strip().strip("'") for part in str(found[0][1]).split("(", 1)[1].split(",")[:3]
    )
    return f"{database}.{table}", f" ON CLUSTER {cluster}"


def _time(period: datetime) -> str:
    return f"toDateTime({_plain_time(period)}, 'UTC')"


def _plain_time(period: datetime) -> str:
    return sql_string(period.strftime("%Y-%m-%d %H:%M:%S"))


def apply_ttls(store: Store, settings: RollupSettings) -> None:
    """Each tier's retention from the settings, on the tables of a single node.

    On a cluster the rollups are Distributed tables; the TTL belongs on the local tables,
    which an operator manages with deploy/clickhouse/.
    """
    for rollup in ROLLUPS:
        days = int(getattr(settings, rollup.keep))
        table = f"{rollup.view}_rollup"
        found = table_definition(store, store.database, table)
        if found is None or not found[0].endswith("MergeTree"):
            continue
        ddl = found[1]
        if days:
            store.command(
                f"ALTER TABLE {store.database}.{table} "
                f"MODIFY TTL {rollup.time} + INTERVAL {int(days)} DAY"
            )
        elif " TTL " in ddl:
            store.command(f"ALTER TABLE {store.database}.{table} REMOVE TTL")


def invalidate(store: Store) -> None:
    """Mark every fresh period: what the FINAL computation reads has changed without an
    insert (a settings view re-created with other settings). Marks go to rollup_changes,
    which forwards them to rollup_state (sql/0030)."""
    store.command(
        f"INSERT INTO {store.database}.rollup_changes "
        "SELECT view_name, shop_id, period, now64(6, 'UTC') "
        f"FROM {store.database}.rollup_state FINAL WHERE fresh = 1"
    )
