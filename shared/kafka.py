"""kafka-python clients configured the one way Convene uses them, and topic creation."""

from __future__ import annotations

import logging

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from shared import kafka_group_fix
from shared.config import Settings
from shared.contracts.registry import Topic, replica_configs, topics

log = logging.getLogger(__name__)
kafka_group_fix.apply()  # before any consumer joins a group: see shared/kafka_group_fix.py


def producer(settings: Settings) -> KafkaProducer:
    """Idempotent producer: acks from every in-sync replica, no duplicates from its own retries."""
    return KafkaProducer(
        **settings.kafka_client_options(),
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
        max_block_ms=5000,
        request_timeout_ms=5000,
        delivery_timeout_ms=15000,
        reconnect_backoff_max_ms=1000,
    )


def consumer(settings: Settings, group_id: str, **overrides) -> KafkaConsumer:
    options = dict(
        group_id=group_id,
        # Its own name, not kafka-python's shared default: a worker runs several consumers, and the
        # name is what tells their IO threads (`kafka-io-<client id>` in py-spy) and members
        # (`<client id>-<uuid>` in the broker's group description) apart.
        client_id=group_id or f"{settings.topic_prefix}{settings.service}.reader",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=200,
        reconnect_backoff_max_ms=1000,
        session_timeout_ms=10000,
        heartbeat_interval_ms=1000,
        # The broker answers a fetch as soon as there is an event; this is only how long an idle
        # fetch waits there, so how often an idle consumer asks again.
        fetch_max_wait_ms=1000,
        # A topic created moments before the consumer subscribed is picked up within seconds,
        # not after the default five minutes.
        metadata_max_age_ms=5000,
    )
    options.update(overrides)
    return KafkaConsumer(**settings.kafka_client_options(), **options)


def admin(settings: Settings, *, bootstrap_timeout_ms: int = 30000) -> KafkaAdminClient:
    return KafkaAdminClient(
        **settings.kafka_client_options(), request_timeout_ms=5000, bootstrap_timeout_ms=bootstrap_timeout_ms
    )


def topic_configs(declared: Topic) -> dict[str, str]:
    return declared.configs()


def wanted_topics(settings: Settings) -> list[NewTopic]:
    """Every declared topic and its dead-letter topic (one partition, so its letters stay in the
    order they failed), with the configs deploy/k8s/kafka-topics.yaml declares for them."""
    wanted = []
    replication = settings.topic_replication
    replicas = replica_configs(replication)
    for declared in topics().values():
        wanted.append(
            NewTopic(
                declared.address(settings.topic_prefix),
                settings.topic_partitions,
                replication,
                topic_configs={**declared.configs(), **replicas},
            )
        )
        wanted.append(
            NewTopic(
                declared.dead_letter_address(settings.topic_prefix),
                1,
                replication,
                topic_configs={**declared.dead_letter_configs(), **replicas},
            )
        )
    return wanted


def ensure_topics(settings: Settings) -> list[str]:
    """Create every declared topic and its dead-letter topic; topics that exist are left as they are."""
    wanted = wanted_topics(settings)
    client = admin(settings)
    try:
        existing = set(client.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        for new_topic in missing:
            try:
                client.create_topics([new_topic])
            except TopicAlreadyExistsError:
                pass  # another worker created it in between
        if missing:
            client.wait_for_topics([t.name for t in missing])
        return [t.name for t in missing]
    finally:
        client.close()
