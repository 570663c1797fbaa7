"""How many statements one enrolment write issues (POST /v1/offers/{id}/enrolments with an
Idempotency-Key), counted on the real engine, so a change that adds one shows here. Not timed.

Ten, on SQLite after its BEGIN IMMEDIATE and on PostgreSQL alike: the idempotency record looked
up; the participant (FOR SHARE), the offer (FOR UPDATE) and whether the participant already
holds a place read; the enrolment inserted and the offer's counts moved; the outbox event, the
e-mail owed, the idempotency record and the audit row inserted. The participant is not read a
second time for the e-mail: the admission read and checked them already."""

import uuid

from sqlalchemy import event

from tests.integration.test_enrolment_support import (
    as_role,  # noqa: F401 (fixture)
    create_offer,
    enrol,
    enrolment,  # noqa: F401 (fixture)
    register,
)

STATEMENTS_PER_WRITE = 10


def test_one_enrolment_write_issues_ten_statements_and_reads_its_participant_once(enrolment, as_role):
    admin = as_role()
    offer_id = create_offer(enrolment.client, admin, capacity=1)
    people = [register(enrolment.client, admin, n=n) for n in range(2)]
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE (PostgreSQL's is the driver's own)
            seen.append(statement)

    engine = enrolment.runtime.db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        for person, status in zip(people, ("confirmed", "waitlisted")):
            seen.clear()
            answer = enrol(enrolment.client, {**admin, "Idempotency-Key": str(uuid.uuid4())}, offer_id, person)
            assert answer.status_code == 201, answer.json
            assert answer.json["status"] == status
            assert len(seen) == STATEMENTS_PER_WRITE, "\n".join(seen)
            assert sum(s.startswith("SELECT") and "FROM participants" in s for s in seen) == 1, "\n".join(seen)
            assert [s.split()[2] for s in seen if s.startswith("INSERT")] == [
                "enrolments",
                "outbox",
                "notifications",
                "idempotency_keys",
                "audit_log",
            ]
    finally:
        event.remove(engine, "before_cursor_execute", note)
