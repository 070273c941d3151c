"""Prometheus metrics of the ingest stage."""

from prometheus_client import Counter, Histogram

EVENTS_IN = Counter("kefu_events_in_total", "Raw messages read, by source topic", ["topic"])
DEAD_LETTERS = Counter("kefu_dead_letters_total", "Messages rejected to dead letters", ["topic"])
INGEST_BATCH = Histogram(
    "kefu_ingest_batch_messages",
    "Raw messages per ingest poll",
    buckets=(1, 10, 100, 500, 1000, 2000, 5000, 10000),
)
