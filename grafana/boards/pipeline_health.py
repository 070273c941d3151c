"""管道健康 Pipeline health: throughput, lag, watermark delay, dead letters (Prometheus)."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from grafana import variables
from grafana.boards.common import new_board
from grafana.panels import RATE_STEPS, promql, stat_panel, timeseries_panel

UID = "kefu-pipeline-health"
RATE = "$__rate_interval"
SHOP = 'shop=~"$shop"'
# Event-time lag beyond the allowed lateness (KefuSettings.lateness_seconds, 30 s) delays
# every alarm decision; a minute is an incident.
DELAY_STEPS = (("green", None), ("orange", 30.0), ("red", 60.0))
ANY_IS_BAD = (("green", None), ("red", 1.0))


def build() -> Dashboard:
    return (
        new_board(
            UID,
            "管道健康 Pipeline health",
            "Throughput, lag, watermark delay, dead letters, sink latency and alerts of the "
            "stream workers, from Prometheus.",
            time_from="now-1h",
            refresh="30s",
        )
        .with_variable(variables.prometheus_shop())
        .with_panel(
            timeseries_panel(
                "吞吐量",
                "Events per second: raw messages read by the ingest stage, by source topic, "
                "and canonical events applied by the stateful stage.",
                [
                    promql(f"sum by (topic) (rate(kefu_events_in_total[{RATE}]))", "in {{topic}}"),
                    promql(f"sum(rate(kefu_events_applied_total[{RATE}]))", "applied", "B"),
                    promql(f"sum(rate(kefu_duplicates_total[{RATE}]))", "duplicates", "C"),
                ],
                unit="ops",
                bounds=(0, None),
            )
        )
        .with_panel(
            timeseries_panel(
                "积压（读入减应用）",
                "Lag as a rate gap: events read per second minus events applied and "
                "duplicates dropped per second; above zero for long means the stateful "
                "stage falls behind.",
                [
                    promql(
                        f"sum(rate(kefu_events_in_total[{RATE}]))"
                        f" - sum(rate(kefu_dead_letters_total[{RATE}]))"
                        f" - sum(rate(kefu_events_applied_total[{RATE}]))"
                        f" - sum(rate(kefu_duplicates_total[{RATE}]))",
                        "backlog growth",
                    )
                ],
                unit="ops",
            )
        )
        .with_panel(
            timeseries_panel(
                "水位延迟",
                "Watermark delay per partition: wall clock minus the event-time watermark. "
                "Orange from 30 s (the allowed lateness), red from 60 s.",
                [promql("max by (partition) (kefu_watermark_delay_seconds)", "p{{partition}}")],
                unit="s",
                steps=DELAY_STEPS,
                threshold_line=True,
                bounds=(0, None),
            )
        )
        .with_panel(
            timeseries_panel(
                "死信",
                "Dead letters per second by source topic: messages rejected by validation. "
                "Any is worth a look at the dead_letters table.",
                [
                    promql(
                        f"sum by (topic) (rate(kefu_dead_letters_total[{RATE}]))",
                        "{{topic}}",
                    )
                ],
                unit="ops",
                steps=ANY_IS_BAD,
                bounds=(0, None),
            )
        )
        .with_panel(
            timeseries_panel(
                "写入延迟 P99",
                "99th percentile of one table batch insert into ClickHouse, by table.",
                [
                    promql(
                        "histogram_quantile(0.99, sum by (le, table) "
                        f"(rate(kefu_sink_insert_seconds_bucket[{RATE}])))",
                        "{{table}}",
                    )
                ],
                unit="s",
                steps=(("green", None), ("orange", 1.0), ("red", 5.0)),
                bounds=(0, None),
            )
        )
        .with_panel(
            timeseries_panel(
                "批大小",
                "Median rows per sink batch by table, and median messages per ingest poll: "
                "small batches at high load mean per-batch overhead dominates.",
                [
                    promql(
                        "histogram_quantile(0.5, sum by (le, table) "
                        f"(rate(kefu_sink_batch_rows_bucket[{RATE}])))",
                        "rows {{table}}",
                    ),
                    promql(
                        "histogram_quantile(0.5, sum by (le) "
                        f"(rate(kefu_ingest_batch_messages_bucket[{RATE}])))",
                        "ingest poll",
                        "B",
                    ),
                ],
                unit="short",
                bounds=(0, None),
            )
        )
        .with_panel(
            stat_panel(
                "未回复咨询",
                "Open inquiries held in worker state, summed over partitions.",
                [promql("sum(kefu_open_inquiries)", "open")],
                unit="none",
                size=(8, 5),
            )
        )
        .with_panel(
            stat_panel(
                "店铺五分钟回复率",
                "Live 5-minute reply rate per shop as the worker computes it (gauge). Red below "
                "80%, green from 85%.",
                [promql(f"kefu_shop_reply_rate_5m{{{SHOP}}}", "{{shop}}")],
                unit="percentunit",
                steps=RATE_STEPS,
                bounds=(0, 1),
                size=(8, 5),
            )
        )
        .with_panel(
            stat_panel(
                "等待买家（按店铺）",
                "Buyers waiting for a human reply now, per shop (gauge).",
                [promql(f"kefu_shop_waiting_buyers{{{SHOP}}}", "{{shop}}")],
                unit="none",
                steps=(("green", None), ("orange", 3.0), ("red", 10.0)),
                size=(8, 5),
            )
        )
        .with_panel(
            timeseries_panel(
                "告警事件",
                "Alert state changes per rule and state (firing, resolved, warning) in each "
                "interval.",
                [
                    promql(
                        f"sum by (rule, state) (increase(kefu_alerts_total[{RATE}]))",
                        "{{rule}} {{state}}",
                    )
                ],
                unit="short",
                bounds=(0, None),
                size=(24, 7),
            )
        )
    )
