"""Prometheus metrics every Convene process exposes.

Under gunicorn, PROMETHEUS_MULTIPROC_DIR makes the workers' figures add up at /metrics.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_LATENCY = Histogram(
    "convene_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["service", "route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
RELAY_PUBLISHED = Counter("convene_relay_published_total", "Outbox events published to Kafka.", ["service"])
RELAY_LATENCY = Histogram("convene_relay_publish_seconds", "Time to publish one outbox batch.", ["service"])
RELAY_WAKEUPS = Counter(
    "convene_relay_wakeups_total",
    "Ends of an idle relay's wait on PostgreSQL: notified (NOTIFY from a commit), timeout (the idle pause ran "
    "out: the poll fallback), lost (the LISTEN connection broke).",
    ["service", "cause"],
)
EVENTS_PROCESSED = Counter(
    "convene_events_processed_total", "Events consumed, by outcome.", ["service", "type", "outcome"]
)
EVENTS_DEAD_LETTERED = Counter(
    "convene_events_dead_lettered_total", "Events sent to a dead-letter topic.", ["service", "type"]
)
OUTBOX_BACKLOG = Gauge(
    "convene_outbox_backlog", "Outbox events not yet published.", ["service"], multiprocess_mode="max"
)
OUTBOX_OLDEST_AGE = Gauge(
    "convene_outbox_oldest_age_seconds",
    "Age of the oldest unpublished outbox event.",
    ["service"],
    multiprocess_mode="max",
)
# mostrecent: of the gunicorn workers' answers, the latest probe's is the truth.
KAFKA_REACHABLE = Gauge(
    "convene_kafka_reachable",
    "1 when the process last reached a Kafka broker, else 0.",
    ["service"],
    multiprocess_mode="mostrecent",
)
CONSUMER_LAG = Gauge(
    "convene_consumer_lag",
    "Messages behind the end of each partition.",
    ["service", "topic", "partition"],
    multiprocess_mode="max",
)


def forget_consumer_lag(service: str, partitions) -> None:
    """Drop the lag of partitions (TopicPartitions) this process no longer holds, so a rebalance
    leaves no last value behind for the member that now holds them to be confused with."""
    for tp in partitions:
        try:
            CONSUMER_LAG.remove(service, tp.topic, str(tp.partition))
        except KeyError:
            pass  # never measured here


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
