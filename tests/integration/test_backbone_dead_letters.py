"""Messages that cannot be processed go to `<topic>.dlq` with the error in their headers,
and the events behind them are still processed."""

from __future__ import annotations

import itertools
import threading
import uuid
from datetime import UTC, datetime

import pytest
from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import func, select

from services.enrolment.settings import EnrolmentSettings
from shared import kafka, operations
from shared.consumer import Consumer, Subscription
from shared.contracts.enrolment import ENROLMENT_TOPIC, ENROLMENT_WAITLISTED
from shared.db import Database
from shared.envelope import Envelope
from tests.harness import eventually
from tests.integration.backbone_proc import consumer_metadata


def _valid_data(offer_id: str, position: int) -> dict:
    return {
        "enrolment_id": str(uuid.uuid4()),
        "offer_id": offer_id,
        "participant_id": str(uuid.uuid4()),
        "region": "Y62",
        "offer_type": "action_learning_set",
        "role": "gp",
        "status": "waitlisted",
        "waitlist_position": position,
        "changed_at": datetime.now(UTC).isoformat(),
    }


def _envelope(data: dict) -> Envelope:
    return Envelope(
        type=ENROLMENT_WAITLISTED.type,
        source=ENROLMENT_WAITLISTED.source,
        data=data,
        partitionkey=data["offer_id"],
        region="Y62",
    )


@pytest.fixture
def consuming(databases, kafka_bootstrap, topic_prefix):
    settings = EnrolmentSettings.load(
        {
            "DATABASE_URL": databases.new("consumer"),
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "CONVENE_TOPIC_PREFIX": topic_prefix,
            "CONSUMER_MAX_RETRIES": "2",
        }
    )
    metadata, applied = consumer_metadata()
    db = Database(settings.database_url, metadata)
    db.create_schema()
    kafka.ensure_topics(settings)
    failing_positions = {99}

    def apply(event, unit):
        if event.data["waitlist_position"] in failing_positions:
            raise RuntimeError("this handler cannot take position 99")
        unit.conn.execute(
            applied.insert().values(
                event_id=event.id, offer_id=event.data["offer_id"], position=event.data["waitlist_position"]
            )
        )

    stop = threading.Event()
    consumer = Consumer(settings, db, Subscription("dlq-probe", {ENROLMENT_WAITLISTED.type: apply}))
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    yield settings, db, applied
    stop.set()
    thread.join(timeout=20)
    db.dispose()


def test_malformed_schema_invalid_and_failing_events_are_dead_lettered_and_the_partition_moves_on(
    consuming, kafka_bootstrap
):
    settings, db, applied = consuming
    topic = ENROLMENT_TOPIC.address(settings.topic_prefix)
    offer_id = str(uuid.uuid4())
    key = offer_id.encode()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    good = _envelope(_valid_data(offer_id, 1))
    invalid = _envelope({**_valid_data(offer_id, 2), "waitlist_position": "second"})
    failing = _envelope(_valid_data(offer_id, 99))
    last = _envelope(_valid_data(offer_id, 3))
    producer.send(topic, key=key, value=good.value(), headers=good.headers())
    producer.send(topic, key=key, value=b"{not json", headers=good.headers()[:2])  # malformed: most ce_ headers missing
    producer.send(
        topic, key=key, value=b'{"broken": ', headers=_envelope(_valid_data(offer_id, 0)).headers()
    )  # malformed JSON
    producer.send(topic, key=key, value=invalid.value(), headers=invalid.headers())
    producer.send(topic, key=key, value=failing.value(), headers=failing.headers())
    producer.send(topic, key=key, value=last.value(), headers=last.headers())
    producer.flush()
    producer.close()

    def applied_positions():
        with db.read() as conn:
            return [row.position for row in conn.execute(select(applied).order_by(applied.c.seq))]

    eventually(
        lambda: applied_positions() == [1, 3], timeout=60, message="the valid events around the bad ones to be applied"
    )

    reader = KafkaConsumer(
        topic + ".dlq", bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=10000
    )
    dead = []
    for message in reader:
        dead.append({name: value.decode() for name, value in message.headers})
        if len(dead) == 4:
            break
    reader.close()
    assert [d["dlq_reason"] for d in dead] == ["malformed", "malformed", "schema_invalid", "handler_failed"]
    assert all(d["dlq_source_topic"] == topic and d["dlq_consumer"].endswith("enrolment.dlq-probe") for d in dead)
    assert [int(d["dlq_source_offset"]) for d in dead] == [1, 2, 3, 4]
    assert "waitlist_position" in dead[2]["dlq_error"] and "second" not in dead[2]["dlq_error"], (
        "the error names the field, never the value"
    )
    assert dead[3]["dlq_error"] == "RuntimeError"
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(applied)).scalar() == 2


def test_an_event_too_large_to_copy_with_dead_letter_headers_is_parked_without_its_value(consuming):
    settings, db, applied = consuming
    topic = ENROLMENT_TOPIC.address(settings.topic_prefix)
    offer_id = str(uuid.uuid4())
    key = offer_id.encode()
    producer = kafka.producer(settings)  # the same size limit as the consumer's dead-letter producer
    headers = _envelope(_valid_data(offer_id, 0)).headers()
    room = producer.config["max_request_size"] - producer._estimate_size_in_bytes(key, b"", headers)
    value = b'{"padding":"' + b"x" * (room - 256 - 14) + b'"}'  # readable, not valid: a schema_invalid dead letter
    poison = producer.send(topic, key=key, value=value, headers=headers).get(timeout=30)
    after = _envelope(_valid_data(offer_id, 1))
    producer.send(topic, key=key, value=after.value(), headers=after.headers()).get(timeout=30)
    producer.close()

    def applied_positions():
        with db.read() as conn:
            return [row.position for row in conn.execute(select(applied).order_by(applied.c.seq))]

    eventually(lambda: applied_positions() == [1], timeout=60, message="the event behind the large one to be applied")
    reader = KafkaConsumer(
        topic + ".dlq",
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=10000,
    )
    letters = list(itertools.islice(reader, 1))
    reader.close()
    assert len(letters) == 1 and letters[0].value is None
    letter = {name: header.decode() for name, header in letters[0].headers}
    assert letter["dlq_reason"] == "schema_invalid" and letter["dlq_value_omitted"] == str(len(value))
    assert (letter["dlq_source_partition"], letter["dlq_source_offset"]) == (str(poison.partition), str(poison.offset))
    assert operations.redrive(settings, topic) == 0, "a letter without its value has nothing to send again"
