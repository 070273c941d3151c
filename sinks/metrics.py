"""Prometheus metrics of the sink (registered once, on import)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

INSERT_SECONDS = Histogram(
    "kefu_sink_insert_seconds",
    "Time to insert one table batch into the store (successful attempt).",
    ["table"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BATCH_ROWS = Histogram(
    "kefu_sink_batch_rows",
    "Rows per table batch inserted into the store.",
    ["table"],
    buckets=(1, 10, 100, 500, 1000, 5000, 10000, 50000, 100000, 500000),
)
RETRIES = Counter(
    "kefu_sink_retries_total",
    "Store inserts retried after a transient failure.",
    ["table"],
)
ERRORS = Counter(
    "kefu_sink_errors_total",
    "Store inserts that failed (each retry of a batch counts), by table.",
    ["table"],
)
HEALTHY = Gauge(
    "kefu_sink_healthy",
    "1 while the store takes inserts, 0 while inserts are failing and being retried.",
)
