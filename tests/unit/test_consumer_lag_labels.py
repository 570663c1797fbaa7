"""A rebalance takes partitions away from a member: their last lag must not stay in its /metrics."""

from __future__ import annotations

from kafka import TopicPartition
from prometheus_client import REGISTRY

from shared import metrics
from shared.consumer import _AssignmentLog


def _held(service: str) -> set[tuple[str, str]]:
    return {
        (s.labels["topic"], s.labels["partition"])
        for metric in REGISTRY.collect()
        if metric.name == "convene_consumer_lag"
        for s in metric.samples
        if s.labels["service"] == service
    }


def test_partitions_assigned_away_lose_their_lag_and_kept_ones_keep_it():
    service = "lagtest"
    parts = [TopicPartition("t.events", p) for p in range(3)]
    listener = _AssignmentLog("t.group", service)
    listener.on_partitions_assigned(parts)
    for tp in parts:
        metrics.CONSUMER_LAG.labels(service, tp.topic, str(tp.partition)).set(7)

    listener.on_partitions_revoked(parts)  # an eager rebalance revokes everything first
    listener.on_partitions_assigned(parts[:1])

    assert _held(service) == {("t.events", "0")}
    metrics.forget_consumer_lag(service, listener.held)  # what Consumer.run does once closed
    assert _held(service) == set()
    metrics.forget_consumer_lag(service, parts)  # forgetting what was never measured is harmless
