"""Coaching goals over HTTP on both databases: the coachee sets them, their coach reads their
words and both progress notes, the region's administrator sees the types only; goals_set
carries the types and no words; bad input is refused naming the field and writes nothing;
erasure leaves no row of the words or notes."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.scheduling.domain.recurrence import Slot
from services.scheduling.store import sessions as session_store
from services.scheduling.store import tables
from services.scheduling.usecases.sessions import new_session
from shared.clock import utcnow
from shared.contracts import enrolment
from shared.contracts.scheduling import COACHING_GOALS_SET
from tests.integration.test_scheduling_bad_input import refused
from tests.integration.test_scheduling_support import Scheduling, local, scheduling  # noqa: F401

WORDS = "Lead the merger of two practices without losing the nurses"


def coaching(scheduling: Scheduling) -> dict:
    """A coaching offer with coachee p1 and a coach who met them yesterday."""
    offer_id = scheduling.publish_offer(offer_type="coaching", title="Coaching", capacity=2, session_allowance=4)
    scheduling.confirm(offer_id, "p1", "p2", at=utcnow() - timedelta(days=9))
    coach = scheduling.add_facilitator(kind="coach")
    began = utcnow() - timedelta(days=1)
    held = new_session(
        scheduling.offers[offer_id],
        Slot(began, began + timedelta(hours=1)),
        {"facilitator_id": coach},
        kind="coaching",
        coachee_id="p1",
    )
    with scheduling.db.transaction() as conn:
        session_store.add_sessions(conn, [held])
    return {"offer": offer_id, "coach": coach, "held": held["id"], "path": f"/v1/coaching/offers/{offer_id}/goals/p1"}


def as_coachee(scheduling: Scheduling, subject="p1") -> dict:
    return scheduling.headers("participant", subject=subject)


def outbox_events(scheduling: Scheduling, event_type) -> list[str]:
    outbox = scheduling.db.tables.outbox
    with scheduling.db.read() as conn:
        return list(conn.execute(select(outbox.c.value).where(outbox.c.event_type == event_type.type)).scalars())


def test_the_coachee_sets_goals_their_coach_reads_the_words_and_notes_and_the_administrator_only_the_types(
    scheduling: Scheduling,
):
    world = coaching(scheduling)
    body = {"goal_types": ["leadership_goal", "facilitation_skills"], "words": WORDS}
    assert scheduling.client.put(world["path"], json=body, headers=as_coachee(scheduling)).status_code == 200
    by_coach = scheduling.headers("coach", subject=world["coach"])
    note = scheduling.client.put(
        f"/v1/coaching/sessions/{world['held']}/progress",
        json={"note": "Named the two hardest conversations"},
        headers=by_coach,
    )
    assert note.status_code == 200 and note.json["noted_by"] == "coach"

    coach_sees = scheduling.client.get(world["path"], headers=by_coach).json
    admin_sees = scheduling.client.get(world["path"], headers=scheduling.headers()).json

    assert (coach_sees["goal_types"], coach_sees["words"]) == (["leadership_goal", "facilitation_skills"], WORDS)
    assert [(n["session_id"], n["noted_by"], n["note"]) for n in coach_sees["progress"]] == [
        (world["held"], "coach", "Named the two hardest conversations")
    ]
    assert admin_sees["goal_types"] == ["leadership_goal", "facilitation_skills"]
    assert "words" not in admin_sees and "progress" not in admin_sees
    assert scheduling.client.get(world["path"], headers=scheduling.headers(region="Y58")).status_code == 404
    assert scheduling.client.get(world["path"], headers=scheduling.headers("national", region=None)).status_code == 403
    assert scheduling.client.get(world["path"], headers=as_coachee(scheduling, "p2")).status_code == 404

    [event] = [json.loads(value) for value in outbox_events(scheduling, COACHING_GOALS_SET)]
    assert event["goal_types"] == ["leadership_goal", "facilitation_skills"] and "Lead the merger" not in json.dumps(
        event
    )


@pytest.mark.parametrize(
    "body, status, rule, field",
    [
        ({"goal_types": [], "words": WORDS}, 422, "invalid_request", "goal_types"),
        ({"goal_types": ["world_peace"], "words": WORDS}, 422, "invalid_request", "goal_types.0"),
        (
            {"goal_types": ["leadership_goal", "leadership_goal"], "words": WORDS},
            422,
            "duplicate_goal_type",
            "goal_types",
        ),
        ({"goal_types": ["leadership_goal"], "words": "   "}, 422, "goal_words_required", "words"),
        ({"goal_types": ["leadership_goal"], "words": "x" * 1001}, 422, "invalid_request", "words"),
        ({"goal_types": ["leadership_goal"]}, 422, "invalid_request", "words"),
    ],
)
def test_bad_goals_are_refused_naming_the_field_and_write_nothing(scheduling: Scheduling, body, status, rule, field):
    world = coaching(scheduling)
    response = refused(
        scheduling, lambda: scheduling.client.put(world["path"], json=body, headers=as_coachee(scheduling))
    )
    assert (response.status_code, response.json["rule"]) == (status, rule)
    assert field in [error["field"] for error in response.json["errors"]]


def test_goals_are_a_coaching_enrolments_own_and_progress_waits_for_the_session(scheduling: Scheduling):
    world = coaching(scheduling)
    group = scheduling.publish_offer()
    scheduling.confirm(group, "p1")
    body = {"goal_types": ["coaching_skills"], "words": WORDS}
    someone_else = refused(
        scheduling, lambda: scheduling.client.put(world["path"], json=body, headers=as_coachee(scheduling, "p2"))
    )
    not_coaching = refused(
        scheduling,
        lambda: scheduling.client.put(
            f"/v1/coaching/offers/{group}/goals/p1", json=body, headers=as_coachee(scheduling)
        ),
    )
    booking = {"participant_id": "p1", "coach_id": world["coach"], "starts_at": local(5), "duration_minutes": 60}
    upcoming = scheduling.client.post(
        f"/v1/offers/{world['offer']}/coaching-bookings", json=booking, headers=scheduling.headers()
    ).json["id"]
    early = refused(
        scheduling,
        lambda: scheduling.client.put(
            f"/v1/coaching/sessions/{upcoming}/progress", json={"note": "Early"}, headers=as_coachee(scheduling)
        ),
    )
    assert [(r.status_code, r.json["rule"]) for r in (someone_else, not_coaching, early)] == [
        (403, "not_yourself"),
        (422, "not_coaching"),
        (409, "session_not_started"),
    ]


def test_erasure_deletes_the_coachees_goals_and_every_progress_note(scheduling: Scheduling):
    world = coaching(scheduling)
    assert (
        scheduling.client.put(
            world["path"], json={"goal_types": ["leadership_goal"], "words": WORDS}, headers=as_coachee(scheduling)
        ).status_code
        == 200
    )
    for headers in (as_coachee(scheduling), scheduling.headers("coach", subject=world["coach"])):
        assert (
            scheduling.client.put(
                f"/v1/coaching/sessions/{world['held']}/progress",
                json={"note": "Mapped who to win over"},
                headers=headers,
            ).status_code
            == 200
        )
    assert (scheduling.count(tables.coaching_goals), scheduling.count(tables.coaching_progress)) == (1, 2)

    scheduling.deliver(
        enrolment.PARTICIPANT_ERASED, {"participant_id": "p1", "region": "Y56", "erased_at": utcnow().isoformat()}
    )

    assert (scheduling.count(tables.coaching_goals), scheduling.count(tables.coaching_progress)) == (0, 0)
    with scheduling.db.read() as conn:
        rows = [dict(r) for t in scheduling.db.metadata.sorted_tables for r in conn.execute(select(t)).mappings()]
    assert "Lead the merger" not in repr(rows) and "win over" not in repr(rows)
