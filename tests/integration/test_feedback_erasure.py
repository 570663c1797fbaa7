"""Feedback's part of the right to erasure, on both databases: after `participant.erased` the
person's named feedback is anonymous and without its comment, their needs answers (which
nothing links to them) stay as they are, their outcome answers keep only a pseudonym, the
remembered requests that linked them to answers are gone, and every figure stays."""

import pytest
from sqlalchemy import select

from services.feedback.store import sealed_comments
from services.feedback.store import tables as store
from shared.contracts import enrolment
from tests.integration.test_feedback_api import RATINGS, SCORES
from tests.integration.test_feedback_handlers import NOW, world  # noqa: F401 (world: the shared fixture)

ERASURE = {"participant_id": "p1", "region": "Y56", "erased_at": NOW.isoformat()}


@pytest.fixture
def as_(make_token):
    def headers(subject, **extra):
        return {"Authorization": "Bearer " + make_token("participant", "Y56", subject)} | extra

    return headers


def figures(world) -> list:
    with world.runtime.db.read() as conn:
        return [
            tuple(row)
            for table in (store.aggregate_stats, store.attendee_counts, store.published_cells)
            for row in conn.execute(select(table).order_by(*table.primary_key.columns))
        ]


def test_an_erased_participants_answers_become_anonymous_lose_their_free_text_and_keep_their_figures(
    world, as_, make_token
):
    world.offer("o1")
    world.session("s1", "o1")
    for person in ("p1", "p2"):
        world.registered(person)
        world.attend("s1", "o1", person)
        world.member("o1", person)
    answer = {"overall": 4, "usefulness": 4, "will_apply": 4, "recommend": "good"}
    assert (
        world.client.post(
            "/v1/sessions/s1/feedback", json=answer | {"comment": "Mine, by Ada Byron-Nolan"}, headers=as_("p1")
        ).status_code
        == 201
    )
    assert (
        world.client.post(
            "/v1/sessions/s1/feedback", json=answer | {"comment": "Someone else's"}, headers=as_("p2")
        ).status_code
        == 201
    )
    needs = {"ratings": RATINGS, "other_needs": "Time to think", "offer_id": "o1"}
    assert world.client.post("/v1/needs-surveys/responses", json=needs, headers=as_("p1")).status_code == 201
    assert (
        world.client.post(
            "/v1/needs-surveys/responses", json=needs | {"other_needs": "p2's needs"}, headers=as_("p2")
        ).status_code
        == 201
    )
    others = world.client.post(
        "/v1/outcome-measures",
        json={"offer_id": "o1", "phase": "before", "scores": SCORES},
        headers=as_("p2", **{"Idempotency-Key": "p2"}),
    )
    assert others.status_code == 201
    for phase in ("before", "after"):
        given = world.client.post(
            "/v1/outcome-measures",
            json={"offer_id": "o1", "phase": phase, "scores": SCORES},
            headers=as_("p1", **{"Idempotency-Key": phase}),
        )
        assert given.status_code == 201
    before = figures(world)

    world.deliver(enrolment.PARTICIPANT_ERASED, ERASURE)
    world.deliver(enrolment.PARTICIPANT_ERASED, ERASURE)  # the same erasure again: nothing more changes

    with world.runtime.db.read() as conn:  # comments are stored sealed (store.sealed_comments)
        answers = {
            row["comment"]: row for row in sealed_comments.opened(conn, "s1", world.rows(store.feedback_responses))
        }
    assert set(answers) == {None, "Someone else's"}
    erased = answers[None]
    assert (erased["participant_id"], erased["anonymous"], erased["given_on"], erased["overall"]) == (
        None,
        True,
        None,
        4,
    )
    assert answers["Someone else's"]["participant_id"] == "p2"
    assert sorted(r["other_needs"] for r in world.rows(store.needs_responses)) == ["Time to think", "p2's needs"]
    assert len(world.rows(store.needs_answered)) == 1  # p2's marker; p1's is gone
    outcomes = world.rows(store.outcome_responses, store.outcome_responses.c.participant_id != "p2")
    assert len(outcomes) == 2 and len({r["participant_id"] for r in outcomes}) == 1
    assert outcomes[0]["participant_id"].startswith("erased-") and all(r["given_on"] is None for r in outcomes)
    keys = world.rows(world.runtime.db.tables.idempotency)
    assert [r["subject"] for r in keys] == ["p2"]
    assert [r["participant_id"] for r in world.rows(store.attendance)] == ["p2"]
    assert [r["participant_id"] for r in world.rows(store.members)] == ["p2"]
    assert [r["participant_id"] for r in world.rows(store.participants)] == ["p2"]
    assert figures(world) == before
    with world.runtime.db.read() as conn:
        stored = {
            table.name: repr([tuple(row) for row in conn.execute(select(table))])
            for table in world.runtime.db.metadata.sorted_tables
        }
    assert [name for name, rows in stored.items() if "Ada Byron-Nolan" in rows] == []
    # The append-only audit trail keeps who called what by opaque id (accountability); nothing else does.
    assert [name for name, rows in stored.items() if "'p1'" in rows] == ["audit_log"]

    for person in ("p3", "p4", "p5"):  # comments are served once five have answered
        world.attend("s1", "o1", person)
        assert (
            world.client.post(
                "/v1/sessions/s1/feedback", json=answer | {"anonymous": True}, headers=as_(person)
            ).status_code
            == 201
        )
    admin = {"Authorization": "Bearer " + make_token("regional_admin", "Y56")}
    comments = world.client.get("/v1/sessions/s1/comments", headers=admin).json["items"]
    assert [(c["comment"], c["participant_id"]) for c in comments] == [("Someone else's", "p2")]
