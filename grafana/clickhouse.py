"""ClickHouse panel targets: the SDK has no builder for grafana-clickhouse-datasource.

A target is the plugin's SQL query model (`editorType: sql`); `format` follows
the plugin backend's numbering (0 time series, 1 table), which decides whether
long rows (time, label, value) are pivoted into one series per label.
"""

from __future__ import annotations

import enum
from typing import Any, Self

from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.variants import Dataquery

from grafana.datasources import CLICKHOUSE_TYPE, CLICKHOUSE_UID


class Format(enum.IntEnum):
    TIME_SERIES = 0
    TABLE = 1


class ClickHouseQuery(Dataquery):
    """One SQL target of the ClickHouse plugin."""

    def __init__(self, sql: str, fmt: Format, ref_id: str = "A") -> None:
        self.sql = sql
        self.format = fmt
        self.ref_id = ref_id

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id,
            "datasource": {"type": CLICKHOUSE_TYPE, "uid": CLICKHOUSE_UID},
            "editorType": "sql",
            "queryType": "timeSeries" if self.format is Format.TIME_SERIES else "table",
            "format": int(self.format),
            "rawSql": self.sql,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(str(data["rawSql"]), Format(int(data["format"])), str(data.get("refId", "A")))


class ClickHouseTarget(Builder[ClickHouseQuery]):
    """A builder around a finished query, so `Panel().with_target(...)` accepts it."""

    def __init__(self, sql: str, fmt: Format = Format.TABLE, ref_id: str = "A") -> None:
        self._query = ClickHouseQuery(_tidy(sql), fmt, ref_id)

    def build(self) -> ClickHouseQuery:
        return self._query


def _tidy(sql: str) -> str:
    """Strip the indentation of a triple-quoted query so the JSON stays readable."""
    lines = [line.rstrip() for line in sql.strip("\n").splitlines()]
    indent = min((len(line) - len(line.lstrip()) for line in lines if line), default=0)
    return "\n".join(line[indent:] for line in lines)
