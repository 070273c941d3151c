"""Prometheus metrics of the notifier."""

from prometheus_client import Counter, Histogram

DELIVERIES = Counter(
    "kefu_notify_deliveries_total",
    "Alerts handled per channel: delivered, parked (dead-lettered), duplicate (skipped)",
    ["channel", "outcome"],
)
ATTEMPT_FAILURES = Counter(
    "kefu_notify_attempt_failures_total",
    "Failed delivery attempts (each retry counts)",
    ["channel"],
)
REQUEST_SECONDS = Histogram(
    "kefu_notify_request_seconds",
    "Duration of one delivery attempt (HTTP request and answer)",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DELAY_SECONDS = Histogram(
    "kefu_notify_delay_seconds",
    "Wall time from an alert's evaluation (raised_at) to its delivery",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900),
)
