"""A worker's consumers stay in their groups: a rebalance started near the end of a poll is
finished by the next poll (kafka-python 3.0 left it unfinished for good: the member stopped
heartbeating, fell out of its group, failed every commit and spun in a zero-timeout fetch
loop; shared/kafka_group_fix.py), and a worker with two consumer groups, left idle, keeps
both Stable with everything committed and its CPU near zero."""

from __future__ import annotations

import os
import time

import pytest
from kafka import KafkaAdminClient
from kafka.structs import MemberState

from services.scheduling.handlers import SUBSCRIPTIONS
from services.scheduling.store import metadata
from shared import kafka
from shared.asyncapi import example_data
from shared.config import Settings
from shared.contracts.registry import lookup
from shared.db import Database
from shared.envelope import Envelope
from shared.kafka_groups import describe
from tests.harness import eventually
from tests.processes import WorkerProcess

IDLE_SECONDS = 45
MAX_IDLE_CPU_SHARE = 0.05  # of one core; the spinning member used 0.7-0.8


def _settings(kafka_bootstrap: str, topic_prefix: str) -> Settings:
    return Settings.load({"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "CONVENE_TOPIC_PREFIX": topic_prefix})


def test_a_rebalance_left_unfinished_by_a_poll_is_finished_by_the_next(kafka_bootstrap, topic_prefix):
    settings = _settings(kafka_bootstrap, topic_prefix)
    topic = SUBSCRIPTIONS[1].topics(topic_prefix)[0]
    kafka.ensure_topics(settings)
    group = f"{topic_prefix}test.unfinished-join"
    client = kafka.consumer(settings, group)
    try:
        client.subscribe([topic])
        eventually(
            lambda: client.poll(timeout_ms=200) is not None and client.assignment(),
            timeout=30,
            message="the first assignment",
        )
        coordinator = client._coordinator
        eventually(
            lambda: client.poll(timeout_ms=200) is not None and coordinator.state is MemberState.STABLE,
            timeout=30,
            message="a stable member",
        )

        # What a metadata change does to the leader (as every consumer sees once, right after its
        # first join): its assignment snapshot no longer matches. The poll that notices it has
        # 1 ms left, so it sends the JoinGroup and gives up waiting for the answer; the worker then
        # applies the poll's events, and meanwhile the round trip completes unobserved.
        coordinator._assignment_snapshot = {}
        client.poll(timeout_ms=1)
        time.sleep(0.5)

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and coordinator.state is not MemberState.STABLE:
            client.poll(timeout_ms=200)
        assert coordinator.state is MemberState.STABLE, f"the member stayed {coordinator.state}"
        client.commit()  # raised RebalanceInProgressError for ever before the fix
    finally:
        client.close(autocommit=False)
    admin = KafkaAdminClient(**settings.kafka_client_options())
    try:
        state = admin.describe_groups([group])[group]["group_state"]
        assert state in ("Empty", "Stable"), state  # Empty: the member left on close, offsets kept
        assert admin.list_group_offsets([group])[group], "nothing was ever committed"
    finally:
        admin.close()


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)  # the database is not what is tested
def test_two_consumer_groups_of_one_worker_stay_stable_and_idle(databases, kafka_bootstrap, topic_prefix, tmp_path):
    """Scheduling's worker runs two groups (rosters, needs) in one process; after a few events
    of each it idles. Both groups must stay Stable with one member, commit to the end of their
    partitions, never fail a commit, and the idle worker must cost next to no CPU."""
    settings = _settings(kafka_bootstrap, topic_prefix)
    kafka.ensure_topics(settings)
    url = databases.new("scheduling")
    Database(url, metadata).create_schema()
    environ = {
        "DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CONVENE_TOPIC_PREFIX": topic_prefix,
        "LOG_LEVEL": "INFO",
    }
    worker = WorkerProcess("services.scheduling.worker", environ, tmp_path).start()
    admin = KafkaAdminClient(**settings.kafka_client_options())
    end_reader = kafka.consumer(settings, None)
    groups = {f"{topic_prefix}scheduling.{s.name}": s.topics(topic_prefix) for s in SUBSCRIPTIONS}
    try:
        _publish_one_of_each(settings)
        eventually(
            lambda: all(r.state == "Stable" and r.caught_up for r in describe(admin, end_reader, groups).values()),
            timeout=60,
            interval=1,
            message="both groups Stable and caught up",
        )
        _publish_one_of_each(settings)  # a second round once both are members, then quiet
        started, cpu_before = time.monotonic(), _cpu_seconds(worker.popen.pid)
        time.sleep(IDLE_SECONDS)
        share = (_cpu_seconds(worker.popen.pid) - cpu_before) / (time.monotonic() - started)
        reports = describe(admin, end_reader, groups)
        assert worker.running(), worker.log()[-3000:]
        for group, report in reports.items():
            assert report.state == "Stable" and report.members == 1, f"{group}: {report.as_dict()}"
            assert report.caught_up, f"{group}: {report.as_dict()}"
        assert "offset commit failed" not in worker.log(), worker.log()[-3000:]
        assert share < MAX_IDLE_CPU_SHARE, f"the idle worker used {share:.1%} of a core"
    finally:
        end_reader.close()
        admin.close()
        worker.stop()


def _publish_one_of_each(settings: Settings) -> None:
    """One example event of every type scheduling's groups handle, as their owners would send it."""
    producer = kafka.producer(settings)
    try:
        for subscription in SUBSCRIPTIONS:
            for event_type in subscription.handlers:
                declared = lookup(event_type)
                data = example_data(declared)
                envelope = Envelope(
                    type=declared.type,
                    source=declared.source,
                    data=data,
                    subject=str(data[declared.subject_field]),
                    partitionkey=declared.key_of(data),
                    region=data.get("region"),
                )
                producer.send(
                    declared.topic.address(settings.topic_prefix),
                    key=envelope.partitionkey.encode(),
                    value=envelope.value(),
                    headers=envelope.headers(),
                )
        producer.flush(timeout=20)
    finally:
        producer.close(timeout=2)


def _cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
