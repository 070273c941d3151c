"""Panel helpers: one place for units, thresholds and layout, so every board reads alike.

Each helper takes a Chinese title and an English description (required: a panel
without a description does not build) and returns an SDK panel builder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.builders.prometheus import Dataquery as PromQuery
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import (
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
)

from grafana.clickhouse import ClickHouseTarget, Format
from grafana.datasources import clickhouse_ref, prometheus_ref

Step = tuple[str, float | None]
P = TypeVar("P", timeseries.Panel, stat.Panel, bargauge.Panel, table.Panel)

# docs/metrics.md#live-reply-rate-alarm: fire below 80 %, resolve at 85 % (threshold + hysteresis).
RATE_STEPS: Sequence[Step] = (("red", None), ("orange", 0.80), ("green", 0.85))
# Response time in seconds: the 30 s answer and 3 min reply targets of docs/metrics.md#inquiries-and-response-time.
SECONDS_STEPS: Sequence[Step] = (("green", None), ("orange", 30.0), ("red", 180.0))
SCORE_STEPS: Sequence[Step] = (("red", None), ("orange", 60.0), ("green", 80.0))
NEUTRAL_STEPS: Sequence[Step] = (("text", None),)
COLOR_CELLS = {"type": "color-background", "mode": "basic"}


def thresholds(steps: Sequence[Step]) -> dashboard_builders.ThresholdsConfig:
    return (
        dashboard_builders.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for color, value in steps])
    )


def sql(query: str, fmt: Format = Format.TABLE) -> ClickHouseTarget:
    return ClickHouseTarget(query, fmt)


def promql(expr: str, legend: str, ref_id: str = "A") -> PromQuery:
    return (
        PromQuery()
        .expr(expr)
        .legend_format(legend)
        .ref_id(ref_id)
        .range()
        .datasource(prometheus_ref())
    )


def timeseries_panel(
    title: str,
    description: str,
    target: ClickHouseTarget | Sequence[PromQuery],
    *,
    unit: str,
    steps: Sequence[Step] = NEUTRAL_STEPS,
    threshold_line: bool = False,
    bounds: tuple[float | None, float | None] = (None, None),
    size: tuple[int, int] = (12, 8),
) -> timeseries.Panel:
    """A line chart; `threshold_line` draws the thresholds as lines (the alarm level)."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .thresholds(thresholds(steps))
        .line_width(2)
        .fill_opacity(10)
        .span_nulls(False)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.TABLE)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["mean", "min", "max", "lastNotNull"])
        )
        .tooltip(
            common_builders.VizTooltipOptions()
            .mode(common.TooltipDisplayMode.MULTI)
            .sort(common.SortOrder.DESCENDING)
        )
        .span(size[0])
        .height(size[1])
    )
    if threshold_line:
        panel.thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(
                common.GraphTresholdsStyleMode.LINE_AND_AREA
            )
        )
    _bounds(panel, bounds)
    return _targets(panel, target)


def stat_panel(
    title: str,
    description: str,
    target: ClickHouseTarget | Sequence[PromQuery],
    *,
    unit: str,
    steps: Sequence[Step] = NEUTRAL_STEPS,
    bounds: tuple[float | None, float | None] = (None, None),
    size: tuple[int, int] = (6, 5),
) -> stat.Panel:
    """One big number per row of the result, coloured by the thresholds."""
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .thresholds(thresholds(steps))
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.NONE)
        .reduce_options(
            common_builders.ReduceDataOptions().values(True).calcs(["lastNotNull"]).fields("")
        )
        .no_value("0")
        .span(size[0])
        .height(size[1])
    )
    _bounds(panel, bounds)
    return _targets(panel, target)


def bar_panel(
    title: str,
    description: str,
    target: ClickHouseTarget,
    *,
    unit: str,
    steps: Sequence[Step],
    bounds: tuple[float | None, float | None] = (None, None),
    size: tuple[int, int] = (12, 8),
) -> bargauge.Panel:
    """Horizontal bars, one per row of the result (a ranking)."""
    panel = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .thresholds(thresholds(steps))
        .orientation(common.VizOrientation.HORIZONTAL)
        .display_mode(common.BarGaugeDisplayMode.GRADIENT)
        .reduce_options(
            common_builders.ReduceDataOptions().values(True).calcs(["lastNotNull"]).fields("")
        )
        .span(size[0])
        .height(size[1])
    )
    _bounds(panel, bounds)
    return _targets(panel, target)


def table_panel(
    title: str,
    description: str,
    target: ClickHouseTarget,
    *,
    columns: dict[str, tuple[str, Sequence[Step]]],
    states: dict[str, str] | None = None,
    size: tuple[int, int] = (24, 8),
) -> table.Panel:
    """A table whose named columns get a unit and, with thresholds, coloured cells.

    `states` colours the text column `state` by value (alert states).
    """
    panel = (
        table.Panel()
        .title(title)
        .description(description)
        .show_header(True)
        .thresholds(thresholds(NEUTRAL_STEPS))
        .span(size[0])
        .height(size[1])
    )
    for name, (unit, steps) in columns.items():
        properties = [
            DynamicConfigValue(id_val="unit", value=unit),
            DynamicConfigValue(id_val="thresholds", value=thresholds(steps).build()),
        ]
        if steps is not NEUTRAL_STEPS:
            properties.append(DynamicConfigValue(id_val="custom.cellOptions", value=COLOR_CELLS))
        panel.override_by_name(name, properties)
    if states:
        mapping = ValueMap(
            options={
                value: ValueMappingResult(color=color, index=index)
                for index, (value, color) in enumerate(states.items())
            }
        )
        panel.override_by_name(
            "state",
            [
                DynamicConfigValue(id_val="mappings", value=[mapping]),
                DynamicConfigValue(id_val="custom.cellOptions", value=COLOR_CELLS),
            ],
        )
    return _targets(panel, target)


def _bounds(
    panel: timeseries.Panel | stat.Panel | bargauge.Panel,
    bounds: tuple[float | None, float | None],
) -> None:
    low, high = bounds
    if low is not None:
        panel.min(low)
    if high is not None:
        panel.max(high)


def _targets(panel: P, target: ClickHouseTarget | Sequence[PromQuery]) -> P:
    if isinstance(target, ClickHouseTarget):
        return panel.datasource(clickhouse_ref()).with_target(target)
    panel.datasource(prometheus_ref())
    for query in target:
        panel.with_target(query)
    return panel
