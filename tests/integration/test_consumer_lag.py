"""The consumer-lag gauge follows the consumer down to zero once it has caught up and sits idle,
so the lag alert (deploy/monitoring) clears: it is measured on idle polls too, not only after
commits. Real relay, broker and consumer on threads (test_operator_tools.Pipeline)."""

from __future__ import annotations

import time
import uuid

import pytest
from prometheus_client import REGISTRY

from shared.consumer import LAG_INTERVAL_SECONDS
from shared.contracts.enrolment import ENROLMENT_TOPIC
from tests.harness import eventually
from tests.integration.test_operator_tools import Pipeline


@pytest.fixture
def pipeline(databases, kafka_bootstrap, topic_prefix):
    running = Pipeline(databases, kafka_bootstrap, topic_prefix)
    yield running
    running.close()


def test_the_lag_gauge_falls_to_zero_once_the_consumer_has_caught_up(pipeline):
    pipeline.publish(str(uuid.uuid4()), range(1, 201))
    eventually(lambda: len(pipeline.rows()) == 200, timeout=60, message="every event applied")
    time.sleep(LAG_INTERVAL_SECONDS + 2)  # one idle measurement later
    topic = ENROLMENT_TOPIC.address(pipeline.settings.topic_prefix)

    def lags():
        samples = [s for metric in REGISTRY.collect() if metric.name == "convene_consumer_lag" for s in metric.samples]
        return [s.value for s in samples if s.labels["topic"] == topic]

    assert eventually(
        lambda: (found := lags()) and all(v == 0 for v in found) and found,
        timeout=15,
        message="a lag of 0 on every partition",
    )


def test_a_stopped_consumer_leaves_no_lag_behind_for_partitions_it_no_longer_holds(pipeline):
    pipeline.publish(str(uuid.uuid4()), range(1, 21))
    eventually(lambda: len(pipeline.rows()) == 20, timeout=60, message="every event applied")
    topic = ENROLMENT_TOPIC.address(pipeline.settings.topic_prefix)

    def partitions():
        return {
            s.labels["partition"]
            for metric in REGISTRY.collect()
            if metric.name == "convene_consumer_lag"
            for s in metric.samples
            if s.labels["topic"] == topic
        }

    eventually(partitions, timeout=30, message="the lag to be measured")
    pipeline.stop.set()  # the worker stops: its partitions go to whoever holds them next
    for thread in pipeline.threads:
        thread.join(timeout=20)

    assert partitions() == set(), "a worker reports no lag for partitions it gave up"
