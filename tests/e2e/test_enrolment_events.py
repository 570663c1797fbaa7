"""Publish an offer, enrol ten people into an eight-place action learning set, withdraw one
confirmed member and see the first waitlisted promoted, over HTTP, and find every step on
enrolment's Kafka topic as a CloudEvent with the right type, key and headers, and with no
name or e-mail address anywhere in it."""

import json
import uuid

import pytest
from kafka import KafkaConsumer

from shared.contracts.enrolment import ENROLMENT_TOPIC
from tests.harness import eventually
from tests.integration.test_enrolment_support import LONDON, create_offer, enrol, register, start_enrolment

EVENT = "org.convene.enrolment."


@pytest.fixture
def enrolment(databases, kafka_bootstrap, topic_prefix, signing_keys):
    service = start_enrolment(databases.new("enrolment"), kafka_bootstrap, topic_prefix, signing_keys[1]).start_worker()
    yield service
    service.stop()


def read_topic(bootstrap: str, topic: str, expected: int) -> list:
    """Every message on `topic` from the beginning, once `expected` of them have arrived."""
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest", enable_auto_commit=False
    )
    messages = []
    try:

        def arrived():
            for batch in consumer.poll(timeout_ms=500).values():
                messages.extend(batch)
            return len(messages) >= expected

        eventually(arrived, timeout=60, message=f"{expected} events on {topic}")
    finally:
        consumer.close()
    return sorted(messages, key=lambda m: (m.partition, m.offset))


def test_each_step_of_an_enrolment_is_an_event_on_the_topic(enrolment, kafka_bootstrap, topic_prefix, make_token):
    admin = {"Authorization": "Bearer " + make_token("regional_admin", LONDON)}
    people = [register(enrolment.client, admin, n=n) for n in range(10)]
    offer_id = create_offer(enrolment.client, admin, capacity=8)
    enrolled = [
        enrol(enrolment.client, {"Authorization": "Bearer " + make_token("participant", LONDON, p)}, offer_id, p).json
        for p in people
    ]
    assert [e["status"] for e in enrolled] == ["confirmed"] * 8 + ["waitlisted"] * 2
    assert enrolment.client.post(f"/v1/enrolments/{enrolled[3]['id']}/withdraw", headers=admin).status_code == 200
    roster = enrolment.client.get(f"/v1/offers/{offer_id}/enrolments?status=waitlisted", headers=admin).json["items"]
    assert [(e["participant_id"], e["waitlist_position"]) for e in roster] == [(people[9], 1)]

    messages = read_topic(kafka_bootstrap, ENROLMENT_TOPIC.address(topic_prefix), expected=10 + 1 + 10 + 2)
    headers = [{name: value.decode() for name, value in m.headers} for m in messages]
    for message, attributes in zip(messages, headers):
        assert attributes["ce_source"] == "/convene/enrolment"
        assert attributes["ce_specversion"] == "1.0" and attributes["content-type"] == "application/json"
        assert attributes["ce_region"] == LONDON
        uuid.UUID(attributes["ce_id"])
        data = json.loads(message.value)
        assert message.key.decode() == (data["offer_id"] if "offer_id" in data else data["participant_id"])
        everything = message.value.decode() + json.dumps(attributes)
        assert "Test Person" not in everything and "@" not in everything
    assert len({h["ce_id"] for h in headers}) == len(messages)

    registered = [m for m, h in zip(messages, headers) if h["ce_type"] == EVENT + "participant.registered.v1"]
    assert sorted(m.key.decode() for m in registered) == sorted(people)
    of_offer = [
        (h["ce_type"].removeprefix(EVENT), json.loads(m.value))
        for m, h in zip(messages, headers)
        if m.key.decode() == offer_id
    ]
    assert [t for t, _ in of_offer] == ["offer.published.v1"] + ["enrolment.confirmed.v1"] * 8 + [
        "enrolment.waitlisted.v1"
    ] * 2 + ["enrolment.withdrawn.v1", "enrolment.promoted.v1"]
    assert [(d["participant_id"], d["waitlist_position"]) for t, d in of_offer if t == "enrolment.waitlisted.v1"] == [
        (people[8], 1),
        (people[9], 2),
    ]
    withdrawn, promoted = of_offer[-2][1], of_offer[-1][1]
    assert (withdrawn["participant_id"], withdrawn["status"]) == (people[3], "withdrawn")
    assert (promoted["participant_id"], promoted["status"], promoted["waitlist_position"]) == (
        people[8],
        "confirmed",
        None,
    )
    assert promoted["enrolment_id"] == enrolled[8]["id"] and promoted["offer_type"] == "action_learning_set"
