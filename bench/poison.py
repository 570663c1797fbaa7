"""Poison messages for the drill: into every topic a service consumes, a malformed message (no
CloudEvents headers, not JSON), a schema-invalid one (a handled type whose data lacks its
required fields), an oversized one (schema-invalid too, about 950 kB) and one at the limit (as
large as the producer accepts), then a valid canary event on the same key, so on the same
partition. Each consumer group must dead-letter each poison and go on to apply the canary."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import import_module

from bench.invariants import Check
from shared import kafka
from shared.contracts import enrolment, feedback, scheduling
from shared.envelope import Envelope
from shared.operations import dead_letters
from shared.runtime import Runtime

KINDS = ("malformed", "schema_invalid", "oversized", "at_limit")
OVERSIZED_MARGIN = 100_000  # bytes under the producer's max_request_size
AT_LIMIT_MARGIN = 256


def _canaries() -> dict:
    """One valid event per topic, of a type every consumer of that topic handles."""
    now = datetime.now(UTC)
    offer = f"poison-{uuid.uuid4().hex[:8]}"
    return {
        enrolment.ENROLMENT_TOPIC.name: (
            enrolment.OFFER_UPDATED,
            {
                "offer_id": offer,
                "region": "Y56",
                "offer_type": "regional_programme",
                "title": "Canary",
                "capacity": 10,
                "status": "published",
            },
        ),
        scheduling.SCHEDULING_TOPIC.name: (
            scheduling.SESSION_SCHEDULED,
            {
                "session_id": str(uuid.uuid4()),
                "offer_id": offer,
                "region": "Y56",
                "kind": "group",
                "starts_at": now + timedelta(days=30),
                "ends_at": now + timedelta(days=30, hours=2),
                "sequence": 0,
                "status": "scheduled",
            },
        ),
        feedback.FEEDBACK_TOPIC.name: (
            feedback.NEEDS_REPORTED,
            {"response_id": str(uuid.uuid4()), "region": "Y56", "ratings": {"leadership": 4, "teamwork": 3}},
        ),
    }


def consumer_groups(prefix: str) -> dict[str, list[tuple[str, set]]]:
    """topic address -> [(group id, event types it handles)] over all three services."""
    groups: dict[str, list] = {}
    for service in ("enrolment", "scheduling", "feedback"):
        for subscription in import_module(f"services.{service}.handlers").SUBSCRIPTIONS:
            for topic in subscription.topics(prefix):
                groups.setdefault(topic, []).append(
                    (f"{prefix}{service}.{subscription.name}", set(subscription.handlers))
                )
    return groups


@dataclass
class Injection:
    topic: str
    event_type: str
    canary_id: str
    poisons: dict = field(default_factory=dict)  # kind -> (partition, offset, bytes)


def inject(settings) -> list[Injection]:
    producer = kafka.producer(settings)
    injections = []
    groups = consumer_groups(settings.topic_prefix)
    try:
        for name, (event_type, data) in _canaries().items():
            topic = settings.topic_prefix + name
            if topic not in groups:
                continue
            loaded = event_type.schema().dump(event_type.validate(data))
            key = event_type.key_of(loaded).encode()
            canary = Envelope(type=event_type.type, source=event_type.source, data=loaded, partitionkey=key.decode())
            injection = Injection(topic, event_type.type, canary.id)
            for kind, (value, headers) in _poisons(producer, event_type, key).items():
                sent = producer.send(topic, key=key, value=value, headers=headers).get(timeout=30)
                injection.poisons[kind] = (sent.partition, sent.offset, len(value))
            producer.send(topic, key=key, value=canary.value(), headers=canary.headers()).get(timeout=30)
            injections.append(injection)
    finally:
        producer.close()
    return injections


def _poisons(producer, event_type, key: bytes) -> dict:
    def envelope_headers() -> list:
        return Envelope(type=event_type.type, source="/bench/poison", data={}, partitionkey=key.decode()).headers()

    headers = envelope_headers()
    overhead = producer._estimate_size_in_bytes(key, b"", headers)

    def padded(margin: int) -> bytes:  # schema-invalid data (no required field) of a given size
        return b'{"padding":"' + b"x" * (producer.config["max_request_size"] - margin - overhead - 14) + b'"}'

    return {
        "malformed": (b"{not json", [("content-type", b"application/json")]),
        "schema_invalid": (b'{"unexpected":true}', envelope_headers()),
        "oversized": (padded(OVERSIZED_MARGIN), headers),
        "at_limit": (padded(AT_LIMIT_MARGIN), headers),
    }


def check(settings, injections: list[Injection], runtimes: dict[str, Runtime], restarts: dict) -> list[Check]:
    groups = consumer_groups(settings.topic_prefix)
    checks = []
    for injection in injections:
        letters = dead_letters(settings, injection.topic)
        for group, handled in groups[injection.topic]:
            expected = [kind for kind in KINDS if kind == "malformed" or injection.event_type in handled]
            found = {
                kind
                for kind in expected
                if any(_is_letter_of(letter, group, *injection.poisons[kind][:2]) for letter in letters)
            }
            service = group[len(settings.topic_prefix) :].split(".")[0]
            applied = (
                _in_inbox(runtimes[service], group, injection.canary_id) if injection.event_type in handled else True
            )
            checks.append(
                Check(
                    f"{group} dead-lettered the poison of {injection.topic.removeprefix(settings.topic_prefix)} "
                    "and moved on",
                    found == set(expected) and applied,
                    f"dead-lettered {sorted(found)} of {expected}; canary applied: {applied}",
                )
            )
    checks.append(Check("no worker crashed on a poison message", not any(restarts.values()), f"restarts {restarts}"))
    return checks


def _is_letter_of(letter, group: str, partition: int, offset: int) -> bool:
    headers = letter.headers
    return (
        headers.get("dlq_consumer") == group
        and headers.get("dlq_source_partition") == str(partition)
        and headers.get("dlq_source_offset") == str(offset)
    )


def _in_inbox(runtime: Runtime, group: str, event_id: str) -> bool:
    from sqlalchemy import select

    inbox = runtime.db.tables.inbox
    with runtime.db.read() as conn:
        return (
            conn.execute(
                select(inbox.c.event_id).where(inbox.c.consumer == group, inbox.c.event_id == event_id)
            ).first()
            is not None
        )
