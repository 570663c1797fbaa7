"""Interoperability: what the services put on Kafka is read by a different client
(confluent-kafka) and the CloudEvents SDK, and fits the published AsyncAPI contract.

Real events through the real relay and broker: an offer published and a session scheduled
over HTTP, plus every declared event type's example recorded through its owner's outbox.
"""

from __future__ import annotations

import importlib.util
import io
import json
import time
import uuid
from argparse import Namespace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from confluent_kafka import Consumer, KafkaError

from services.registry import SERVICES
from shared.asyncapi import example_data
from shared.contracts.enrolment import ENROLMENT_CONFIRMED
from shared.contracts.registry import event_types, topics
from shared.contracts.scheduling import SESSION_RESCHEDULED
from tests.harness import RunningService, eventually, service_environment

pytestmark = pytest.mark.kafka

DOCS = Path(__file__).resolve().parents[2] / "docs"
FORMATS = jsonschema.Draft7Validator.FORMAT_CHECKER


@pytest.fixture(scope="module")
def contract():
    """The published document, as a subscriber downloads it."""
    return json.loads((DOCS / "asyncapi.json").read_text())


@pytest.fixture
def stack(kafka_bootstrap, topic_prefix, signing_keys, tmp_path):
    running = {}
    try:
        for name in SERVICES:  # every service that owns a topic records its event types below
            environ = service_environment(
                f"sqlite:///{tmp_path / name}.db", kafka_bootstrap, topic_prefix, signing_keys[1]
            )
            running[name] = RunningService(name, environ).start_worker()
        yield running
    finally:
        for service in running.values():
            service.stop()


def record(service: RunningService, event_type, data: dict) -> None:
    with service.runtime.db.transaction() as conn:
        service.runtime.outbox.record(conn, event_type, data)


def consume(bootstrap: str, prefix: str, done, timeout: float = 60.0) -> list:
    """Every message of Convene's topics under `prefix`, read with confluent-kafka, until `done(messages)`."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{prefix}interop",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([declared.address(prefix) for declared in topics().values()])
    messages, deadline = [], time.monotonic() + timeout
    try:
        while not done(messages):
            assert time.monotonic() < deadline, (
                f"timed out with {sorted({dict(m.headers())['ce_type'].decode() for m in messages})}"
            )
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                assert message.error().code() == KafkaError._PARTITION_EOF, message.error()
                continue
            messages.append(message)
    finally:
        consumer.close()
    return messages


def test_every_event_type_reads_with_another_client_and_the_cloudevents_sdk_and_fits_the_contract(
    stack, make_token, kafka_bootstrap, topic_prefix, contract
):
    admin = {"Authorization": "Bearer " + make_token("regional_admin", "Y60")}
    starts_at = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    body = {
        "offer_type": "action_learning_set",
        "title": "Set A",
        "capacity": 8,
        "basis": "project",
        "planned_sessions": 6,
        "starts_on": starts_at.date().isoformat(),
        "ends_on": (starts_at + timedelta(days=180)).date().isoformat(),
    }
    offer = stack["enrolment"].client.post("/v1/offers", json=body, headers=admin)
    assert offer.status_code == 201, offer.json
    offer_id = offer.json["id"]
    published = stack["enrolment"].client.post(f"/v1/offers/{offer_id}/publish", headers=admin)
    assert published.status_code == 200, published.json
    session_request = {
        "starts_at": f"{starts_at.date().isoformat()}T10:00:00",
        "duration_minutes": 90,
    }  # London wall-clock time
    session = eventually(
        lambda: (
            (
                r := stack["scheduling"].client.post(
                    f"/v1/offers/{offer_id}/sessions", json=session_request, headers=admin
                )
            ).status_code
            != 404
            and r
        ),
        message="scheduling to learn the offer from enrolment's event",
    )
    assert session.status_code == 201, session.json
    for declared in event_types().values():
        record(stack[declared.topic.owner], declared, example_data(declared))

    wanted = set(event_types())

    def everything_arrived(messages):
        seen = {(dict(m.headers())["ce_type"].decode(), json.loads(m.value()).get("offer_id")) for m in messages}
        from_http = {
            ("org.convene.enrolment.offer.published.v1", offer_id),
            ("org.convene.scheduling.session.scheduled.v1", offer_id),
        }
        return wanted <= {event_type for event_type, _ in seen} and from_http <= seen

    messages = consume(kafka_bootstrap, topic_prefix, everything_arrived)

    for message in messages:
        check_message(message, topic_prefix, contract)


def check_message(message, prefix: str, contract: dict) -> None:
    headers = message.headers()
    names = [name for name, _ in headers]
    assert len(names) == len(set(names)), f"repeated headers: {names}"
    event = from_binary(KafkaMessage(headers=dict(headers), key=message.key(), value=message.value()), JSONFormat())

    declared = event_types()[event.get_type()]
    assert message.topic() == declared.topic.address(prefix)
    assert event.get_specversion() == "1.0"
    assert event.get_source() == declared.source
    assert event.get_id()
    assert event.get_time().tzinfo is not None
    assert event.get_datacontenttype() == "application/json"
    data = event.get_data()
    assert isinstance(data, dict)
    assert event.get_extension("partitionkey") == message.key().decode() == declared.key_of(data)
    assert event.get_subject() == str(data[declared.subject_field])
    assert event.get_extension("region") == data.get("region")

    published = contract["components"]["messages"][declared.type]
    payload_schema = contract["components"]["schemas"][published["payload"]["$ref"].rsplit("/", 1)[1]]
    jsonschema.validate(data, payload_schema, format_checker=FORMATS)
    jsonschema.validate({name: value.decode() for name, value in headers}, published["headers"], format_checker=FORMATS)
    channel = next(c for c in contract["channels"].values() if c["address"] == "{prefix}" + declared.topic.name)
    assert declared.type in channel["messages"]


def load_example_subscriber():
    spec = importlib.util.spec_from_file_location("region_subscriber", DOCS / "examples" / "region_subscriber.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_subscriber_prints_its_regions_enrolments_and_sessions_only(stack, kafka_bootstrap, topic_prefix):
    subscriber = load_example_subscriber()
    enrolment, session = example_data(ENROLMENT_CONFIRMED), example_data(SESSION_RESCHEDULED)
    ours = {"Y60": str(uuid.uuid4()), "Y56": str(uuid.uuid4())}
    for region, offer_id in ours.items():
        record(stack["enrolment"], ENROLMENT_CONFIRMED, {**enrolment, "region": region, "offer_id": offer_id})
        record(stack["scheduling"], SESSION_RESCHEDULED, {**session, "region": region, "offer_id": offer_id})
    # Wait until the relay has published all four, so the subscriber's idle exit cannot come too early.
    consume(kafka_bootstrap, topic_prefix, lambda messages: len(messages) >= 4)

    out = io.StringIO()
    args = Namespace(
        bootstrap=kafka_bootstrap,
        prefix=topic_prefix,
        region="Y60",
        group=f"{topic_prefix}example",
        since=None,
        idle_exit=3.0,
    )
    printed = subscriber.run(args, out=out)

    lines = out.getvalue().splitlines()
    assert printed == 2 and len(lines) == 2, lines
    assert all(f"offer={ours['Y60']}" in line and " Y60 " in line for line in lines)
    assert any("enrolment.enrolment.confirmed" in line for line in lines)
    assert any("scheduling.session.rescheduled" in line for line in lines)
