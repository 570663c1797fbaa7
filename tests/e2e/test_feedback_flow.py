"""Session feedback end to end over the real broker, on both databases: enrolment's offers and
scheduling's sessions and attendance reach feedback as events; attendees answer; the regional
figures and the compacted national-summary topic show them, suppressed alike for every role."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from kafka import KafkaConsumer, TopicPartition

from services.feedback.store import aggregates, projections
from shared.contracts.enrolment import OFFER_PUBLISHED
from shared.contracts.feedback import NATIONAL_SUMMARY_TOPIC
from shared.contracts.scheduling import ATTENDANCE_RECORDED, SESSION_SCHEDULED
from tests.harness import RunningService, eventually, service_environment

HELD = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
ANSWER = {"overall": 5, "usefulness": 4, "will_apply": 4, "recommend": "very_good"}


@pytest.fixture
def stack(databases, kafka_bootstrap, topic_prefix, signing_keys):
    running = {
        name: RunningService(
            name, service_environment(databases.new(name), kafka_bootstrap, topic_prefix, signing_keys[1])
        ).start_worker()
        for name in ("enrolment", "scheduling", "feedback")
    }
    yield running
    for service in running.values():
        service.stop()


class Topic:
    """Every record of one topic, read from the beginning with a plain kafka-python consumer."""

    def __init__(self, bootstrap: str, name: str):
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        partitions = eventually(lambda: self.consumer.partitions_for_topic(name), message=f"topic {name}")
        self.consumer.assign([TopicPartition(name, p) for p in partitions])
        self.consumer.seek_to_beginning()
        self.records: list = []

    def read(self) -> list:
        for batch in self.consumer.poll(timeout_ms=300).values():
            self.records += [(r.key.decode(), r.value.decode()) for r in batch]
        return self.records

    def latest(self) -> dict:
        """What a compacted topic keeps: the last value of each key."""
        return {key: json.loads(value) for key, value in self.read()}


def publish(service: RunningService, event_type, data: dict) -> None:
    """Write another service's event through its own outbox; its relay publishes it."""
    with service.runtime.db.transaction() as conn:
        service.runtime.outbox.record(conn, event_type, data)


def hold_session(stack, offer_id, session_id, region, present, absent=()):
    publish(
        stack["enrolment"],
        OFFER_PUBLISHED,
        {
            "offer_id": offer_id,
            "region": region,
            "offer_type": "action_learning_set",
            "title": "Set",
            "capacity": 8,
            "status": "published",
        },
    )
    times = {"starts_at": (HELD - timedelta(hours=2)).isoformat(), "ends_at": HELD.isoformat()}
    publish(
        stack["scheduling"],
        SESSION_SCHEDULED,
        {
            "session_id": session_id,
            "offer_id": offer_id,
            "region": region,
            "kind": "group",
            "sequence": 0,
            "status": "scheduled",
        }
        | times,
    )
    for person, attendance in [(p, "present") for p in present] + [(p, "absent") for p in absent]:
        record = {
            "session_id": session_id,
            "offer_id": offer_id,
            "region": region,
            "participant_id": person,
            "attendance": attendance,
        }
        when = {
            "session_starts_at": times["starts_at"],
            "session_ends_at": times["ends_at"],
            "recorded_at": datetime.now(UTC).isoformat(),
        }
        publish(stack["scheduling"], ATTENDANCE_RECORDED, record | when)


def known_to_feedback(stack, headers, session_id, offer_id, attendees):
    """Figures of fewer than five answers show no attendees, so the readiness is read from
    feedback's own projection of the events."""
    runtime = stack["feedback"].runtime

    def ready():
        with runtime.db.read() as conn:
            session = projections.session_row(conn, session_id)
            known = session is not None and projections.offer_row(conn, offer_id) is not None
            return known and aggregates.attendees(conn, "session", session["region"], session_id) == attendees

    eventually(ready, timeout=60, message="feedback to learn the offer, session and attendance from the events")


def test_attendees_feedback_reaches_regional_figures_and_the_national_stream_with_suppression(
    stack, make_token, kafka_bootstrap, topic_prefix
):
    def as_(role, region=None, subject=None):
        return {"Authorization": "Bearer " + make_token(role, region, subject)}

    feedback = stack["feedback"].client
    y56, y60, national = as_("regional_admin", "Y56"), as_("regional_admin", "Y60"), as_("national")
    stream = Topic(kafka_bootstrap, NATIONAL_SUMMARY_TOPIC.address(topic_prefix))

    hold_session(stack, "o-56", "s-56", "Y56", present=[f"p{i}" for i in range(1, 7)], absent=["p7"])
    known_to_feedback(stack, y56, "s-56", "o-56", attendees=6)
    for person in ("p1", "p2", "p3", "p4", "p5"):
        answered = feedback.post(
            "/v1/sessions/s-56/feedback",
            json=ANSWER | {"anonymous": person == "p1"},
            headers=as_("participant", "Y56", person),
        )
        assert answered.status_code == 201, answered.json
    for outsider in ("p7", "p99"):
        refused = feedback.post("/v1/sessions/s-56/feedback", json=ANSWER, headers=as_("participant", "Y56", outsider))
        assert (refused.status_code, refused.json["rule"]) == (422, "not_an_attendee")

    region = feedback.get("/v1/aggregates?scope=region", headers=y56).json
    assert (region["respondents"], region["attendees"], region["measures"]["overall"]["mean"]) == (
        5,
        5,
        5.0,
    )  # 6 attendees, rounded
    shown = eventually(
        lambda: (s := stream.latest()).get("national:all", {}).get("respondents") == 5 and s,
        message="the national summary on the stream",
    )
    assert shown["region:Y56:all"]["respondents"] == 5 and shown["region:Y56:all"]["measures"]["overall"]["mean"] == 5.0
    assert shown["offer_type:action_learning_set:all"]["respondents"] == 5

    # Four people answer in Y60: withheld from everyone, Y60's own admin included.
    hold_session(stack, "o-60", "s-60", "Y60", present=["q1", "q2", "q3", "q4"])
    known_to_feedback(stack, y60, "s-60", "o-60", attendees=4)
    for person in ("q1", "q2", "q3", "q4"):
        assert (
            feedback.post(
                "/v1/sessions/s-60/feedback", json=ANSWER, headers=as_("participant", "Y60", person)
            ).status_code
            == 201
        )
    for query in ("scope=session&id=s-60", "scope=offer&id=o-60", "scope=region&region=Y60"):
        for headers in (y60, national):
            assert feedback.get(f"/v1/aggregates?{query}", headers=headers).json["suppressed"], query
    summary = feedback.get("/v1/national/summary", headers=national).json
    regions = {r["region"]: r for r in summary["regions"]}
    assert regions["Y60"]["suppressed"] and regions["Y56"]["suppressed"]
    assert regions["Y60"]["reason"] == regions["Y56"]["reason"] == "small_numbers"
    assert summary["national"]["respondents"] == 10  # 9, rounded

    latest = eventually(
        lambda: (s := stream.latest()).get("national:all", {}).get("respondents") == 10 and s,
        message="the updated national summary",
    )
    assert latest["region:Y60:all"]["suppressed"] and latest["region:Y60:all"]["respondents"] is None
    assert latest["region:Y56:all"]["suppressed"], "national minus Y56 would reveal Y60's four"
    shown_regions = sum(
        v["respondents"]
        for k, v in latest.items()
        if k.startswith("region:") and k.endswith(":all") and not v["suppressed"]
    )
    assert latest["national:all"]["respondents"] - shown_regions == 10
    on_stream = json.dumps(latest)
    assert not any(person in on_stream for person in ("p1", "p2", "q1"))
