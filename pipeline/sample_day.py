"""The generated day the panel tests and the previews run on, and how to read it.

Two shops of 900 buyers (enough that a 15-minute alarm window holds the minimum of
ten inquiries), agent s1-a1 silent from 10:00 to 10:45 Shanghai time, so the
boards and the alert query have an incident to show, and conversations with planted
quality-inspection findings and a script library for the QC board.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from core.settings import QcSettings
from grafana import catalog
from grafana.macros import TimeRange, interpolate
from pipeline.generator import GenConfig, Incident, generate, qc_day, write_jsonl
from pipeline.generator.config import DEFAULT_START
from sinks.store import Store

INCIDENT_START = DEFAULT_START + timedelta(hours=10)
INCIDENT_END = INCIDENT_START + timedelta(minutes=45)
# 00:00 to 22:00 Shanghai: the range ends inside service hours, so "now" panels
# (waiting buyers, the alarm window) have a live day around them.
RANGE_END = DEFAULT_START + timedelta(hours=22)
INTERVAL = timedelta(minutes=5)
ROLES = ("presale", "aftersale")
QC_SHOPS = "qc-shops.yaml"
SCRIPTS = "scripts.yaml"


def day_config() -> GenConfig:
    config = GenConfig(seed=7, shops=2, buyers_per_shop_day=900.0, qc_conversations=240)
    incident = Incident(shop_id="s1", agent_id="s1-a1", start=INCIDENT_START, end=INCIDENT_END)
    return dataclasses.replace(config, incidents=[incident])


def write_day(directory: Path, config: GenConfig | None = None) -> Path:
    """The day's events, and beside them the QC files its planted conversations assume."""
    made = config or day_config()
    path = directory / "sample-day.jsonl"
    write_jsonl(generate(made), path)
    (directory / QC_SHOPS).write_text(qc_day.shops_yaml(made), encoding="utf-8")
    (directory / SCRIPTS).write_text(qc_day.scripts_yaml(made), encoding="utf-8")
    return path


def qc_settings(directory: Path) -> QcSettings:
    """What a worker replaying a day written to `directory` inspects with."""
    return QcSettings(shops_file=directory / QC_SHOPS, scripts_file=directory / SCRIPTS)


def time_range(variables: Mapping[str, list[str]]) -> TimeRange:
    return TimeRange(DEFAULT_START, RANGE_END, INTERVAL, dict(variables))


def variable_values(store: Store) -> dict[str, list[str]]:
    """What "All" means for each dashboard variable on this store, as Grafana would list it."""
    values: dict[str, list[str]] = {"role": list(ROLES)}
    bare = TimeRange(DEFAULT_START, RANGE_END, INTERVAL, {})
    for variable in catalog.clickhouse_variables():
        if variable.name in values:
            continue
        sql = interpolate(variable.query, dataclasses.replace(bare, variables=dict(values)))
        values[variable.name] = [str(row[0]) for row in store.query(sql).rows]
    return values
