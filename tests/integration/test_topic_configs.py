"""The topics the workers create carry the configs the manifests declare: asked of the real broker."""

from __future__ import annotations

from kafka.admin import ConfigResource, ConfigResourceType

from services.enrolment.settings import EnrolmentSettings
from shared import kafka
from shared.contracts.feedback import NATIONAL_SUMMARY_TOPIC
from shared.contracts.registry import topics


def _described(settings, names: list[str]) -> dict[str, dict[str, str]]:
    client = kafka.admin(settings)
    try:
        answer = client.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in names], config_filter="all"
        )
    finally:
        client.close()
    return _flatten(answer)


def _flatten(answer) -> dict[str, dict[str, str]]:
    """{topic: {config: value}} from describe_configs' answer, whichever shape this kafka-python gives."""
    if isinstance(answer, dict):
        by_topic = answer.get("topic", answer)
        return {
            name: {key: (value.get("value") if isinstance(value, dict) else value) for key, value in configs.items()}
            for name, configs in by_topic.items()
        }
    raise AssertionError(f"unexpected describe_configs answer: {answer!r}")


def test_dead_letter_topics_are_created_with_their_source_s_retention(kafka_bootstrap, topic_prefix):
    settings = EnrolmentSettings.load(
        {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "CONVENE_TOPIC_PREFIX": topic_prefix}
    )
    kafka.ensure_topics(settings)
    declared = list(topics().values())
    configs = _described(
        settings,
        [t.dead_letter_address(topic_prefix) for t in declared] + [NATIONAL_SUMMARY_TOPIC.address(topic_prefix)],
    )

    for topic in declared:
        dead = configs[topic.dead_letter_address(topic_prefix)]
        assert dead["retention.ms"] == str(topic.retention_ms), topic.name
        assert dead["cleanup.policy"] == "delete", topic.name
        assert dead["min.insync.replicas"] == "1", "one broker: one replica in sync"
    summary = configs[NATIONAL_SUMMARY_TOPIC.address(topic_prefix)]
    assert summary["cleanup.policy"] == "compact" and summary["min.compaction.lag.ms"] == "0"
