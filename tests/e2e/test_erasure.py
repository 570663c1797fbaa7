"""The right to erasure end to end over the real broker, on both databases.

A participant with a distinctive name and e-mail is registered, enrolled, scheduled, marked
present, and gives named feedback with a comment (and a needs survey and an outcome measure);
then the region's administrator erases them. Once scheduling and feedback have applied
`participant.erased`, the name and e-mail are nowhere: not in any row of any table of the three
databases (outbox copies of events included), not in any log record, and not in any message on
any of the run's topics. Every message of the run, from the first, is also free of both
participants' names and e-mails: personal data never leaves enrolment.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import select

from services.enrolment.usecases.reference import import_files
from services.scheduling import events as scheduling_events
from services.scheduling.store import rosters as scheduling_store
from services.scheduling.store import sessions as session_store
from services.scheduling.domain import LONDON, Slot
from services.scheduling.usecases.sessions import new_session
from shared.clock import utcnow
from shared.contracts.enrolment import PARTICIPANT_ERASED
from shared.contracts.scheduling import SESSION_SCHEDULED
from shared.logs import JsonFormatter
from tests.harness import RunningService, eventually, service_environment

SAMPLE = Path(__file__).resolve().parents[2] / "services" / "enrolment" / "data" / "sample"
REGION, PCN = "Y56", "U10001"
ERASED = {"name": "Ottoline Vexworth-Anand", "email": "ottoline.vexworth@example.invalid"}
BYSTANDER = {"name": "Barnaby Quistcombe", "email": "barnaby.quistcombe@example.invalid"}


def fragments(person: dict) -> tuple[str, ...]:
    """What must not be found, compared case-insensitively: the name, each part of it, the e-mail."""
    parts = person["name"].replace("-", " ").split()
    return (person["name"], person["email"], person["email"].split("@")[0], *parts)


def found(text: str, person: dict) -> list[str]:
    lowered = text.lower()
    return [fragment for fragment in fragments(person) if fragment.lower() in lowered]


class Captured(logging.Handler):
    """Every log record of every service in this process, as the services' JSON line and as
    the raw message with its arguments."""

    def __init__(self):
        super().__init__(level=logging.NOTSET)
        self.formatter_ = JsonFormatter("captured")
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.formatter_.format(record) + "\n" + record.getMessage() + "\n" + repr(record.args))


@pytest.fixture
def captured():
    root = logging.getLogger()
    handler, level = Captured(), root.level
    yield lambda: (root.addHandler(handler), root.setLevel(logging.DEBUG), handler)[-1]
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def stack(databases, kafka_bootstrap, topic_prefix, signing_keys, captured):
    running = {name: RunningService(name, service_environment(databases.new(name), kafka_bootstrap, topic_prefix, signing_keys[1])) for name in ("enrolment", "scheduling", "feedback")}
    # After the apps exist: creating one configures logging afresh (logs.configure).
    running["logs"] = captured()
    with running["enrolment"].runtime.db.transaction() as conn:
        import_files(conn, (SAMPLE / "epcn.csv").read_text(), (SAMPLE / "gp-reg-pat-prac-map.csv").read_text())
    for name in ("enrolment", "scheduling", "feedback"):
        running[name].start_worker()
    yield running
    for name in ("enrolment", "scheduling", "feedback"):
        running[name].stop()


# --- reading the broker ------------------------------------------------------------------------


def run_topics(bootstrap: str, prefix: str) -> list[TopicPartition]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        names = sorted(t for t in consumer.topics() if t.startswith(prefix))
        return [TopicPartition(name, p) for name in names for p in sorted(consumer.partitions_for_topic(name) or ())]
    finally:
        consumer.close()


def end_offsets(bootstrap: str, prefix: str) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        return consumer.end_offsets(run_topics(bootstrap, prefix))
    finally:
        consumer.close()


def messages(bootstrap: str, prefix: str, since: dict[TopicPartition, int] | None = None) -> list:
    """Every message on the run's topics (its prefix) from `since` (else the beginning) to their
    current ends, dead-letter topics included."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        partitions = run_topics(bootstrap, prefix)
        ends = consumer.end_offsets(partitions)
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, (since or {}).get(tp, 0))
        read = []

        def caught_up():
            for batch in consumer.poll(timeout_ms=500).values():
                read.extend(batch)
            return all(consumer.position(tp) >= ends[tp] for tp in partitions)

        eventually(caught_up, timeout=60, message="reading every topic of the run")
        return [m for m in read if m.offset < ends[TopicPartition(m.topic, m.partition)]]
    finally:
        consumer.close()


def as_text(message) -> str:
    headers = [(name, value.decode(errors="replace")) for name, value in (message.headers or [])]
    return "\n".join([(message.key or b"").decode(errors="replace"), (message.value or b"").decode(errors="replace"), json.dumps(headers)])


# --- reading the databases ---------------------------------------------------------------------


def every_row(service: RunningService) -> dict[str, list[str]]:
    """Every row of every table (SELECT * over metadata.sorted_tables), each value as text."""
    with service.runtime.db.read() as conn:
        return {table.name: [" | ".join(map(str, row)) for row in conn.execute(select(table))] for table in service.runtime.db.metadata.sorted_tables}


def inbox_has(service: RunningService, event_type: str) -> bool:
    inbox = service.runtime.db.tables.inbox
    with service.runtime.db.read() as conn:
        return conn.execute(select(inbox.c.event_id).where(inbox.c.event_type == event_type)).first() is not None


# --- the story ---------------------------------------------------------------------------------


def ok(response, *statuses):
    assert response.status_code in (statuses or (200, 201)), (response.status_code, response.get_data(as_text=True)[:500])
    return response.json


def future_local(days: int) -> str:
    day = datetime.now(LONDON).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, 10, 0).isoformat(timespec="minutes")


def held_yesterday(scheduling: RunningService, offer_id: str) -> str:
    """Time passes: the API schedules only in the future, so a session held yesterday is
    written to scheduling's store and announced through its outbox in one transaction, and
    the members are backdated to have joined before it."""
    starts_at = utcnow().replace(microsecond=0) - timedelta(days=1, hours=2)
    with scheduling.runtime.db.transaction() as conn:
        offer = scheduling_store.find_offer(conn, offer_id)
        row = new_session(dict(offer), Slot(starts_at, starts_at + timedelta(minutes=90)), {}, kind="group")
        session_store.add_sessions(conn, [row])
        scheduling.runtime.outbox.record(conn, SESSION_SCHEDULED, scheduling_events.session_data(row))
        memberships = scheduling_store.memberships
        conn.execute(memberships.update().where(memberships.c.offer_id == offer_id).values(joined_at=starts_at - timedelta(days=7)))
    return row["id"]


def test_an_erased_participant_leaves_no_name_or_e_mail_in_any_database_log_or_message(stack, make_token, kafka_bootstrap, topic_prefix):
    enrolment, scheduling, feedback, logs = stack["enrolment"], stack["scheduling"], stack["feedback"], stack["logs"]
    admin = {"Authorization": "Bearer " + make_token("regional_admin", REGION)}
    person_body = {"role": "clinical_director", "pcn_code": PCN, "leadership_experience": "practice"}

    # Register (with an Idempotency-Key: its table keeps the answer), enrol and schedule.
    person = ok(enrolment.client.post("/v1/participants", json=ERASED | person_body, headers=admin | {"Idempotency-Key": "register-1"}))["id"]
    bystander = ok(enrolment.client.post("/v1/participants", json=BYSTANDER | person_body | {"role": "gp"}, headers=admin | {"Idempotency-Key": "register-2"}))["id"]
    offer = {"offer_type": "action_learning_set", "title": "Action learning set", "capacity": 8, "basis": "project", "starts_on": "2027-01-04", "ends_on": "2027-06-28", "planned_sessions": 6}
    offer_id = ok(enrolment.client.post("/v1/offers", json=offer, headers=admin))["id"]
    ok(enrolment.client.post(f"/v1/offers/{offer_id}/publish", headers=admin))
    for someone in (person, bystander):
        assert ok(enrolment.client.post(f"/v1/offers/{offer_id}/enrolments", json={"participant_id": someone}, headers=admin))["status"] == "confirmed"

    def roster() -> list[str]:
        response = scheduling.client.get(f"/v1/offers/{offer_id}/roster", headers=admin)
        return sorted(m["participant_id"] for m in response.json["members"]) if response.status_code == 200 else []

    eventually(lambda: roster() == sorted([person, bystander]), timeout=60, message="scheduling's roster from enrolment's events")
    ok(scheduling.client.post(f"/v1/offers/{offer_id}/sessions", json={"starts_at": future_local(10), "duration_minutes": 90}, headers=admin))
    session_id = held_yesterday(scheduling, offer_id)

    # Attendance, then named feedback with a comment, a needs survey and an outcome measure.
    marks = {"records": [{"participant_id": person, "attendance": "present"}, {"participant_id": bystander, "attendance": "present"}]}
    ok(scheduling.client.put(f"/v1/sessions/{session_id}/attendance", json=marks, headers=admin))

    def attendees() -> int:
        response = feedback.client.get(f"/v1/aggregates?scope=session&id={session_id}", headers=admin)
        return response.json["attendees"] if response.status_code == 200 else 0

    eventually(lambda: attendees() == 2, timeout=60, message="feedback to learn the session and its attendance")
    me = {"Authorization": "Bearer " + make_token("participant", REGION, person)}
    answer = {"overall": 5, "usefulness": 4, "will_apply": 4, "recommend": "very_good"}
    assert ok(feedback.client.post(f"/v1/sessions/{session_id}/feedback", json=answer | {"comment": f"Thanks from {ERASED['name']}"}, headers=me))["anonymous"] is False
    other = {"Authorization": "Bearer " + make_token("participant", REGION, bystander)}
    ok(feedback.client.post(f"/v1/sessions/{session_id}/feedback", json=answer | {"anonymous": True}, headers=other))
    ratings = {"leadership": 5, "collaboration": 4, "dealing_with_conflict": 2, "innovation": 3, "teamwork": 4, "strategy": 1, "engagement": 2}
    # A needs answer is anonymous: nothing links it to the person, so erasure could not find a name in it.
    needs = {"ratings": ratings, "other_needs": "Mentoring, please", "offer_id": offer_id}
    eventually(lambda: feedback.client.post("/v1/needs-surveys/responses", json=needs, headers=me).status_code == 201, timeout=60, message="feedback to learn the membership")
    scores = {"confidence": 3, "isolation": 5, "trust_in_group": 4, "sense_of_direction": 3}
    ok(feedback.client.post("/v1/outcome-measures", json={"offer_id": offer_id, "phase": "before", "scores": scores}, headers=me | {"Idempotency-Key": "outcome-1"}))
    figures_before = ok(feedback.client.get(f"/v1/aggregates?scope=session&id={session_id}", headers=admin))
    assert figures_before["respondents"] == 2

    # The personal data is there before (so the searches below can find it), and only in enrolment
    # and in feedback's free text.
    assert found("\n".join(sum(every_row(enrolment).values(), [])), ERASED)
    assert found("\n".join(sum(every_row(feedback).values(), [])), ERASED)

    # Erase.
    offsets = end_offsets(kafka_bootstrap, topic_prefix)
    logged_before = len(logs.lines)
    assert enrolment.client.delete(f"/v1/participants/{person}", headers=admin).status_code == 204
    eventually(lambda: inbox_has(scheduling, PARTICIPANT_ERASED.type), timeout=60, message="scheduling to apply the erasure")
    eventually(lambda: inbox_has(feedback, PARTICIPANT_ERASED.type), timeout=60, message="feedback to apply the erasure")
    outbox = enrolment.runtime.db.tables.outbox

    def relayed() -> bool:
        with enrolment.runtime.db.read() as conn:
            return conn.execute(select(outbox.c.id).where(outbox.c.published_at.is_(None))).first() is None

    eventually(relayed, timeout=60, message="enrolment's relay to publish everything")

    # Every table of every service's database.
    for service in (enrolment, scheduling, feedback):
        for table, rows in every_row(service).items():
            assert not [found(row, ERASED) for row in rows if found(row, ERASED)], f"{service.name}.{table} still holds the erased person's name or e-mail"
    # The outbox rows are copies of events: none ever held a name or e-mail, of anyone.
    with enrolment.runtime.db.read() as conn:
        copies = [" ".join(map(str, row)) for row in conn.execute(select(outbox))]
    assert copies and not [c for c in copies if found(c, ERASED) or found(c, BYSTANDER)]

    # Every log record: after the erasure, and (stronger) since the services started.
    after = logs.lines[logged_before:]
    assert after, "nothing was logged after the erasure: the capture is not working"
    assert not [line for line in after if found(line, ERASED)]
    assert not [line for line in logs.lines if found(line, ERASED) or found(line, BYSTANDER)]

    # Every message produced after the erasure, and every message of the run.
    since_erasure = messages(kafka_bootstrap, topic_prefix, offsets)
    erasures = [m for m in since_erasure if (dict(m.headers).get("ce_type") or b"").decode() == PARTICIPANT_ERASED.type]
    assert [json.loads(m.value)["participant_id"] for m in erasures] == [person]
    assert not [as_text(m) for m in since_erasure if found(as_text(m), ERASED)]
    everything = messages(kafka_bootstrap, topic_prefix)
    assert len(everything) > len(since_erasure)
    assert not [as_text(m) for m in everything if found(as_text(m), ERASED) or found(as_text(m), BYSTANDER)]

    # What stays: the opaque id, role, PCN and enrolment in enrolment; a pseudonymous roster
    # place in scheduling; the figures in feedback.
    shown = ok(enrolment.client.get(f"/v1/participants/{person}", headers=admin))
    assert (shown["id"], shown["role"], shown["pcn_code"], shown["region"]) == (person, "clinical_director", PCN, REGION)
    assert [e["status"] for e in ok(enrolment.client.get(f"/v1/participants/{person}/enrolments", headers=admin))["items"]] == ["confirmed"]
    members = roster()
    assert len(members) == 2 and person not in members and bystander in members
    assert ok(feedback.client.get(f"/v1/aggregates?scope=session&id={session_id}", headers=admin))["respondents"] == 2
    comments = ok(feedback.client.get(f"/v1/sessions/{session_id}/comments", headers=admin))
    assert comments["items"] == []
